import assert from 'assert';
import { InvalidCardError, normaliseCardId } from '../../../nodes/lib/card-id';
import { describeEvent } from '../../../nodes/lib/transit/events';
import { keyLayout, storedCardId } from '../../../nodes/lib/transit/keys';
import { findProduct, ORIGINAL_PRODUCTS } from '../../../nodes/lib/transit/products';

const parsePassType = (value: unknown) => findProduct(ORIGINAL_PRODUCTS, value).id;
import { SaleSession } from '../../../nodes/lib/transit/sale-session';

describe('card ids', function () {
    it('normalises hex and separators; text is always hex, even all digits', function () {
        assert.strictEqual(normaliseCardId('04:a1:b2:c3'), '04A1B2C3');
        assert.strictEqual(normaliseCardId('04-A1 B2-C3-D4-E5-F6'), '04A1B2C3D4E5F6');
        assert.strictEqual(normaliseCardId('04111111'), '04111111');
        assert.strictEqual(normaliseCardId('584190296452'), '584190296452');
    });

    it("reads a number as one of the original's card numbers, giving the UID it came from", function () {
        assert.strictEqual(normaliseCardId(19892716500), '04A1B2C3');
        assert.strictEqual(normaliseCardId(19892716500n), '04A1B2C3');
        // No check byte: 4111111 is not a number the original's reader could have given.
        assert.throws(() => normaliseCardId(4111111), /invalid card id: 4111111 \(a number is read as the original's card number/);
    });

    it("names passes by UID, or in the original's layout by the original's number", function () {
        assert.strictEqual(storedCardId('04A1B2C3', 'uid'), '04A1B2C3');
        assert.strictEqual(storedCardId('04A1B2C3', 'original'), '19892716500');
        assert.strictEqual(storedCardId('04111111', 'original'), '17466200341');
        assert.throws(() => storedCardId('ABCD', 'original'), InvalidCardError);
        assert.strictEqual(keyLayout(undefined, ''), 'original');
        assert.strictEqual(keyLayout('', 'transit:pass:'), 'uid');
        assert.strictEqual(keyLayout('uid', ''), 'uid');
        assert.throws(() => keyLayout('decimal', ''), /invalid card keys "decimal"/);
    });

    it('refuses anything that is not a card id', function () {
        for (const bad of ['', 'AB', '123', '04A1B2C3!', ['04A1B2C3'], 'G123', 'AB*', 'AB{1}', '__proto__', 'a'.repeat(33), 'x'.repeat(100), -5, 1.5, 2 ** 60, 584190296452, NaN, null, undefined, {}, [], Buffer.from('ABCD'), true]) {
            assert.throws(() => normaliseCardId(bad), InvalidCardError, String(bad));
        }
    });
});

describe('pass types', function () {
    it('accepts the original names and friendly aliases', function () {
        assert.strictEqual(parsePassType('TEN_TRIP'), 'TEN_TRIP');
        assert.strictEqual(parsePassType(' single '), 'SINGLE_USE');
        assert.strictEqual(parsePassType('Two-Hour'), 'TWO_HOUR');
        assert.throws(() => parsePassType('GOLD'), /unknown pass type "GOLD"/);
        assert.throws(() => parsePassType(10), /unknown pass type number/);
        assert.throws(() => parsePassType('constructor'), /unknown pass type/);
    });
});

describe('sale session', function () {
    it('follows tap, choose, tap again', function () {
        const s = new SaleSession();
        assert.deepStrictEqual(s.handle({ type: 'card', card: 'A1A1' }), [{ action: 'check', card: 'A1A1' }]);
        assert.deepStrictEqual(s.checked('A1A1', undefined), [{ action: 'prompt', prompt: 'select-a-pass', card: 'A1A1' }]);
        assert.deepStrictEqual(s.handle({ type: 'select', passType: 'TWO_HOUR' }),
            [{ action: 'prompt', prompt: 'tap-card-to-confirm', card: 'A1A1', passType: 'TWO_HOUR' }]);
        assert.deepStrictEqual(s.handle({ type: 'card', card: 'A1A1' }), [{ action: 'sell', card: 'A1A1', passType: 'TWO_HOUR' }]);
        assert.strictEqual(s.busy, false);
    });

    it('cancels on another card, on timeout and on request; ignores a choice before any card', function () {
        const s = new SaleSession();
        assert.deepStrictEqual(s.handle({ type: 'select', passType: 'TEN_TRIP' }), [{ action: 'ignore', why: 'no-card' }]);
        s.handle({ type: 'card', card: 'A1A1' });
        s.checked('A1A1', undefined);
        s.handle({ type: 'select', passType: 'TEN_TRIP' });
        assert.deepStrictEqual(s.handle({ type: 'card', card: 'B2B2' }), [
            { action: 'prompt', prompt: 'mismatch-cancel', card: 'B2B2' },
            { action: 'refuse', card: 'A1A1', reason: 'mismatch' },
        ]);
        s.handle({ type: 'card', card: 'A1A1' });
        s.checked('A1A1', undefined);
        assert.deepStrictEqual(s.handle({ type: 'timeout' }), [
            { action: 'prompt', prompt: 'timeout-cancel', card: 'A1A1' },
            { action: 'refuse', card: 'A1A1', reason: 'timeout' },
        ]);
        s.handle({ type: 'card', card: 'A1A1' });
        s.checked('A1A1', undefined);
        assert.deepStrictEqual(s.handle({ type: 'cancel' }), [
            { action: 'prompt', prompt: 'sale-cancelled', card: 'A1A1' },
            { action: 'refuse', card: 'A1A1', reason: 'cancelled' },
        ]);
        assert.deepStrictEqual(s.handle({ type: 'timeout' }), [{ action: 'ignore', why: 'idle' }]);
    });

    it('tells a card with a pass so and goes back to waiting', function () {
        const s = new SaleSession();
        s.handle({ type: 'card', card: 'A1A1' });
        assert.deepStrictEqual(s.checked('A1A1', 'card-already-has-pass'), [
            { action: 'prompt', prompt: 'card-already-has-pass', card: 'A1A1' },
            { action: 'refuse', card: 'A1A1', reason: 'card-already-has-pass' },
        ]);
        assert.strictEqual(s.busy, false);
    });
});

describe('monitor sentences', function () {
    it('match the original monitor', function () {
        assert.deepStrictEqual(describeEvent('pass-issued:TWO_HOUR', { cardSerialNumber: '12', pass: { passType: 'TWO_HOUR' } }),
            { text: 'Card 12 was issued a two hour pass.', level: 'info' });
        assert.deepStrictEqual(describeEvent('pass-denied', { cardSerialNumber: '12' }),
            { text: 'Card 12 tried to start a journey without a valid pass!', level: 'alert' });
        assert.strictEqual(describeEvent('pass-used:TEN_TRIP', { cardSerialNumber: '12', pass: { passType: 'TEN_TRIP' }, remainingTrips: 0 }).level, 'warn');
        assert.strictEqual(describeEvent('pass-denied', { cardSerialNumber: '12', reason: 'repeat-tap' }).level, 'warn');
        assert.strictEqual(describeEvent('pass-denied', { cardSerialNumber: '12', reason: 'constructor' }).level, 'alert');
        // Unknown pass types print "unknown", not "undefined" as the original did.
        assert.match(describeEvent('pass-issued:GOLD', { cardSerialNumber: '12', pass: { passType: 'GOLD' } }).text, /an? unknown pass/);
    });

    it('say when a gate decided offline, keeping the sentence and its level', function () {
        const offline = { cardSerialNumber: '12', gate: 'gate-1', offline: true };
        assert.deepStrictEqual(describeEvent('pass-used:SINGLE_USE', offline),
            { text: 'Card 12 started a journey (decided offline at gate gate-1).', level: 'info' });
        assert.deepStrictEqual(describeEvent('pass-used:TEN_TRIP', { ...offline, pass: { passType: 'TEN_TRIP' }, remainingTrips: 0 }), {
            text: 'Card 12 started a journey (decided offline at gate gate-1). Card 12 has 0 of 10 trips remaining.', level: 'warn',
        });
        assert.deepStrictEqual(describeEvent('pass-denied', { ...offline, reason: 'blocked' }),
            { text: 'Card 12 is blocked and was refused at the gate (decided offline at gate gate-1)!', level: 'alert' });
        assert.strictEqual(describeEvent('pass-activated:TWO_HOUR', offline).text, 'Card 12 two hour pass activated (decided offline at gate gate-1).');
        // Only a true offline says so: the original monitor's words otherwise.
        assert.strictEqual(describeEvent('pass-used:SINGLE_USE', { ...offline, offline: 'yes' as unknown as boolean }).text, 'Card 12 started a journey.');
    });

    it('alert on a ride Redis refused after the gate allowed it offline, and warn of one let through unpaid', function () {
        assert.deepStrictEqual(describeEvent('pass-overused', { cardSerialNumber: '12', gate: 'gate-1', reason: 'no-pass', offline: true }), {
            text: 'Card 12 rode at gate gate-1 while Redis was away, but its pass did not allow it (no-pass); the card is blocked until staff clear it.',
            level: 'alert',
        });
        assert.deepStrictEqual(describeEvent('pass-unpaid', { cardSerialNumber: '12', gate: 'gate-1', reason: 'expired', offline: true }),
            { text: 'Card 12 was let through at gate gate-1 while Redis was away without a valid pass (expired).', level: 'warn' });
        assert.strictEqual(describeEvent('pass-overused', { cardSerialNumber: '12' }).text,
            'Card 12 rode while Redis was away, but its pass did not allow it (no-pass); the card is blocked until staff clear it.');
    });
});
