// Which keys a counter may use: any a user may type, but none that could be mistaken for a
// pattern or a channel. The editor checks the same rule (test/nodes/editor-rules.test.ts).

export const COUNTER_KEY = /^[^\s*?[\]{}]{1,256}$/;

export function checkCounterKey(key: unknown): string {
    // Text only: a test() would turn a list into "a,b", and ioredis spreads a list into
    // arguments (a reset would delete every key listed). Lone surrogates go out as U+FFFD,
    // which would make different settings the same key.
    if (typeof key !== 'string' || !COUNTER_KEY.test(key) || /\p{Surrogate}/u.test(key)) throw new Error(`invalid key ${JSON.stringify(key)}`);
    return key;
}
