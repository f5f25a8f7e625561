// TAP_SCRIPT replaying taps a gate decided offline: charged once, dated when taken (within
// the outage), refusals reported as overuse (known-passes) or unpaid rides (open).
import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../../support/global-redis';
import { cardKeys } from '../../../nodes/lib/transit/keys';
import { ReplayedDecision, TransitStore } from '../../../nodes/lib/transit/store';
import { TWO_HOUR_MS } from '../../../nodes/lib/transit/pass-types';

const PREFIX = 'replay:pass:';
const STREAM = 'replay:events';

describe('TAP_SCRIPT replaying offline decisions (real Redis)', function () {
    let redis: Redis;
    let store: TransitStore;
    let n = 0;
    const card = () => `5EED${(++n).toString(16).toUpperCase().padStart(4, '0')}`;
    const redisNow = async () => {
        const [s, us] = await redis.time();
        return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    };
    /** A grant the gate made `agoMs` before Redis's now, having last seen Redis a minute before that. */
    const granted = async (agoMs: number, policy: ReplayedDecision['policy'] = 'known-passes'): Promise<ReplayedDecision> => {
        const at = (await redisNow()) - agoMs;
        return { at, floor: at - 60000, granted: true, policy };
    };
    /** The stream's events for an operation (tap id). */
    const eventsOf = async (tapId: string) => (await redis.xrange(STREAM, '-', '+'))
        .map(([, f]) => ({ channel: f[1], event: JSON.parse(f[3]), op: f[7] })).filter((e) => e.op === tapId);

    before(() => {
        redis = new Redis(sharedRedis().port);
        store = new TransitStore(redis, { keyPrefix: PREFIX, stream: STREAM });
    });
    after(() => redis.quit());

    it('charges a replayed grant once, however often it is replayed, and says it was offline', async function () {
        const id = card();
        await store.sell(id, 'TEN_TRIP', `s-${id}`, 't');
        const offline = await granted(5000);
        const first = await store.tap(id, 'gate-a', `t-${id}`, 10000, offline);
        const again = await store.tap(id, 'gate-a', `t-${id}`, 10000, offline);
        assert.deepStrictEqual(again, first);
        assert.strictEqual(first.granted, true);
        assert.strictEqual(first.offline, true);
        assert.strictEqual(first.at, offline.at);
        assert.strictEqual(await redis.hget(PREFIX + id, 'tripsRemaining'), '9');
        const events = await eventsOf(`t-${id}`);
        assert.deepStrictEqual(events.map((e) => e.channel), ['pass-used:TEN_TRIP']);
        assert.strictEqual(events[0].event.offline, true);
        // A replay sets no repeat marker: a live tap right after is not a repeat.
        assert.strictEqual(await redis.exists(cardKeys(PREFIX, id).repeat('gate-a')), 0);
    });

    it('activates a two-hour pass at its first offline tap, running since then', async function () {
        const id = card();
        await store.sell(id, 'TWO_HOUR', `s-${id}`, 't');
        const offline = await granted(10 * 60000);
        const decision = await store.tap(id, 'gate-a', `t-${id}`, 0, offline);
        assert.strictEqual(decision.activated, true);
        assert.strictEqual(decision.remainingTime, TWO_HOUR_MS / 1000);
        assert.strictEqual(Number(await redis.hget(PREFIX + id, 'activatedAt')), offline.at);
        const pttl = await redis.pttl(PREFIX + id);
        assert.ok(pttl <= TWO_HOUR_MS - 10 * 60000 && pttl > TWO_HOUR_MS - 11 * 60000, `pttl ${pttl}`);
    });

    it('grants a pass valid at the tap that ran out before the replay, and removes it', async function () {
        const id = card();
        await store.sell(id, 'TWO_HOUR', `s-${id}`, 't');
        const offline = await granted(TWO_HOUR_MS + 1000);
        const decision = await store.tap(id, 'gate-a', `t-${id}`, 0, offline);
        assert.strictEqual(decision.granted, true);
        assert.strictEqual(await redis.exists(PREFIX + id), 0);
    });

    it('takes a ride on a time pass that ran out (and was deleted) after the tap as valid, not as an overuse', async function () {
        const [lapsed, voided] = [card(), card()];
        const offline = await granted(5000);
        // The copy had both valid until after the tap; Redis no longer has either pass.
        const lapsedAt = { ...offline, passType: 'TWO_HOUR', validUntil: offline.at + 2000 };
        const decision = await store.tap(lapsed, 'gate-a', `t-${lapsed}`, 0, lapsedAt);
        assert.deepStrictEqual([decision.granted, decision.lapsed, decision.overused], [true, true, undefined]);
        assert.strictEqual(await redis.exists(cardKeys(PREFIX, lapsed).deny), 0);
        const events = await eventsOf(`t-${lapsed}`);
        assert.deepStrictEqual(events.map((e) => [e.channel, e.event.offline]), [['pass-used:TWO_HOUR', true]]);
        // Still valid now by the copy's word, yet gone from Redis (voided meanwhile): not a lapse.
        const stillValid = { ...offline, passType: 'TWO_HOUR', validUntil: offline.at + 3600000 };
        assert.strictEqual((await store.tap(voided, 'gate-a', `t-${voided}`, 0, stillValid)).overused, true);
    });

    it('reports a single-use pass admitted at two offline gates once, as overuse, and blocks the card', async function () {
        const id = card();
        await store.sell(id, 'SINGLE_USE', `s-${id}`, 't');
        const first = await store.tap(id, 'gate-a', `a-${id}`, 0, await granted(3000));
        const second = await store.tap(id, 'gate-b', `b-${id}`, 0, await granted(2000));
        const retried = await store.tap(id, 'gate-b', `b-${id}`, 0, await granted(2000));
        assert.strictEqual(first.granted, true);
        assert.strictEqual(second.granted, false);
        assert.strictEqual(second.overused, true);
        assert.strictEqual(second.reason, 'no-pass');
        assert.deepStrictEqual(retried, second);
        const deny = await redis.hgetall(cardKeys(PREFIX, id).deny);
        assert.strictEqual(deny.reason, 'overused');
        assert.strictEqual(deny.operator, 'gate-b');
        const events = await eventsOf(`b-${id}`);
        assert.deepStrictEqual(events.map((e) => e.channel), ['pass-overused']);
        assert.deepStrictEqual(events[0].event, { cardSerialNumber: id, reason: 'no-pass', gate: 'gate-b', offline: true });
        // The live gate now refuses the card until staff clear it.
        assert.strictEqual((await store.tap(id, 'gate-a', `live-${id}`, 0)).reason, 'blocked');
    });

    it('records an offline denial without charging the pass Redis holds', async function () {
        const id = card();
        await store.sell(id, 'TEN_TRIP', `s-${id}`, 't');
        const at = (await redisNow()) - 1000;
        const decision = await store.tap(id, 'gate-a', `t-${id}`, 0, { at, floor: at, granted: false, reason: 'no-pass', policy: 'known-passes' });
        assert.strictEqual(decision.granted, false);
        assert.strictEqual(decision.reason, 'no-pass');
        assert.strictEqual(await redis.hget(PREFIX + id, 'tripsRemaining'), '10');
        const events = await eventsOf(`t-${id}`);
        assert.deepStrictEqual(events.map((e) => [e.channel, e.event.offline, e.event.reason]), [['pass-denied', true, 'no-pass']]);
    });

    it('records a rider the open gate let in without a pass as unpaid, without blocking the card', async function () {
        const id = card();
        const decision = await store.tap(id, 'gate-a', `t-${id}`, 0, await granted(1000, 'open'));
        assert.strictEqual(decision.unpaid, true);
        assert.strictEqual(decision.overused, undefined);
        assert.strictEqual(await redis.exists(cardKeys(PREFIX, id).deny), 0);
        assert.deepStrictEqual((await eventsOf(`t-${id}`)).map((e) => e.channel), ['pass-unpaid']);
    });

    it('dates a tap within the outage whatever the gate clock said', async function () {
        const ahead = card();
        const behind = card();
        await store.sell(ahead, 'TWO_HOUR', `s-${ahead}`, 't');
        await store.sell(behind, 'TWO_HOUR', `s-${behind}`, 't');
        const before = await redisNow();
        // A gate clock a day ahead: dated no later than Redis's now at the replay.
        const late = await store.tap(ahead, 'gate-a', `t-${ahead}`, 0, { at: before + 86400000, floor: before - 5000, granted: true, policy: 'known-passes' });
        assert.ok(late.at >= before && late.at <= (await redisNow()), `dated ${late.at - before} ms after the replay began`);
        // A gate clock a day behind: dated no earlier than when the gate last saw Redis.
        const floor = before - 5000;
        const early = await store.tap(behind, 'gate-a', `t-${behind}`, 0, { at: before - 86400000, floor, granted: true, policy: 'known-passes' });
        assert.strictEqual(early.at, floor);
        assert.strictEqual(Number(await redis.hget(PREFIX + behind, 'activatedAt')), floor);
    });

    it('honours a block made after the offline tap, and reports one made before it', async function () {
        const later = card();
        const earlier = card();
        await store.sell(later, 'TEN_TRIP', `s-${later}`, 't');
        await store.sell(earlier, 'TEN_TRIP', `s-${earlier}`, 't');
        const offline = await granted(5000);
        const now = await redisNow();
        await redis.hset(cardKeys(PREFIX, later).deny, 'reason', 'lost', 'operator', 'staff', 'at', now);
        await redis.hset(cardKeys(PREFIX, earlier).deny, 'reason', 'stolen', 'operator', 'staff', 'at', offline.at - 1000);
        assert.strictEqual((await store.tap(later, 'gate-a', `t-${later}`, 0, offline)).granted, true);
        assert.strictEqual(await redis.hget(PREFIX + later, 'tripsRemaining'), '9');
        const refused = await store.tap(earlier, 'gate-a', `t-${earlier}`, 0, offline);
        assert.strictEqual(refused.overused, true);
        assert.strictEqual(refused.reason, 'blocked');
        // The staff's reason stays.
        assert.strictEqual(await redis.hget(cardKeys(PREFIX, earlier).deny, 'reason'), 'stolen');
    });

    it('reports an overuse when Redis refused the tap live but its answer was lost and the gate let the rider in', async function () {
        const id = card();
        const live = await store.tap(id, 'gate-a', `t-${id}`, 0);
        assert.strictEqual(live.reason, 'no-pass');
        const replayed = await store.tap(id, 'gate-a', `t-${id}`, 0, await granted(10));
        const again = await store.tap(id, 'gate-a', `t-${id}`, 0, await granted(10));
        assert.strictEqual(replayed.overused, true);
        assert.deepStrictEqual(again, replayed);
        assert.strictEqual(await redis.hget(cardKeys(PREFIX, id).deny, 'reason'), 'overused');
        assert.deepStrictEqual((await eventsOf(`t-${id}`)).map((e) => e.channel), ['pass-denied', 'pass-overused']);
    });

    it('gives back the decision Redis made live when the gate replays the same tap id', async function () {
        const id = card();
        await store.sell(id, 'SINGLE_USE', `s-${id}`, 't');
        const live = await store.tap(id, 'gate-a', `t-${id}`, 0);
        const replayed = await store.tap(id, 'gate-a', `t-${id}`, 0, await granted(10));
        assert.deepStrictEqual(replayed, live);
        assert.strictEqual(replayed.overused, undefined);
        assert.strictEqual((await eventsOf(`t-${id}`)).length, 1);
    });
});
