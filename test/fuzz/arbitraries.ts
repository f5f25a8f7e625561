// Generators of hostile input for the fuzz suite: wrong types, huge and odd strings,
// prototype-pollution keys, Buffers where text belongs, NaN/Infinity/-0, deep and circular
// objects. Each node's test mixes these with the valid inputs it knows, so the happy paths
// are exercised too and a bad value sits next to good ones, as in a real flow.
import fc from 'fast-check';
import { normaliseCardId } from '../../nodes/lib/card-id';

/** Keys that have polluted Object.prototype through other libraries' merges and parsers. */
export const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Keys a JSON body can use to shadow Object.prototype's methods on a plain object. */
export const SHADOW_KEYS = ['toString', 'valueOf', 'hasOwnProperty', 'toJSON', 'then', 'length'] as const;

/** The property these generators try to plant on Object.prototype; the harness checks it never appears. */
export const POLLUTION_MARK = 'fuzzPolluted';

/** Strings that mean something to some layer: Redis, globs, paths, format strings, markup, Unicode edge cases. */
const NASTY_STRINGS: readonly string[] = [
    '', ' ', '\t\r\n', '\u0000', 'null', 'undefined', 'NaN', 'Infinity', '-0', '0x1F', '1e3', '  42  ', '00042', '-', '+1',
    '%s%s%s%n', '{{payload}}', '${msg}', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString',
    '*', '?', '[a-z]', '{tag}', '}{', 'a:b', '\\', '\r\nFLUSHALL\r\n', '*1\r\n$8\r\nFLUSHALL\r\n', 'KEYS *',
    '../../etc/passwd', '/dev/zero', '/dev/zero.wav', '/etc/passwd', '/', '//', '/../x.wav', 'C:\\x.wav', 'file:///etc/passwd',
    '\u202Eevil', '\uFEFF', '\uD800', '\uDC00\uD800', '\uFB00\uFB00', 'ß', 'İ', 'ǅ', '٠١٢٣', '１２３４', 'ＡＢＣＤ', 'e\u0301',
    '\u{1F44D}\u{1F3FD}', '\u2028\u2029', '\u00A0', '\u3000', '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE x; --", 'SINGLE_USE\u0000', 'increment\u0000', 'TEN_TRIP ', ' chime', 'CHIME',
];

/** A long string of one repeated piece: megabytes cost nothing to generate this way. */
const hugeString: fc.Arbitrary<string> = fc
    .tuple(fc.constantFrom('A', 'ab', '0', 'ß', '\u{1F44D}', '\u0000', '{', '*'), fc.integer({ min: 1000, max: 300_000 }))
    .map(([piece, times]) => piece.repeat(times));

/**
 * Any code point, lone surrogates included. (fast-check's 'binary' unit does the same but
 * builds a table of all 1.1 million code points first, which costs a second per process.)
 */
export const anyCodePoint: fc.Arbitrary<string> = fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp));

export const oddString: fc.Arbitrary<string> = fc.oneof(
    { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 4 },
    { arbitrary: fc.string({ unit: anyCodePoint, maxLength: 40 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }), weight: 1 },
    { arbitrary: fc.string({ maxLength: 80 }), weight: 2 },
    { arbitrary: hugeString, weight: 1 },
);

export const oddNumber: fc.Arbitrary<number> = fc.oneof(
    fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1,
        Number.MIN_SAFE_INTEGER - 1, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, 1e21, 2 ** 63, -(2 ** 63), 0.1 + 0.2),
    fc.double(),
    fc.integer(),
    fc.maxSafeInteger(),
);

export const oddBuffer: fc.Arbitrary<Buffer> = fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    oddString.filter((s) => s.length < 2000).map((s) => Buffer.from(s)),
    fc.constant(Buffer.alloc(0)),
    fc.integer({ min: 100_000, max: 1_000_000 }).map((n) => Buffer.alloc(n, 0x41)),
);

/** An object whose keys really are own properties, `__proto__` included (as JSON.parse makes them). */
export function ownProperties(entries: Array<[string, unknown]>, proto: object | null = Object.prototype): Record<string, unknown> {
    const target = Object.create(proto) as Record<string, unknown>;
    for (const [key, value] of entries) {
        Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return target;
}

/** Objects built to pollute a prototype if anything merges or assigns them carelessly. */
export const pollutingObject: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
    fc.constantFrom(
        `{"__proto__":{"${POLLUTION_MARK}":"yes"}}`,
        `{"constructor":{"prototype":{"${POLLUTION_MARK}":"yes"}}}`,
        `{"prototype":{"${POLLUTION_MARK}":"yes"}}`,
        '{"__proto__":null}',
        '{"__proto__":[]}',
        '{"toString":1,"valueOf":1}',
        '{"toString":{"toString":1},"valueOf":null}',
        '{"hasOwnProperty":"no"}',
        '{"then":1}',
        '{"length":-1}',
        '{"type":"Buffer","data":[1,2,"x"]}',
    ).map((json) => JSON.parse(json) as Record<string, unknown>),
    fc.array(fc.tuple(fc.constantFrom(...POLLUTION_KEYS, ...SHADOW_KEYS), fc.constantFrom<unknown>(
        { [POLLUTION_MARK]: 'yes' }, null, 1, 'x', [], ownProperties([[POLLUTION_MARK, 'yes']]),
    )), { minLength: 1, maxLength: 4 }).map((entries) => ownProperties(entries)),
);

/** A chain of objects `depth` deep (JSON.parse accepts 100,000 levels; Node-RED's clone stops near 3,000). */
export function nested(depth: number, leaf: unknown = 1): unknown {
    let value: unknown = leaf;
    for (let i = 0; i < depth; i++) value = { a: value };
    return value;
}

const deepObject: fc.Arbitrary<unknown> = fc.oneof(
    fc.integer({ min: 10, max: 500 }).map((depth) => nested(depth)),
    fc.integer({ min: 3_000, max: 20_000 }).map((depth) => nested(depth)),
    fc.integer({ min: 10, max: 3_000 }).map((depth) => {
        let value: unknown = 'AB12';
        for (let i = 0; i < depth; i++) value = [value];
        return value;
    }),
);

const circularObject: fc.Arbitrary<unknown> = fc.constantFrom('object', 'array').map((kind) => {
    if (kind === 'array') {
        const array: unknown[] = [1];
        array.push(array);
        return array;
    }
    const object: Record<string, unknown> = { card: 'AB12' };
    object.self = object;
    return object;
});

function sparse(): unknown[] {
    const array: unknown[] = [];
    array[3] = 'AB12';
    return array;
}

/** Any value at all, biased towards the ones that break code: the "wrong type" in every slot. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
    { arbitrary: fc.constantFrom<unknown>(undefined, null, true, false, [], {}, Symbol('fuzz'), 10n, -1n, 2n ** 70n,
        new Date(NaN), new Date(0), () => 'AB12', new Map([['card', 'AB12']]), new Set(['AB12']), new Uint8Array([0xab, 0x12]),
        Object.create(null), sparse(), new Error('not a value'), /AB12/, new String('AB12'), new Number(1)), weight: 3 },
    { arbitrary: oddString, weight: 5 },
    { arbitrary: oddNumber, weight: 3 },
    { arbitrary: oddBuffer, weight: 2 },
    { arbitrary: pollutingObject, weight: 2 },
    { arbitrary: deepObject, weight: 1 },
    { arbitrary: circularObject, weight: 1 },
    { arbitrary: fc.anything({
        maxDepth: 3, maxKeys: 5, withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true,
        withNullPrototype: true, withObjectString: true, withTypedArray: true, withSparseArray: true, stringUnit: anyCodePoint,
        key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...POLLUTION_KEYS, ...SHADOW_KEYS)),
    }), weight: 3 },
);

/**
 * A node setting as a flow file can hold one: JSON values (an imported flow), mostly odd
 * strings and numbers. Objects whose toString cannot run are left out: Node-RED's own flow
 * parser turns every setting into a property key and fails the whole deploy on them.
 */
export const settingValue: fc.Arbitrary<unknown> = fc.oneof(
    { arbitrary: oddString.filter((s) => s.length < 5000), weight: 4 },
    { arbitrary: oddNumber, weight: 2 },
    { arbitrary: fc.constantFrom<unknown>(true, false, null, '', 'true', 'false', '0', '-1', ' 7 ', '1e3', '0x10'), weight: 2 },
    { arbitrary: fc.jsonValue({ maxDepth: 2 }).filter(convertsToText), weight: 1 },
);

function convertsToText(value: unknown): boolean {
    try {
        String(value);
        return true;
    } catch {
        return false;
    }
}

/** A setting that is usually absent (the default), sometimes valid, often odd. */
export function settingField<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
    return fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 1 },
        { arbitrary: valid as fc.Arbitrary<unknown>, weight: 2 },
        { arbitrary: settingValue, weight: 2 },
    );
}

/** A field that is usually absent, sometimes valid, often nasty. */
export function field<T>(valid: fc.Arbitrary<T>, absentWeight = 2): fc.Arbitrary<unknown> {
    return fc.oneof(
        { arbitrary: fc.constant(undefined), weight: absentWeight },
        { arbitrary: valid as fc.Arbitrary<unknown>, weight: 2 },
        { arbitrary: nastyValue, weight: 2 },
    );
}

/**
 * A message from the given field generators: a field generated as undefined is left out
 * (a missing field), and some messages carry extra top-level keys, pollution keys included,
 * as a careless change node or a JSON body copied into msg would leave them.
 */
export function message(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
    const names = Object.keys(fields);
    const extra = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...POLLUTION_KEYS, ...SHADOW_KEYS, 'req', 'res', 'error', 'parts', '_msgid2'),
        fc.string({ maxLength: 10 })), nastyValue), { maxLength: 3 });
    return fc.tuple(fc.tuple(...names.map((name) => fields[name])), fc.option(extra, { freq: 4, nil: undefined })).map(([values, more]) => {
        const entries: Array<[string, unknown]> = [];
        names.forEach((name, i) => {
            if (values[i] !== undefined) entries.push([name, values[i]]);
        });
        // Never a generated _msgid or one of the fields this node reads: the harness and the node's own generators own those.
        for (const [key, value] of more ?? []) if (!names.includes(key) && key !== '_msgid') entries.push([key, value]);
        return ownProperties(entries);
    });
}

// --- card ids -------------------------------------------------------------------------------

const HEX = '0123456789abcdefABCDEF'.split('');

/** A canonical card id: uppercase hex, 4 to 32 digits. */
export function hexCardId(lengths: { min: number; max: number } = { min: 4, max: 32 }): fc.Arbitrary<string> {
    return fc.string({ unit: fc.constantFrom(...'0123456789ABCDEF'.split('')), minLength: lengths.min, maxLength: lengths.max });
}

/** A valid card id as people and other readers write it: any case, ':' '-' or spaces between bytes. */
export function spelledCardId(canonical: fc.Arbitrary<string> = hexCardId()): fc.Arbitrary<string> {
    return fc.tuple(canonical, fc.constantFrom('', ':', '-', ' '), fc.boolean()).map(([id, separator, lower]) => {
        const spelled = (id.match(/.{1,2}/g) ?? []).join(separator);
        return lower ? spelled.toLowerCase() : spelled;
    });
}

/** Almost a card id: one character or digit too many or too few, or a key-breaking character spliced in. */
const nearCardId: fc.Arbitrary<string> = fc.oneof(
    fc.string({ unit: fc.constantFrom(...HEX), minLength: 0, maxLength: 3 }),
    fc.string({ unit: fc.constantFrom(...HEX), minLength: 33, maxLength: 70 }),
    fc.tuple(hexCardId({ min: 4, max: 30 }), fc.constantFrom('*', '?', '{', '}', '[', ']', ':op:tap:x', '}:gate:x', '\r\n', '\u0000',
        'G', 'x', '.', '/', '\\', '\u00A0', '\u202E', '\uFB00', '\u0660', '\uFF11'), fc.nat(32))
        .map(([id, inject, at]) => id.slice(0, at) + inject + id.slice(at)),
);

/** A card id in any of the ways a flow might send one, good or bad. */
export const anyCardId: fc.Arbitrary<unknown> = fc.oneof(
    { arbitrary: spelledCardId(), weight: 4 },
    { arbitrary: nearCardId, weight: 3 },
    { arbitrary: fc.maxSafeNat(), weight: 1 },
    { arbitrary: spelledCardId().map((id) => Buffer.from(id)), weight: 1 },
    { arbitrary: nastyValue, weight: 4 },
);

/** The card id the nodes make of a value (normaliseCardId), or undefined where they refuse it. */
export function acceptedCardId(value: unknown): string | undefined {
    try {
        return normaliseCardId(value);
    } catch {
        return undefined;
    }
}

// --- operation ids (tap ids, sale ids) -------------------------------------------------------

export const validOperationId: fc.Arbitrary<string> = fc.string({
    unit: fc.constantFrom(...'abcXYZ019_.:-'.split('')), minLength: 1, maxLength: 40,
});
