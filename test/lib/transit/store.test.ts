import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../../support/global-redis';
import { TransitStore } from '../../../nodes/lib/transit/store';

describe('TransitStore (real Redis)', function () {
    let redis: Redis;
    let store: TransitStore;
    let n = 0;
    const card = () => `C0FFEE${(++n).toString(16).toUpperCase().padStart(4, '0')}`;

    before(() => {
        redis = new Redis(sharedRedis().port);
        store = new TransitStore(redis, { keyPrefix: 'test:pass:', stream: 'test:events' });
    });
    after(() => redis.quit());

    describe('sell', function () {
        it('writes the original fields and publishes pass-issued on the original channel', async function () {
            const sub = new Redis(sharedRedis().port);
            const got: Array<[string, string]> = [];
            sub.on('message', (ch, m) => got.push([ch, m]));
            await sub.subscribe('pass-issued:TEN_TRIP');
            const id = card();
            const sale = await store.sell(id, 'TEN_TRIP', 's1', 'terminal-1');
            assert.strictEqual(sale.sold, true);
            const pass = await redis.hgetall(`test:pass:${id}`);
            assert.strictEqual(pass.passType, 'TEN_TRIP');
            assert.strictEqual(pass.tripsRemaining, '10');
            await new Promise((r) => setTimeout(r, 50));
            assert.strictEqual(got.length, 1);
            const event = JSON.parse(got[0][1]);
            assert.deepStrictEqual(event.cardSerialNumber, id);
            assert.deepStrictEqual(event.pass, { passType: 'TEN_TRIP', tripsRemaining: 10 });
            await sub.quit();
        });

        it('refuses a card that already has a pass and leaves that pass untouched', async function () {
            const id = card();
            await store.sell(id, 'TEN_TRIP', 's2', 't');
            await redis.hset(`test:pass:${id}`, 'tripsRemaining', '3');
            const again = await store.sell(id, 'SINGLE_USE', 's3', 't');
            assert.strictEqual(again.sold, false);
            assert.strictEqual(again.reason, 'card-already-has-pass');
            assert.deepStrictEqual(await redis.hmget(`test:pass:${id}`, 'passType', 'tripsRemaining'), ['TEN_TRIP', '3']);
        });

        it('answers a retried sale id with the first decision', async function () {
            const id = card();
            const first = await store.sell(id, 'SINGLE_USE', 'retry-1', 't');
            const second = await store.sell(id, 'SINGLE_USE', 'retry-1', 't');
            assert.deepStrictEqual(second, first);
            assert.strictEqual(second.sold, true);
        });

        it('works with an empty prefix: the original bare card-id keys', async function () {
            const bare = new TransitStore(redis, { keyPrefix: '', stream: 'test:events' });
            const id = card();
            await bare.sell(id, 'TWO_HOUR', 'bare-1', 't');
            assert.strictEqual(await redis.hget(id, 'passType'), 'TWO_HOUR');
            await redis.del(id);
        });
    });

    describe('tap', function () {
        it('single use: grants once, then no-pass', async function () {
            const id = card();
            await store.sell(id, 'SINGLE_USE', `s-${id}`, 't');
            const a = await store.tap(id, 'g1', `t1-${id}`, 0);
            const b = await store.tap(id, 'g1', `t2-${id}`, 0);
            assert.strictEqual(a.granted, true);
            assert.strictEqual(b.granted, false);
            assert.strictEqual(b.reason, 'no-pass');
            assert.strictEqual(await redis.exists(`test:pass:${id}`), 0);
        });

        it('ten trip: counts down to 0, deletes at zero and never goes below', async function () {
            const id = card();
            await store.sell(id, 'TEN_TRIP', `s-${id}`, 't');
            const left: number[] = [];
            for (let i = 0; i < 11; i++) {
                const d = await store.tap(id, 'g1', `t${i}-${id}`, 0);
                if (d.granted) left.push(d.remainingTrips as number);
            }
            assert.deepStrictEqual(left, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
            assert.strictEqual(await redis.exists(`test:pass:${id}`), 0);
        });

        it('ten trip event keeps the original shape (pre-ride trips as a string)', async function () {
            const id = card();
            await store.sell(id, 'TEN_TRIP', `s-${id}`, 't');
            const before = await redis.xrevrange('test:events', '+', '-', 'COUNT', 1);
            await store.tap(id, 'g1', `t-${id}`, 0);
            const [entry] = await redis.xrevrange('test:events', '+', '-', 'COUNT', 1);
            assert.notStrictEqual(entry[0], before[0]?.[0]);
            const fields = Object.fromEntries(chunk(entry[1]));
            assert.strictEqual(fields.channel, 'pass-used:TEN_TRIP');
            const event = JSON.parse(fields.event);
            assert.deepStrictEqual(event.pass, { passType: 'TEN_TRIP', tripsRemaining: '10' });
            assert.strictEqual(event.remainingTrips, 9);
        });

        it('two hour: activates on first use with the server clock, then reports time left', async function () {
            const id = card();
            await store.sell(id, 'TWO_HOUR', `s-${id}`, 't');
            const first = await store.tap(id, 'g1', `a-${id}`, 0);
            assert.strictEqual(first.activated, true);
            assert.strictEqual(first.remainingTime, 7200);
            const ttl = await redis.pttl(`test:pass:${id}`);
            assert.ok(ttl > 7190000 && ttl <= 7200000, `ttl ${ttl}`);
            const second = await store.tap(id, 'g1', `b-${id}`, 0);
            assert.strictEqual(second.granted, true);
            assert.strictEqual(second.activated, false);
            assert.ok((second.remainingTime as number) <= 7200);
        });

        it('two hour: refuses once the two hours are over', async function () {
            const id = card();
            await store.sell(id, 'TWO_HOUR', `s-${id}`, 't');
            const [secs] = await redis.time();
            // Activated two hours and one second ago, as if Redis had not yet expired the key.
            await redis.hset(`test:pass:${id}`, 'activatedAt', (Number(secs) - 7201) * 1000);
            await redis.pexpire(`test:pass:${id}`, 60000);
            const d = await store.tap(id, 'g1', `x-${id}`, 0);
            assert.strictEqual(d.granted, false);
            assert.strictEqual(d.reason, 'expired');
            assert.strictEqual(await redis.exists(`test:pass:${id}`), 0);
        });

        it('two hour pass activated by the original gate (TTL only) keeps its TTL', async function () {
            const id = card();
            await redis.hset(`test:pass:${id}`, 'passType', 'TWO_HOUR');
            await redis.expire(`test:pass:${id}`, 600);
            const d = await store.tap(id, 'g1', `o-${id}`, 0);
            assert.strictEqual(d.granted, true);
            assert.strictEqual(d.activated, false);
            assert.ok((d.remainingTime as number) <= 600 && (d.remainingTime as number) > 590);
        });

        it('repeat tap at the same gate inside the window is denied and charges nothing', async function () {
            const id = card();
            await store.sell(id, 'TEN_TRIP', `s-${id}`, 't');
            assert.strictEqual((await store.tap(id, 'g1', `r1-${id}`, 5000)).granted, true);
            const again = await store.tap(id, 'g1', `r2-${id}`, 5000);
            assert.strictEqual(again.reason, 'repeat-tap');
            assert.strictEqual(await redis.hget(`test:pass:${id}`, 'tripsRemaining'), '9');
            // Another gate is not affected by gate 1's window.
            assert.strictEqual((await store.tap(id, 'g2', `r3-${id}`, 5000)).granted, true);
        });

        for (const cluster of [false, true]) {
            it(`keeps a repeat tap off the original channels, in the stream with its reason, and wakes monitors on the stream's channel${cluster ? ' (Cluster outbox)' : ''}`, async function () {
                // On pass-denied the original monitor prints "tried to start a journey without a valid pass!".
                const stream = `test:events:quiet:${cluster}`;
                const quietStore = new TransitStore(redis, { keyPrefix: 'test:pass:', stream, cluster });
                const sub = new Redis(sharedRedis().port);
                const heard: string[] = [];
                sub.on('pmessage', (_p: string, ch: string) => heard.push(ch));
                sub.on('message', (ch: string, m: string) => heard.push(`${ch} <- ${m}`));
                await sub.psubscribe('pass-*');
                await sub.subscribe(stream);
                const id = card();
                await quietStore.sell(id, 'TEN_TRIP', `s-${id}`, 't');
                await quietStore.tap(id, 'g1', `q1-${id}`, 5000);
                assert.strictEqual((await quietStore.tap(id, 'g1', `q2-${id}`, 5000)).reason, 'repeat-tap');
                await quietStore.tap(card(), 'g1', `q3-${id}`, 5000);
                await new Promise((r) => setTimeout(r, 100));
                assert.deepStrictEqual(heard, ['pass-issued:TEN_TRIP', 'pass-used:TEN_TRIP', `${stream} <- pass-denied`, 'pass-denied']);
                const entries = await redis.xrange(stream, '-', '+');
                const denials = entries.filter(([, f]) => f[1] === 'pass-denied').map(([, f]) => JSON.parse(f[3]).reason);
                assert.deepStrictEqual(denials, ['repeat-tap', 'no-pass']);
                await sub.quit();
            });
        }

        it('a retried tap id is answered from the record and never charged twice', async function () {
            const id = card();
            await store.sell(id, 'TEN_TRIP', `s-${id}`, 't');
            const a = await store.tap(id, 'g1', `same-${id}`, 0);
            const b = await store.tap(id, 'g1', `same-${id}`, 0);
            assert.deepStrictEqual(b, a);
            assert.strictEqual(await redis.hget(`test:pass:${id}`, 'tripsRemaining'), '9');
        });

        it('corrupted passes and wrong-type keys are denied, not crashed on, and left for inspection', async function () {
            const cases: Array<[string, (key: string) => Promise<unknown>]> = [
                ['unknown type', (k) => redis.hset(k, 'passType', 'GOLD')],
                ['no type', (k) => redis.hset(k, 'foo', 'bar')],
                ['bad trips', (k) => redis.hset(k, 'passType', 'TEN_TRIP', 'tripsRemaining', 'lots')],
                ['negative trips', (k) => redis.hset(k, 'passType', 'TEN_TRIP', 'tripsRemaining', '-2')],
                ['string key', (k) => redis.set(k, 'hello')],
                ['list key', (k) => redis.rpush(k, 'a')],
            ];
            for (const [what, make] of cases) {
                const id = card();
                await make(`test:pass:${id}`);
                const d = await store.tap(id, 'g1', `c-${id}`, 0);
                assert.strictEqual(d.granted, false, what);
                assert.strictEqual(d.reason, 'corrupt-pass', what);
                assert.strictEqual(await redis.exists(`test:pass:${id}`), 1, what);
            }
        });

        it('a decision that reaches Redis after its deadline changes nothing', async function () {
            const id = card();
            await store.sell(id, 'TEN_TRIP', `s-${id}`, 't');
            const [secs] = await redis.time();
            const late = new TransitStore(redis, { keyPrefix: 'test:pass:', stream: 'test:events', deadline: () => Number(secs) * 1000 - 1 });
            await assert.rejects(late.tap(id, 'g1', `late-${id}`, 0), /too late/);
            await assert.rejects(late.sell(card(), 'SINGLE_USE', `late-s-${id}`, 't'), /too late/);
            assert.strictEqual(await redis.hget(`test:pass:${id}`, 'tripsRemaining'), '10');
            assert.strictEqual(await redis.exists(`{test:pass:${id}}:op:tap:late-${id}`), 0);
            // The same tap id can still be used once Redis answers in time.
            assert.strictEqual((await store.tap(id, 'g1', `late-${id}`, 0)).remainingTrips, 9);
        });

        it('rejects ids that could address other keys', async function () {
            await assert.rejects(store.tap('AB12', 'g1', 'x}{y', 0), /invalid tap id/);
            await assert.rejects(store.tap('AB12', 'g 1', 'x', 0), /invalid gate id/);
            assert.throws(() => new TransitStore(redis, { keyPrefix: 'a{b}', stream: 's' }), /invalid key prefix/);
        });
    });

    describe('replicas to confirm (WAIT)', function () {
        it('answers a grant or sale no replica confirmed as not replicated, and a denial as it is', async function () {
            // The shared test Redis has no replica: WAIT 1 confirms nothing.
            const waiting = new TransitStore(redis, { keyPrefix: 'test:pass:', stream: 'test:events', replicas: 1, replicaTimeout: 20 });
            const sold = card();
            await assert.rejects(waiting.sell(sold, 'TEN_TRIP', `w-s-${sold}`, 't'), { name: 'NotReplicatedError' });
            await assert.rejects(waiting.tap(sold, 'g1', `w-t-${sold}`, 0), { name: 'NotReplicatedError' });
            assert.strictEqual((await waiting.tap(card(), 'g1', 'w-none', 0)).reason, 'no-pass');
        });

        it('reports a refused WAIT (a Redis user without it) as that error, not as unavailable', async function () {
            const user = `no-wait-${process.pid}`;
            await redis.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-wait');
            const limited = new Redis({ port: sharedRedis().port, username: user, password: 'pw' });
            try {
                const waiting = new TransitStore(limited, { keyPrefix: 'test:pass:', stream: 'test:events', replicas: 1, replicaTimeout: 20 });
                await assert.rejects(waiting.sell(card(), 'TEN_TRIP', `nw-${user}`, 't'), { name: 'ReplyError', message: /NOPERM/ });
            } finally {
                limited.disconnect();
                await redis.call('ACL', 'DELUSER', user);
            }
        });
    });
});

function chunk(flat: string[]): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
    return out;
}
