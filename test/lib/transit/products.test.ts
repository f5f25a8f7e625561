import assert from 'assert';
import { CatalogueError, findProduct, isOriginalProduct, ORIGINAL_PRODUCTS, parseCatalogue, productWords, thankYouPrompt } from '../../../nodes/lib/transit/products';
import { PROMPT_TEXT } from '../../../nodes/lib/audio/prompts';

const DAY = { id: 'DAY', label: 'day', rides: 0, validity: 86400, starts: 'first-use' as const };
const FIVE = { id: 'FIVE_TRIP', label: 'five trip', rides: 5, validity: 0, starts: 'sale' as const };

describe('pass products (catalogue rules)', function () {
    it('takes a good catalogue, numbers given as text too (the editor stores what was typed)', function () {
        assert.deepStrictEqual(parseCatalogue([DAY, { ...FIVE, rides: '5', validity: '0' }]), [DAY, FIVE]);
        assert.deepStrictEqual(parseCatalogue(ORIGINAL_PRODUCTS), ORIGINAL_PRODUCTS);
    });

    for (const [fault, catalogue, words] of [
        ['not a list', 'DAY', /must be a list/],
        ['empty', [], /no products/],
        ['duplicate ids, in any case', [DAY, { ...FIVE, id: 'day' }], /product 2: duplicate id day/],
        ['negative rides', [{ ...FIVE, rides: -1 }], /FIVE_TRIP\): rides must be a whole number from 0 to 10000, not -1/],
        ['fractional rides', [{ ...FIVE, rides: 2.5 }], /rides must be a whole number/],
        ['negative validity', [{ ...DAY, validity: -5 }], /validity must be a whole number/],
        ['an unknown start', [{ ...DAY, starts: 'midnight' }], /starts must be "sale" or "first-use", not "midnight"/],
        ['an id unfit for a channel', [{ ...DAY, id: 'day pass' }], /id "day pass" must be 1 to 32 letters/],
        ['a pass that never ends', [{ ...DAY, rides: 0, validity: 0 }], /unlimited rides need a validity/],
    ] as Array<[string, unknown, RegExp]>) {
        it(`refuses a catalogue with ${fault}, naming the fault`, function () {
            assert.throws(() => parseCatalogue(catalogue), (err: Error) => err instanceof CatalogueError && words.test(err.message));
        });
    }

    it('finds a product by id in any case, and the original three by their short names', function () {
        const catalogue = parseCatalogue([DAY, FIVE, ...ORIGINAL_PRODUCTS]);
        assert.strictEqual(findProduct(catalogue, ' five_trip ').id, 'FIVE_TRIP');
        assert.strictEqual(findProduct(catalogue, 'ten').id, 'TEN_TRIP');
        assert.throws(() => findProduct([DAY], 'ten'), /unknown pass type "ten": use DAY/);
        assert.throws(() => findProduct(catalogue, 'constructor'), /unknown pass type/);
    });

    it('keeps the original three in the original layout only with the original rules', function () {
        assert.ok(ORIGINAL_PRODUCTS.every(isOriginalProduct));
        assert.ok(!isOriginalProduct({ ...ORIGINAL_PRODUCTS[1], rides: 12 }), 'a twelve trip TEN_TRIP describes itself');
        assert.ok(!isOriginalProduct(parseCatalogue([DAY])[0]));
    });

    it('says the original three as their recordings do, and any other product by its label', function () {
        for (const p of ORIGINAL_PRODUCTS) {
            assert.strictEqual(PROMPT_TEXT[thankYouPrompt(p)], `Thank you for buying a ${productWords(p)} pass.`);
        }
        const [day] = parseCatalogue([DAY]);
        assert.deepStrictEqual([thankYouPrompt(day), productWords(day)], ['thank-you-day-pass', 'day']);
        assert.strictEqual(PROMPT_TEXT['select-a-pass'], `Please select a pass: ${ORIGINAL_PRODUCTS.map(productWords).slice(0, 2).join(', ')} or two hour.`);
    });
});
