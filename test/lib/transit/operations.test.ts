// The operations fold: figures per minute within a window aged by Redis's clock, bounded
// whatever the stream holds. The times are taken from the shared Redis's TIME, as the
// node takes them, never from a calendar date or Node's clock.
import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../../support/global-redis';
import { redisNowMs } from '../../support/redis-time';
import { mergeJournals, MINUTE_MS, minuteOf, OperationsEntry, OperationsFold, OTHER } from '../../../nodes/lib/transit/operations';

/** Stream ids at `ms`, with a sequence so that entries in one ms stay distinct. */
let seq = 0;
const at = (ms: number, channel: string, event: unknown, source?: string): OperationsEntry => ({ id: `${ms}-${seq++}`, channel, event, source });
const used = (ms: number, gate: string) => at(ms, 'pass-used:TEN_TRIP', { cardSerialNumber: '04A1B2C3', gate }, gate);
const sold = (ms: number, type: string, label?: string) =>
    at(ms, `pass-issued:${type}`, { cardSerialNumber: '04A1B2C3', pass: { passType: type, ...(label ? { label } : {}) }, terminal: 't1' }, 't1');
const denied = (ms: number, reason?: string) => at(ms, 'pass-denied', { cardSerialNumber: '04A1B2C3', ...(reason ? { reason } : {}) }, 'g1');

describe('OperationsFold', function () {
    /** The start of a minute on Redis's clock, a few seconds in (so that "+ 1 s" stays in it). */
    let base: number;

    before(async function () {
        const redis = new Redis(sharedRedis().port);
        base = minuteOf(await redisNowMs(redis)) + 5000;
        await redis.quit();
    });

    it('counts entries per gate per minute, with a zero for every quiet minute of the window', function () {
        const fold = new OperationsFold({ windowMinutes: 3 });
        fold.advance(base);
        fold.add(used(base - 2 * MINUTE_MS, 'g2'));
        fold.add(used(base - 2 * MINUTE_MS + 1000, 'g2'));
        fold.add(used(base, 'g1'));
        const m = minuteOf(base);
        assert.deepStrictEqual(fold.entriesPerMinute(), [
            { time: m - 2 * MINUTE_MS, gate: 'g1', count: 0 }, { time: m - 2 * MINUTE_MS, gate: 'g2', count: 2 },
            { time: m - MINUTE_MS, gate: 'g1', count: 0 }, { time: m - MINUTE_MS, gate: 'g2', count: 0 },
            { time: m, gate: 'g1', count: 1 }, { time: m, gate: 'g2', count: 0 },
        ]);
        assert.deepStrictEqual(fold.counts(), { entries: 3, sales: 0, denials: 0 });
    });

    it('names products by label, else by the original words, else by type; a denial without a reason is no-pass', function () {
        const fold = new OperationsFold();
        fold.advance(base);
        fold.add(sold(base, 'TEN_TRIP'));
        fold.add(sold(base, 'TEN_TRIP'));
        fold.add(sold(base, 'FIVE_TRIP', 'five trip'));
        fold.add(sold(base, 'NIGHT'));
        fold.add(denied(base));
        fold.add(denied(base, 'expired'));
        fold.add(denied(base, 'repeat-tap'));
        fold.add(denied(base, 'repeat-tap'));
        assert.deepStrictEqual(fold.salesPerProduct(), [
            { product: 'NIGHT', count: 1 }, { product: 'five trip', count: 1 }, { product: 'ten trip', count: 2 },
        ]);
        assert.deepStrictEqual(fold.denialsPerReason(), [
            { reason: 'expired', count: 1 }, { reason: 'no-pass', count: 1 }, { reason: 'repeat-tap', count: 2 },
        ]);
    });

    it('keeps each gate\'s and terminal\'s last event, activations included', function () {
        const fold = new OperationsFold();
        fold.advance(base);
        fold.add(sold(base - 1000, 'TWO_HOUR'));
        fold.add(at(base, 'pass-activated:TWO_HOUR', { gate: 'g1' }, 'g1'));
        fold.add(used(base, 'g1'));
        fold.add(denied(base + 10, 'expired'));
        assert.deepStrictEqual(fold.streamDevices(), [
            { id: 'g1', kind: 'gate', lastEvent: base + 10, lastChannel: 'pass-denied', lastReason: 'expired' },
            { id: 't1', kind: 'terminal', lastEvent: base - 1000, lastChannel: 'pass-issued:TWO_HOUR' },
        ]);
    });

    it('counts each gate\'s replayed offline decisions, overuses and unpaid rides, as entries and denials too', function () {
        const fold = new OperationsFold({ windowMinutes: 2 });
        fold.advance(base);
        const offline = (ms: number, channel: string, gate: string, extra: Record<string, unknown> = {}) =>
            at(ms, channel, { cardSerialNumber: '04A1B2C3', gate, offline: true, ...extra }, gate);
        fold.add(offline(base - MINUTE_MS, 'pass-used:TWO_HOUR', 'g1'));
        fold.add(offline(base - MINUTE_MS, 'pass-activated:TWO_HOUR', 'g1'));
        fold.add(offline(base, 'pass-denied', 'g1', { reason: 'blocked' }));
        assert.strictEqual(fold.add(offline(base, 'pass-overused', 'g1', { reason: 'no-pass' })), true);
        assert.strictEqual(fold.add(offline(base, 'pass-unpaid', 'g2', { reason: 'expired' })), true);
        fold.add(used(base, 'g3'));
        fold.add(at(base, 'pass-used:TEN_TRIP', { gate: 'g3', offline: 'yes' }, 'g3'));
        assert.deepStrictEqual(fold.offlinePerGate(), [
            { gate: 'g1', offline: 3, overused: 1, unpaid: 0 },
            { gate: 'g2', offline: 1, overused: 0, unpaid: 1 },
        ]);
        // The replayed grant is an entry and the replayed denial a denial; an overuse is neither.
        assert.deepStrictEqual(fold.counts(), { entries: 3, sales: 0, denials: 1 });
        assert.deepStrictEqual(fold.streamDevices().map((d) => [d.id, d.lastChannel, d.lastReason]),
            [['g1', 'pass-overused', 'no-pass'], ['g2', 'pass-unpaid', 'expired'], ['g3', 'pass-used:TEN_TRIP', undefined]]);

        fold.advance(base + MINUTE_MS);
        assert.deepStrictEqual(fold.offlinePerGate()[0], { gate: 'g1', offline: 2, overused: 1, unpaid: 0 }, 'the older minute left');
        fold.advance(base + 2 * MINUTE_MS);
        assert.deepStrictEqual(fold.offlinePerGate(), []);
    });

    it('merges this Node-RED\'s journals with the offline decisions the stream shows', function () {
        const journal = (pending: number, replaying = false) => ({ pending, replayed: 4, overused: 1, replaying });
        const rows = mergeJournals([
            { id: 'g2', kind: 'gate', connection: 'disconnected', journal: journal(7) },
            { id: 'g2', kind: 'gate', connection: 'connected', journal: journal(0) },
            { id: 'g3', kind: 'gate', connection: 'connected', journal: journal(2, true) },
            { id: 'g4', kind: 'gate', connection: 'connected' },
            { id: 't1', kind: 'terminal', connection: 'connected' },
        ], [{ gate: 'g1', offline: 5, overused: 1, unpaid: 0 }, { gate: 'g3', offline: 2, overused: 0, unpaid: 1 }]);
        assert.deepStrictEqual(rows, [
            { gate: 'g1', offline: 5, overused: 1, unpaid: 0, local: false, pending: null, replayed: null, replaying: null },
            { gate: 'g2', offline: 0, overused: 0, unpaid: 0, local: true, pending: 7, replayed: 4, replaying: false },
            { gate: 'g3', offline: 2, overused: 0, unpaid: 1, local: true, pending: 2, replayed: 4, replaying: true },
        ]);
    });

    it('drops what leaves the window as Redis\'s clock moves on, and ignores what is older', function () {
        const fold = new OperationsFold({ windowMinutes: 60 });
        fold.advance(base);
        assert.strictEqual(fold.add(used(base - 59 * MINUTE_MS, 'early')), true, 'the oldest minute of the window');
        assert.strictEqual(fold.add(used(base - 60 * MINUTE_MS, 'older')), false, 'a minute before the window');
        fold.add(sold(base, 'SINGLE_USE'));
        fold.add(used(base, 'late'));
        assert.deepStrictEqual(new Set(fold.entriesPerMinute().map((p) => p.gate)), new Set(['early', 'late']));
        assert.strictEqual(fold.entriesPerMinute().length, 2 * 60);

        fold.advance(base + MINUTE_MS);
        assert.deepStrictEqual(new Set(fold.entriesPerMinute().map((p) => p.gate)), new Set(['late']), 'the early gate left with its minute');
        assert.deepStrictEqual(fold.streamDevices().map((d) => d.id), ['late', 't1']);

        fold.advance(base + 60 * MINUTE_MS);
        assert.deepStrictEqual(fold.entriesPerMinute(), []);
        assert.deepStrictEqual(fold.salesPerProduct(), []);
        assert.deepStrictEqual(fold.streamDevices(), []);
        fold.advance(base);
        assert.strictEqual(fold.time, base + 60 * MINUTE_MS, 'Redis\'s clock never goes back here');
    });

    it('counts gates, products and reasons beyond the cap as "other", and makes room when they leave', function () {
        const fold = new OperationsFold({ windowMinutes: 2, maxNames: 3 });
        fold.advance(base);
        for (const gate of ['a', 'b', 'c', 'd', 'e']) fold.add(used(base - MINUTE_MS, gate));
        fold.add(used(base, 'a'));
        fold.add(used(base, 'f'));
        for (const reason of ['r1', 'r2', 'r3', 'r4']) fold.add(denied(base, reason));
        assert.deepStrictEqual([...new Set(fold.entriesPerMinute().map((p) => p.gate))], ['a', 'b', 'c', OTHER]);
        const other = fold.entriesPerMinute().filter((p) => p.gate === OTHER).map((p) => p.count);
        assert.deepStrictEqual(other, [2, 1]);
        assert.deepStrictEqual(fold.denialsPerReason().map((r) => r.reason), ['r1', 'r2', 'r3', OTHER]);
        assert.strictEqual(fold.streamDevices().filter((d) => d.kind === 'gate').length, 3, 'devices are capped too');

        fold.advance(base + MINUTE_MS);
        fold.add(used(base + MINUTE_MS, 'g'));
        assert.deepStrictEqual([...new Set(fold.entriesPerMinute().map((p) => p.gate))], ['a', 'g', OTHER]);
    });

    it('ignores admin events, unknown channels and junk, and counts a future id at "now"', function () {
        const fold = new OperationsFold();
        fold.advance(base);
        for (const channel of ['card-blocked', 'card-unblocked', 'pass-voided', 'pass-refunded', 'pass-transferred', 'something-else', '']) {
            assert.strictEqual(fold.add(at(base, channel, { cardSerialNumber: '04A1B2C3', operator: 'op-1' }, 'op-1')), false, channel);
        }
        assert.strictEqual(fold.add({ id: 'not-an-id', channel: 'pass-used:TEN_TRIP', event: {}, source: 'g' }), false);
        assert.deepStrictEqual([fold.streamDevices(), fold.counts()], [[], { entries: 0, sales: 0, denials: 0 }]);

        // Not JSON, an array, no source: counted all the same, under names that say so.
        assert.strictEqual(fold.add(at(base, 'pass-used:TEN_TRIP', 'not json')), true);
        assert.strictEqual(fold.add(at(base, 'pass-issued:', [1, 2])), true);
        assert.strictEqual(fold.add(at(base, 'pass-denied', { reason: { nested: true } }, 'x'.repeat(500))), true);
        assert.deepStrictEqual(fold.salesPerProduct(), [{ product: 'unknown', count: 1 }]);
        assert.deepStrictEqual(fold.denialsPerReason(), [{ reason: 'no-pass', count: 1 }]);
        assert.ok(fold.streamDevices().every((d) => d.id.length <= 64));

        fold.add(used(base + 365 * 86_400_000, 'forged'));
        assert.strictEqual(fold.time, base, 'an id a year ahead does not move the clock');
        assert.strictEqual(fold.entriesPerMinute().find((p) => p.gate === 'forged' && p.count > 0)?.time, minuteOf(base));
    });

    it('without Redis\'s TIME, takes "now" from the newest entry', function () {
        const fold = new OperationsFold({ windowMinutes: 1 });
        assert.deepStrictEqual(fold.entriesPerMinute(), []);
        fold.add(used(base, 'g1'));
        assert.strictEqual(fold.time, base);
        fold.add(used(base + MINUTE_MS, 'g2'));
        assert.deepStrictEqual(fold.entriesPerMinute(), [{ time: minuteOf(base) + MINUTE_MS, gate: 'g2', count: 1 }]);
    });
});
