// redis-counter under 1,000 generated commands (increment/decrement with odd steps, reset,
// get, integers and numeric text, wrong types), and under generated key settings. A command
// ends exactly once: done() (a change is then sent by the watcher, not as an answer), an
// answer for `get`, or an error for Catch nodes. Redis only ever holds the configured key,
// as an integer; a key setting that could be a pattern is refused at deploy.
import assert from 'assert/strict';
import fc from 'fast-check';
import { integerInput } from '../../nodes/lib/counter/value';
import { FlowNode, helper, serverNode, statusOf, waitFor } from '../support/flow';
import { field, message, nastyValue, oddNumber, oddString, settingValue } from './arbitraries';
import { allKeys, assertKeysMatch, describeValue, DUT, fuzzFlow, fuzzMessages, fuzzReporter, fuzzSuite, literal, loadFuzzFlow, Msg, Outcome, OutcomeTracker, Tally } from './harness';
import { SERVER_CATALOGUE } from '../../nodes/common/redis-user';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const counterModule = require('../../nodes/redis-counter/redis-counter');

const KEY = 'fuzz:counter';
/** What Redis itself refuses: INCRBY beyond 64 bits, or a value this node will not read (beyond 2^53). */
const REDIS_REFUSALS = /overflow|not an integer|out of range|does not hold an integer/;

function integerOrUndefined(value: unknown): number | undefined {
    try {
        return integerInput(value, 'value');
    } catch {
        return undefined;
    }
}

describe('fuzz: redis-counter', function () {
    this.timeout(120000);
    const ctx = fuzzSuite({ redis: true });

    it('ends each of 1,000 generated commands exactly once and keeps Redis to the one key', async function () {
        await loadFuzzFlow([serverModule, counterModule], fuzzFlow({ type: 'redis-counter', server: 'redis-test', key: KEY, step: 1 }, 1,
            [serverNode(ctx.port, { timeout: 5000 })]));
        const tracker = new OutcomeTracker(1);
        await waitFor(() => tracker.unsolicited.length > 0, 10000, 'the initial value');
        const command = fc.oneof(
            { arbitrary: fc.constantFrom('increment', 'decrement', 'reset', 'get', ' Increment ', 'GET\n', 'DECREMENT', 'incr', 'increment\u0000'), weight: 4 },
            { arbitrary: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger(), fc.integer().map(String)), weight: 2 },
            { arbitrary: fc.constantFrom('99999999999999999999', '9007199254740993', '-0', '+5', ' 12 ', '1e3', '0x10', '١٢'), weight: 1 },
            { arbitrary: nastyValue, weight: 3 },
        );
        const step = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(Number.MAX_SAFE_INTEGER, '3', ' -2 ', '2.5', 4.5), oddNumber, oddString);
        const messages = message({ payload: command, step: field(step) });
        const kinds = new Tally();

        const check = (o: Outcome) => {
            const payload = o.sent.payload;
            const cmd = typeof payload === 'string' ? payload.trim().toLowerCase() : payload;
            const error = o.errors[0]?.error as Msg | undefined;
            if (cmd === 'get') {
                if (error) {
                    assert.match(String(error.message), REDIS_REFUSALS);
                    kinds.add('get-refused');
                    return;
                }
                assert.equal(o.outputs.length, 1, 'get is answered');
                const answer = o.outputs[0].msg;
                assert.ok(Number.isSafeInteger(answer.payload), `answer ${String(answer.payload)}`);
                assert.deepEqual([answer.topic, answer.reason], [KEY, 'get']);
                kinds.add('get');
                return;
            }
            assert.equal(o.outputs.length, 0, 'only get is answered; changes come from the watcher');
            let valid: boolean;
            if (cmd === 'increment' || cmd === 'decrement') valid = o.sent.step === undefined || integerOrUndefined(o.sent.step) !== undefined;
            else if (cmd === 'reset') valid = true;
            else valid = (typeof cmd === 'number' || (typeof cmd === 'string' && /^-?\d+$/.test(cmd))) && integerOrUndefined(cmd) !== undefined;
            if (!valid) {
                assert.ok(error, 'an invalid command is an error for Catch');
                assert.match(String(error.message), /must be an integer|bad-command/);
                kinds.add('refused');
                return;
            }
            if (error) {
                assert.match(String(error.message), REDIS_REFUSALS);
                kinds.add('redis-refused');
                return;
            }
            kinds.add(String(cmd).startsWith('increment') || String(cmd).startsWith('decrement') || cmd === 'reset' ? String(cmd) : 'set');
        };
        const sent = await fuzzMessages(tracker, { seed: 5601, runs: 125, batch: 8, messages, check });
        assert.ok(sent >= 1000);
        kinds.assertReached(['get', 'increment', 'decrement', 'reset', 'set', 'refused']);
        for (const { msg } of tracker.unsolicited) {
            assert.ok(Number.isSafeInteger(msg.payload), `change ${String(msg.payload)}`);
            assert.equal(msg.topic, KEY);
            assert.ok(['initial', 'change', 'reconnect'].includes(String(msg.reason)));
        }
        assert.ok(tracker.unsolicited.length > 10, 'changes were sent');

        const keys = await assertKeysMatch(ctx.redis, [new RegExp(`^${literal(KEY)}$`)]);
        if (keys.length) assert.match(String(await ctx.redis.get(KEY)), /^-?\d+$/);
        // Still counting.
        await ctx.redis.set(KEY, '41');
        const ids = tracker.send([{ payload: 'increment' }, { payload: 'get' }]);
        await tracker.waitEnded(ids, 10000);
        assert.equal(tracker.outcomes.get(ids[1])?.outputs[0]?.msg.payload, 42);
    });

    it('refuses a key setting that could be a pattern or channel, and writes only the keys it accepts', async function () {
        await ctx.redis.flushdb();
        const accepted = new Set<string>();
        const keySetting = fc.oneof(
            fc.constantFrom('mycounter', 'a:b', 'counter:{tag}', 'c*', 'c?', '[c]', 'two words', 'tab\there', 'new\nline', '\u00A0nbsp',
                'ünïcode', 'emoji\u{1F44D}', 'nul\u0000byte', 'x'.repeat(256), 'x'.repeat(257), '__proto__', 'constructor'),
            oddString.filter((s) => s.length < 400),
            // Text only here: the editor's key field is text (a key that is not is the test below).
            settingValue.filter((v): v is string => typeof v === 'string'),
        );
        await fc.assert(fc.asyncProperty(fc.array(keySetting, { minLength: 10, maxLength: 10 }), async (settings) => {
            await ctx.redis.flushdb();
            accepted.clear();
            const flow: FlowNode[] = [{ id: 'tab', type: 'tab' }, { ...serverNode(ctx.port, { timeout: 5000 }), z: 'tab' }];
            settings.forEach((key, i) => flow.push({ id: `c${i}`, type: 'redis-counter', z: 'tab', server: 'redis-test', key, step: 1, wires: [[]] }));
            await loadFuzzFlow([serverModule, counterModule], flow);
            for (let i = 0; i < settings.length; i++) {
                const key = settings[i];
                const effective = key || 'mycounter';
                // The node's rule, restated: 1-256 characters, none of them whitespace, a glob or a brace,
                // and no lone surrogate (Redis would store it as U+FFFD, see the test below).
                const ok = /^[^\s*?[\]{}]{1,256}$/.test(effective) && !/\p{Surrogate}/u.test(effective);
                if (ok) {
                    await waitFor(() => statusOf(`c${i}`).fill === 'green', 10000, `counter ${describeValue(key)} running`);
                    accepted.add(effective);
                    helper.getNode(`c${i}`).receive({ payload: 'increment' } as never);
                } else {
                    assert.deepEqual(statusOf(`c${i}`), { fill: 'red', shape: 'ring', text: `${SERVER_CATALOGUE}:redis-iot-server.status.bad-settings` }, `key ${describeValue(key)}`);
                }
            }
            await waitFor(async () => (await allKeys(ctx.redis)).length === accepted.size, 10000, 'one key per accepted setting');
            assert.deepEqual(await allKeys(ctx.redis), [...accepted].sort(), 'exactly the accepted keys');
            for (const key of accepted) assert.doesNotMatch(key, /[\s*?[\]{}]/);
            await helper.unload();
        }), { seed: 5602, numRuns: 12, endOnFailure: true, asyncReporter: fuzzReporter(5602) });
    });

    // Found by this suite: a key holding a lone surrogate passes the check, and goes to Redis as U+FFFD, so
    // two different settings ("\uD800", "\uDC00") count in one and the same key.
    it('refuses a key setting that is not well-formed Unicode', async function () {
        await loadFuzzFlow([serverModule, counterModule], fuzzFlow({ type: 'redis-counter', server: 'redis-test', key: 'fuzz:\uD800', step: 1 }, 1,
            [serverNode(ctx.port, { timeout: 5000 })]));
        await waitFor(() => statusOf(DUT).fill === 'red' || statusOf(DUT).fill === 'green', 10000, 'a status');
        assert.equal(statusOf(DUT).fill, 'red');
    });

    // Found by this suite: the key setting is checked with KEY.test(key), which turns a list into "a,b" text,
    // and the list then reaches ioredis, which spreads it into arguments: `reset` deletes every key listed.
    it('refuses a key setting that is not text, so that reset can never delete a second key', async function () {
        await ctx.redis.flushdb();
        await ctx.redis.set('fuzz:other', 'keep me');
        await loadFuzzFlow([serverModule, counterModule], fuzzFlow({ type: 'redis-counter', server: 'redis-test', key: ['fuzz:mine', 'fuzz:other'], step: 1 }, 1,
            [serverNode(ctx.port, { timeout: 5000 })]));
        const tracker = new OutcomeTracker(1);
        const server = helper.getNode('redis-test') as unknown as { connection?: { ready: boolean } };
        await waitFor(() => !!server.connection?.ready, 10000, 'connected');
        const [id] = tracker.send([{ payload: 'reset' }]);
        await tracker.waitEnded([id], 10000);
        assert.equal(await ctx.redis.get('fuzz:other'), 'keep me', 'reset deleted a key that is not the counter');
        assert.equal(statusOf(DUT).fill, 'red', 'a list is not a key');
    });
});
