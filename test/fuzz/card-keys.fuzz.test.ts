// Properties of card ids as keys (nodes/lib/card-id.ts, nodes/lib/transit/keys.ts): whatever
// a flow sends, a card id that is accepted can never address a key outside the pass prefix,
// and every key built for a card stays in the pass key's hash slot.
import assert from 'assert/strict';
import fc from 'fast-check';
import { InvalidCardError, normaliseCardId } from '../../nodes/lib/card-id';
import { cardKeys, checkKeyPrefix, DEFAULT_KEY_PREFIX, DEFAULT_STREAM } from '../../nodes/lib/transit/keys';
import { checkOperationId } from '../../nodes/lib/transit/store';
import { anyCardId, anyCodePoint, hexCardId, nastyValue, oddString, spelledCardId, validOperationId } from './arbitraries';

const CANONICAL = /^[0-9A-F]{4,32}$/;
// eslint-disable-next-line no-control-regex
const KEY_BREAKERS = /[{}*?[\]:\s\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const KEY_BREAKERS_BUT_COLON = /[{}*?[\]\s\u0000-\u001f\u007f]/;

function accepted(value: unknown): string | undefined {
    try {
        return normaliseCardId(value);
    } catch (err) {
        assert.ok(err instanceof InvalidCardError, `only InvalidCardError is thrown, not ${(err as Error)?.name}: ${(err as Error)?.message}`);
        return undefined;
    }
}

/** Redis Cluster's hash tag rule: the part between the first '{' and the next '}', if not empty. */
function hashTag(key: string): string {
    const open = key.indexOf('{');
    if (open < 0) return key;
    const close = key.indexOf('}', open + 1);
    return close > open + 1 ? key.slice(open + 1, close) : key;
}

const anyInput = fc.oneof(anyCardId, nastyValue, oddString, fc.string({ unit: anyCodePoint, maxLength: 70 }));
const safePrefix = fc.oneof(
    fc.constantFrom('', DEFAULT_KEY_PREFIX, 'a', 'site-1/gate:pass:'),
    fc.string({ unit: fc.constantFrom(...'abcXYZ09_.:-/'.split('')), maxLength: 64 }),
);
/** Prefixes as an editor field might hold them: only those checkKeyPrefix lets through are used. */
const typedPrefix = fc.oneof(safePrefix, oddString).filter((prefix) => {
    try {
        checkKeyPrefix(prefix);
        return true;
    } catch {
        return false;
    }
});

/**
 * Two values to use as card ids: mostly real ones, often one the other with digits added (where
 * a key layout would run together first), and a few of anything, so that the pair is usually two
 * different accepted cards.
 */
const cardPair: fc.Arbitrary<[unknown, unknown]> = fc.oneof(
    { arbitrary: fc.tuple(spelledCardId(), spelledCardId()), weight: 4 },
    { arbitrary: fc.tuple(hexCardId({ min: 4, max: 28 }), hexCardId({ min: 1, max: 4 })).map(([id, more]): [unknown, unknown] => [id, id + more]), weight: 4 },
    { arbitrary: fc.tuple(anyInput, anyInput), weight: 1 },
);

describe('fuzz: card ids and their keys', function () {
    this.timeout(60000);

    it('normaliseCardId returns a canonical hex UID or throws InvalidCardError, for any input', function () {
        fc.assert(fc.property(anyInput, (value) => {
            const card = accepted(value);
            if (card === undefined) return;
            assert.match(card, CANONICAL);
            assert.doesNotMatch(card, KEY_BREAKERS);
        }), { seed: 7101, numRuns: 10000 });
    });

    it('accepts only ASCII hex or decimal digits between separators, so a card has one spelling', function () {
        // Unicode ligatures such as U+FB00 "ﬀ" upper-case to "FF": they must not become a card id.
        fc.assert(fc.property(fc.oneof(anyInput, fc.constantFrom('\uFB00\uFB00', 'ab\uFB00', '\uFB00\uFB00\uFB00\uFB00')), (value) => {
            const card = accepted(value);
            if (card === undefined || typeof value !== 'string') return;
            assert.match(value.replace(/[:\-\s]/g, ''), /^[0-9A-Fa-f]+$/, `${JSON.stringify(value)} was accepted as ${card}`);
        }), { seed: 7102, numRuns: 5000 });
    });

    it('every way of writing a card id gives the same canonical id, and normalising twice changes nothing', function () {
        fc.assert(fc.property(hexCardId().chain((id) => fc.tuple(fc.constant(id), spelledCardId(fc.constant(id)))), ([id, spelled]) => {
            assert.equal(normaliseCardId(spelled), id);
            assert.equal(normaliseCardId(normaliseCardId(spelled)), id);
        }), { seed: 7103, numRuns: 5000 });
    });

    it('the refusal names the value in a few hundred characters at most, whatever its size', function () {
        fc.assert(fc.property(anyInput, (value) => {
            try {
                normaliseCardId(value);
            } catch (err) {
                assert.ok((err as Error).message.length <= 300, `message of ${(err as Error).message.length} chars`);
            }
        }), { seed: 7104, numRuns: 5000 });
    });

    it('keys built for an accepted card start with the prefix and stay in the pass key\'s hash slot', function () {
        fc.assert(fc.property(typedPrefix, anyInput, validOperationId, validOperationId, (prefix, value, op, gate) => {
            const card = accepted(value);
            if (card === undefined) return;
            const keys = cardKeys(prefix, card);
            assert.ok(keys.pass.startsWith(prefix));
            assert.equal(keys.pass, prefix + card);
            assert.match(keys.pass.slice(prefix.length), CANONICAL, 'nothing after the prefix but the card');
            for (const key of [keys.record(`tap:${op}`), keys.record(`sale:${op}`), keys.repeat(gate)]) {
                assert.ok(key.startsWith(`{${prefix}`), `${key} starts with the tagged prefix`);
                assert.equal(hashTag(key), keys.pass, `${key} hashes with ${keys.pass}`);
            }
            assert.notEqual(keys.pass, DEFAULT_STREAM);
        }), { seed: 7105, numRuns: 5000 });
    });

    it('two different cards never share a key', function () {
        fc.assert(fc.property(safePrefix, cardPair, validOperationId, (prefix, [a, b], op) => {
            const x = accepted(a);
            const y = accepted(b);
            if (x === undefined || y === undefined || x === y) return;
            const keysOf = (card: string) => {
                const k = cardKeys(prefix, card);
                return [k.pass, k.record(`tap:${op}`), k.repeat(op)];
            };
            const mine = new Set(keysOf(x));
            assert.deepEqual(keysOf(y).filter((key) => mine.has(key)), []);
        }), { seed: 7106, numRuns: 3000 });
    });

    it('key prefixes and operation ids that are accepted cannot open or close a hash tag or hold a glob', function () {
        fc.assert(fc.property(fc.oneof(oddString, validOperationId, safePrefix), (text) => {
            for (const check of [() => checkKeyPrefix(text), () => checkOperationId(text, 'id')]) {
                let ok = true;
                try {
                    check();
                } catch {
                    ok = false;
                }
                if (ok) assert.doesNotMatch(text, KEY_BREAKERS_BUT_COLON, JSON.stringify(text));
            }
        }), { seed: 7107, numRuns: 5000 });
    });
});
