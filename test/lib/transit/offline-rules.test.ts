// The offline rules against the real TAP_SCRIPT: for each pass state, the state is read
// from Redis as the gate's copy reads it, the real script decides a tap, and the rules
// decide the same tap at the script's own moment (its `at`, Redis's clock). The decisions
// must agree field by field, and the state the rules leave must be what Redis then holds.
import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../../support/global-redis';
import { redisNowMs } from '../../support/redis-time';
import { CardAdmin } from '../../../nodes/lib/transit/card-admin';
import { cardKeys } from '../../../nodes/lib/transit/keys';
import { decide } from '../../../nodes/lib/transit/offline-rules';
import { TWO_HOUR_MS } from '../../../nodes/lib/transit/pass-types';
import { Interner, PassState, isRedisInteger, luaNumber } from '../../../nodes/lib/transit/pass-state';
import { Product } from '../../../nodes/lib/transit/products';
import { readKeys } from '../../../nodes/lib/transit/replica-reader';
import { TransitStore } from '../../../nodes/lib/transit/store';

const PREFIX = 'rules:pass:';

describe('offline rules: the same decisions as TAP_SCRIPT (real Redis)', function () {
    let redis: Redis;
    let store: TransitStore;
    const strings = new Interner();
    let n = 0;
    const newCard = () => `0FF1CE${(++n).toString(16).toUpperCase().padStart(4, '0')}`;
    const key = (card: string) => cardKeys(PREFIX, card).pass;

    before(() => {
        redis = new Redis(sharedRedis().port);
        store = new TransitStore(redis, { keyPrefix: PREFIX, stream: 'rules:events' });
    });
    after(() => redis.quit());

    async function read(card: string): Promise<PassState | undefined> {
        const [r] = await readKeys(redis, [{ key: key(card), held: { kind: 'pass', card } }], strings);
        return r.kind === 'pass' ? r.pass : undefined;
    }

    /** The copy's expiry errs early by the read pipeline's run: a few ms. */
    function sameState(actual: PassState | undefined, expected: PassState | undefined, what: string): void {
        if (!actual || !expected) return assert.strictEqual(actual, expected, what);
        const { expireAt: a, ...restA } = actual;
        const { expireAt: e, ...restE } = expected;
        assert.deepStrictEqual(restA, restE, what);
        if (a === Infinity || e === Infinity) assert.strictEqual(a, e, `${what}: expiry`);
        else assert.ok(Math.abs(a - e) <= 20, `${what}: expiry ${a} vs ${e}`);
    }

    /** One tap decided by both; returns the real decision. */
    async function tapBoth(card: string, what: string) {
        const before = await read(card);
        const blocked = (await redis.exists(cardKeys(PREFIX, card).deny)) === 1;
        const real = await store.tap(card, 'rules-gate', `t${++n}`, 0);
        const ruled = decide(before, blocked, real.at, TWO_HOUR_MS);
        const fields: Partial<typeof real> = { ...real };
        for (const name of ['card', 'gate', 'tapId', 'at'] as const) delete fields[name];
        assert.deepStrictEqual(ruled.decision, fields, `${what}: the decision`);
        const expected = ruled.next === undefined ? before : ruled.next ?? undefined;
        sameState(await read(card), expected, `${what}: the state after`);
        return real;
    }

    /** Taps until the pass is gone (or `max` taps), each decided by both. */
    async function tapUntilGone(card: string, what: string, max = 12): Promise<number> {
        let granted = 0;
        for (let i = 0; i < max; i++) {
            const d = await tapBoth(card, `${what} #${i + 1}`);
            if (d.granted) granted += 1;
            if (!(await redis.exists(key(card)))) break;
        }
        await tapBoth(card, `${what}, after`);
        return granted;
    }

    async function sold(product: Product | 'SINGLE_USE' | 'TEN_TRIP' | 'TWO_HOUR'): Promise<string> {
        const card = newCard();
        assert.strictEqual((await store.sell(card, product, `s${n}`, 'rules-terminal')).sold, true);
        return card;
    }

    async function written(fields: Record<string, string | number>, pexpireMs?: number): Promise<string> {
        const card = newCard();
        await redis.hset(key(card), fields);
        if (pexpireMs) await redis.pexpire(key(card), pexpireMs);
        return card;
    }

    it('the original three as sold, each tapped until used up', async function () {
        assert.strictEqual(await tapUntilGone(await sold('SINGLE_USE'), 'single'), 1);
        assert.strictEqual(await tapUntilGone(await sold('TEN_TRIP'), 'ten trip'), 10);
        const twoHour = await sold('TWO_HOUR');
        assert.strictEqual((await tapBoth(twoHour, 'two hour, first ride')).activated, true);
        assert.strictEqual((await tapBoth(twoHour, 'two hour, second ride')).activated, false);
    });

    it('passes written by the original terminal and gate: plain HSET, and a two-hour pass the original gate started with EXPIRE only', async function () {
        assert.strictEqual(await tapUntilGone(await written({ passType: 'TEN_TRIP', tripsRemaining: 3 }), 'original ten trip'), 3);
        await tapUntilGone(await written({ passType: 'SINGLE_USE' }), 'original single');
        // 0.3 s past a whole second: rounding the seconds left any way but up shows.
        const started = await written({ passType: 'TWO_HOUR' }, 7_200_300);
        const d = await tapBoth(started, 'two hour started by the original gate');
        assert.deepStrictEqual([d.granted, d.activated], [true, false]);
        assert.ok(d.remainingTime === 7201 || d.remainingTime === 7200, String(d.remainingTime));
        await tapBoth(await written({ passType: 'TEN_TRIP', tripsRemaining: 1 }), 'the last trip');
    });

    it('catalogue passes: rides only, validity from the sale, from the first use, and both', async function () {
        const product = (id: string, rides: number, validity: number, starts: 'sale' | 'first-use'): Product => ({ id, label: id.toLowerCase(), rides, validity, starts });
        assert.strictEqual(await tapUntilGone(await sold(product('FIVE', 5, 0, 'sale')), 'rides only'), 5);
        const day = await sold(product('DAY', 0, 86400, 'sale'));
        for (let i = 0; i < 3; i++) await tapBoth(day, `day pass #${i}`);
        const week = await sold(product('WEEK', 0, 7 * 86400, 'first-use'));
        assert.strictEqual((await tapBoth(week, 'week, first ride')).activated, true);
        await tapBoth(week, 'week, second ride');
        assert.strictEqual(await tapUntilGone(await sold(product('TWO_IN_HOUR', 2, 3600, 'first-use')), 'rides and time'), 2);
        assert.strictEqual(await tapUntilGone(await sold(product('THREE_TODAY', 3, 86400, 'sale')), 'rides and time from sale'), 3);
    });

    it('expired passes are denied and deleted', async function () {
        const now = await redisNowMs(redis);
        const used = await written({ passType: 'WEEK', label: 'week', rides: 0, validity: 604800, starts: 'first-use', activatedAt: now - 604800_000 - 5000 });
        assert.strictEqual((await tapBoth(used, 'first-use validity over')).reason, 'expired');
        const old = await written({ passType: 'DAY', rides: 0, validity: 86400, starts: 'sale', expiresAt: now - 1000 });
        assert.strictEqual((await tapBoth(old, 'sale validity over, key kept')).reason, 'expired');
        const twoHour = await written({ passType: 'TWO_HOUR', activatedAt: now - TWO_HOUR_MS - 1 });
        assert.strictEqual((await tapBoth(twoHour, 'two hour over')).reason, 'expired');
        assert.strictEqual(await redis.exists(key(used), key(old), key(twoHour)), 0);
    });

    it('corrupt records, and numbers as Lua reads them', async function () {
        const corrupt: Array<Record<string, string | number>> = [
            { tripsRemaining: 5 },
            { passType: 'MONTHLY' },
            { passType: 'TEN_TRIP' },
            { passType: 'TEN_TRIP', tripsRemaining: 'abc' },
            { passType: 'TEN_TRIP', tripsRemaining: 0 },
            { passType: 'TEN_TRIP', tripsRemaining: '2.5' },
            { passType: 'TEN_TRIP', tripsRemaining: 'nan' },
            { passType: 'FIVE', rides: 'x', validity: 0, starts: 'sale', tripsRemaining: 5 },
            { passType: 'FIVE', rides: 5, validity: 0, starts: 'never', tripsRemaining: 5 },
            { passType: 'FIVE', rides: 0, validity: 0, starts: 'sale' },
            { passType: 'DAY', rides: 0, validity: 86400, starts: 'sale' },
            { rides: 2, validity: 0, starts: 'sale', tripsRemaining: 2 },
        ];
        for (const fields of corrupt) assert.strictEqual((await tapBoth(await written(fields), JSON.stringify(fields))).reason, 'corrupt-pass');
        const notHash = newCard();
        await redis.set(key(notHash), 'x');
        assert.strictEqual((await tapBoth(notHash, 'a string')).reason, 'corrupt-pass');
        await redis.del(key(notHash));
        await redis.rpush(key(notHash), 'a');
        assert.strictEqual((await tapBoth(notHash, 'a list')).reason, 'corrupt-pass');
        // Lua's tonumber takes these; the decisions must still agree.
        const odd: Array<Record<string, string | number>> = [
            { passType: 'TEN_TRIP', tripsRemaining: '1.0' },
            { passType: 'THREE', rides: '0x3', validity: ' 1e3 ', starts: 'first-use', tripsRemaining: 3 },
            { passType: 'DAY', label: '', rides: 0, validity: '86400', starts: 'sale', expiresAt: `${(await redisNowMs(redis)) + 60_000}.5` },
        ];
        for (const fields of odd) await tapUntilGone(await written(fields), JSON.stringify(fields), 4);
    });

    it('where the script fails rather than decides, the copy denies as corrupt-pass', async function () {
        const failing: Array<Record<string, string | number>> = [
            { passType: 'TEN_TRIP', tripsRemaining: '5.0' },
            { passType: 'WEEK', rides: 0, validity: 60, starts: 'first-use', activatedAt: 'nan' },
        ];
        for (const fields of failing) {
            const card = await written(fields);
            const before = await read(card);
            await assert.rejects(store.tap(card, 'rules-gate', `t${++n}`, 0), /./, JSON.stringify(fields));
            assert.deepStrictEqual(decide(before, false, await redisNowMs(redis), TWO_HOUR_MS).decision, { granted: false, reason: 'corrupt-pass' });
        }
    });

    it('a blocked card (with a pass, or none) and a card with no pass', async function () {
        const admin = new CardAdmin(store);
        const withPass = await sold('TEN_TRIP');
        await admin.block(withPass, 'lost', 'alice', `b${n}`);
        const d = await tapBoth(withPass, 'blocked with a pass');
        assert.strictEqual(d.reason, 'blocked');
        assert.strictEqual(await redis.hget(key(withPass), 'tripsRemaining'), '10');
        const without = newCard();
        await admin.block(without, 'stolen', 'alice', `b${n}`);
        assert.strictEqual((await tapBoth(without, 'blocked without a pass')).reason, 'blocked');
        assert.strictEqual((await tapBoth(newCard(), 'no pass')).reason, 'no-pass');
    });

    it('reads numbers as Lua 5.1 does', function () {
        const cases: Array<[string, number | undefined]> = [['10', 10], [' 3 ', 3], ['1.', 1], ['.5', 0.5], ['1e3', 1000], ['0x1A', 26], ['-0x10', -16],
            ['0x1p4', 16], ['inf', Infinity], ['-Infinity', -Infinity], ['', undefined], ['abc', undefined], ['1e', undefined], ['0x', undefined], ['5 x', undefined]];
        for (const [text, value] of cases) assert.strictEqual(luaNumber(text), value, JSON.stringify(text));
        assert.ok(Number.isNaN(luaNumber('nan')));
        assert.deepStrictEqual(['10', '0', '-3', '5.0', ' 5', '+5', '05', '9223372036854775808'].map(isRedisInteger), [true, true, true, false, false, false, false, false]);
    });
});
