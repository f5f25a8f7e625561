// transit-monitor under 1,000 generated stream entries. The monitor has no input: what it
// reads is the event stream, which anything with access to Redis can write to. Entries with
// missing or odd fields, JSON that is not an event (pollution keys, objects whose toString
// cannot run, deep nesting) and junk wake-ups on the pass-* channels must each give exactly
// one message, in order, and none may stop the monitor from reading the entries after it.
import assert from 'assert/strict';
import fc from 'fast-check';
import { FlowNode, serverNode, statusOf, waitFor } from '../support/flow';
import { oddString, POLLUTION_KEYS, SHADOW_KEYS } from './arbitraries';
import { assertKeysMatch, describeValue, fuzzFlow, fuzzReporter, fuzzSuite, literal, loadFuzzFlow, OutcomeTracker } from './harness';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const monitorModule = require('../../nodes/transit-monitor/transit-monitor');

const STREAM = 'fuzz:events';
const GROUP = 'fuzz-monitor';

const channel = fc.oneof(
    fc.constantFrom('pass-issued:SINGLE_USE', 'pass-issued:TEN_TRIP', 'pass-used:TEN_TRIP', 'pass-used:TWO_HOUR', 'pass-activated:TWO_HOUR',
        'pass-denied', 'pass-denied:x:y', 'pass-', ':', '', 'constructor', '__proto__'),
    oddString.filter((s) => s.length < 1000),
);

const oddJsonValue = fc.constantFrom('{"toString":1}', '{"toString":{"toString":1},"valueOf":null}', '{"valueOf":1,"toString":[]}', '{"__proto__":{"fuzzPolluted":"yes"}}',
    '{"constructor":{"prototype":{"fuzzPolluted":"yes"}}}', 'null', '[]', '[1,2]', '"text"', '1e999', '-0', 'true', '{}', `"${'x'.repeat(5000)}"`);
const eventField = fc.constantFrom('cardSerialNumber', 'pass', 'remainingTrips', 'remainingTime', 'reason', 'gate', 'terminal', ...POLLUTION_KEYS, ...SHADOW_KEYS);
/** Event JSON, written as text so that keys such as "__proto__" and "toString" really are in it. */
const eventJson = fc.oneof(
    fc.array(fc.tuple(eventField, fc.oneof(oddJsonValue, fc.json({ maxDepth: 2 }), fc.constantFrom('"SINGLE_USE"', '"TEN_TRIP"', '3', '0', '"repeat-tap"', '"expired"',
        '"hasOwnProperty"', '{"passType":"TEN_TRIP","tripsRemaining":{"toString":1}}', '{"passType":{"toString":1}}'))), { maxLength: 5 })
        .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    oddJsonValue,
    fc.json({ maxDepth: 3 }),
    fc.integer({ min: 100, max: 20000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    oddString.filter((s) => s.length < 5000),
);
const fieldName = fc.oneof(fc.constantFrom('channel', 'event', 'source', 'op', ...POLLUTION_KEYS, ...SHADOW_KEYS), fc.string({ maxLength: 8 }));
/** The flat field list of one XADD: the monitor's own layout with odd values, or any fields at all. */
const entry: fc.Arbitrary<Array<string | Buffer>> = fc.oneof(
    fc.tuple(channel, eventJson, oddString.filter((s) => s.length < 200), oddString.filter((s) => s.length < 200))
        .map(([c, e, source, op]) => ['channel', c, 'event', e, 'source', source, 'op', op]),
    fc.tuple(channel, eventJson).map(([c, e]) => ['channel', c, 'event', e]),
    fc.array(fc.tuple(fieldName, fc.oneof(oddString.filter((s) => s.length < 2000), fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)))), { minLength: 1, maxLength: 5 })
        .map((pairs) => pairs.flat()),
);

/** The monitor under test on the suite's Redis, with its output wired to a spare helper as well. */
function monitorFlow(port: number): FlowNode[] {
    const flow = fuzzFlow({ type: 'transit-monitor', server: 'redis-test', stream: STREAM, group: GROUP }, 1, [serverNode(port, { timeout: 5000 })]);
    // A second wire makes Node-RED copy every message, as a dashboard beside a debug node would.
    (flow.find((n) => n.id === 'dut') as unknown as { wires: string[][] }).wires[0].push('spare');
    flow.push({ id: 'spare', type: 'helper', z: 'tab' });
    return flow;
}

describe('fuzz: transit-monitor', function () {
    this.timeout(120000);
    const ctx = fuzzSuite({ redis: true });

    it('sends exactly one message for each of 1,000 generated stream entries, in order, and keeps reading', async function () {
        await loadFuzzFlow([serverModule, monitorModule], monitorFlow(ctx.port));
        await waitFor(async () => (await ctx.redis.exists(STREAM)) === 1, 10000, 'the consumer group');
        const tracker = new OutcomeTracker(1);
        const fromStream = () => tracker.unsolicited.filter((u) => u.msg.original !== true);
        const expected: Array<{ id: string; fields: Array<string | Buffer> }> = [];
        // Text on the original channels that names no gate or terminal of ours is what an
        // original device sent: each is shown once too, marked original.
        const published: string[] = [];

        await fc.assert(fc.asyncProperty(fc.array(entry, { minLength: 8, maxLength: 8 }), fc.array(oddString.filter((s) => s.length < 500), { maxLength: 2 }), async (entries, wakeUps) => {
            const pipeline = ctx.redis.pipeline();
            for (const fields of entries) pipeline.xadd(STREAM, '*', ...fields);
            const replies = await pipeline.exec();
            replies?.forEach(([err, id], i) => {
                assert.ifError(err);
                expected.push({ id: String(id), fields: entries[i] });
            });
            // Junk on the original channels, then a wake-up as the transit scripts send them
            // (a gate's event, whose stream entry is what gets shown) and on the stream's channel.
            for (const text of wakeUps) {
                const channel = `pass-${text.slice(0, 40)}`;
                published.push(Buffer.from(channel).toString()); // as Redis gives it back (lone surrogates become U+FFFD)
                await ctx.redis.publish(channel, text);
            }
            await ctx.redis.publish('pass-used:TEN_TRIP', '{"gate":"g"}');
            await ctx.redis.publish(STREAM, 'pass-denied');
            await waitFor(() => tracker.unsolicited.length >= expected.length + published.length, 10000,
                `messages for the entries, the first missing being ${describeValue(expected[fromStream().length]?.fields)}`);
        }), { seed: 5701, numRuns: 125, endOnFailure: true, asyncReporter: fuzzReporter(5701) });

        assert.ok(expected.length >= 1000);
        await tracker.quiet();
        assert.deepEqual(fromStream().map((u) => u.msg.eventId), expected.map((e) => e.id), 'one message per entry, in order');
        const originals = tracker.unsolicited.filter((u) => u.msg.original === true);
        assert.deepEqual(originals.map((u) => u.msg.topic), published, 'one message per original device event, in order');
        originals.forEach(({ msg }) => assert.equal(typeof msg.text, 'string'));
        fromStream().forEach(({ port, msg }, i) => {
            // As Redis gives them back: text that is not well-formed UTF-16 or UTF-8 comes back with U+FFFD.
            const flat = expected[i].fields.map((f) => Buffer.from(f).toString());
            assert.equal(port, 0);
            assert.equal(msg.topic, lastValue(flat, 'channel'), `topic of ${describeValue(flat)}`);
            assert.equal(typeof msg.text, 'string');
            assert.ok(['info', 'warn', 'alert'].includes(String(msg.level)));
        });
        const pending = await ctx.redis.xpending(STREAM, GROUP) as [number, ...unknown[]];
        assert.equal(pending[0], 0, 'every entry acknowledged');
        assert.notEqual(statusOf('dut').fill, 'red');
        await assertKeysMatch(ctx.redis, [new RegExp(`^${literal(STREAM)}$`)]);
    });

    it('shows entries it cannot describe or copy once each, acknowledges them, and goes on to the entries after them', async function () {
        this.timeout(30000);
        await ctx.redis.flushdb(); // a fresh stream and group: the fuzz above has been unloaded
        await loadFuzzFlow([serverModule, monitorModule], monitorFlow(ctx.port));
        await waitFor(async () => (await ctx.redis.exists(STREAM)) === 1, 10000, 'the consumer group');
        const tracker = new OutcomeTracker(1);
        const ids = [
            await ctx.redis.xadd(STREAM, '*', 'channel', 'pass-denied', 'event', '{"cardSerialNumber":{"toString":1}}'),
            await ctx.redis.xadd(STREAM, '*', 'channel', 'pass-used:TEN_TRIP', 'event', `${'['.repeat(5000)}${']'.repeat(5000)}`),
            await ctx.redis.xadd(STREAM, '*', 'channel', 'pass-denied', 'event', '{"cardSerialNumber":"04A1B2C3","reason":"no-pass"}'),
        ];
        await ctx.redis.publish(STREAM, 'pass-denied');
        await waitFor(() => tracker.unsolicited.length >= 3, 10000, 'three messages');
        await tracker.quiet();
        assert.deepEqual(tracker.unsolicited.map((u) => [u.msg.eventId, u.msg.level]), [[ids[0], 'warn'], [ids[1], 'warn'], [ids[2], 'alert']]);
        assert.equal(tracker.unsolicited[2].msg.text, 'Card 04A1B2C3 tried to start a journey without a valid pass!');
        assert.equal(((await ctx.redis.xpending(STREAM, GROUP)) as [number])[0], 0, 'all acknowledged');
    });
});

/** The value of the last `name` field in a flat field list (a repeated field keeps its last value, as the reader does). */
function lastValue(flat: string[], name: string): string {
    let value = '';
    for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] === name) value = flat[i + 1];
    return value;
}
