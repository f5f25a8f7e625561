// A gate's copy of the passes against a real redis-server of its own (the tests flush and
// restart it): the full read, changes by any client showing up through CLIENT TRACKING,
// expiry, FLUSHDB, a restart, the original's layout, and the gate's ACL user.
import assert from 'assert';
import Redis from 'ioredis';
import { waitFor } from '../../support/flow';
import { RedisProcess } from '../../support/redis-process';
import { redisNowMs } from '../../support/redis-time';
import { startAclRedis } from '../../security/acl-users';
import type { ConnectionSettings } from '../../../nodes/lib/redis/client-factory';
import { RedisConnection } from '../../../nodes/lib/redis/connection';
import { CardAdmin } from '../../../nodes/lib/transit/card-admin';
import { cardKeys, DEFAULT_KEY_PREFIX, DEFAULT_STREAM, KeyLayout, storedCardId } from '../../../nodes/lib/transit/keys';
import { PassReplica } from '../../../nodes/lib/transit/replica';
import { TransitStore } from '../../../nodes/lib/transit/store';

const PREFIX = 'replica:pass:';

describe('PassReplica (real Redis)', function () {
    this.timeout(30000);
    let server: RedisProcess;
    let admin: Redis;
    const connections: RedisConnection[] = [];
    const copies: PassReplica[] = [];
    let n = 0;
    const newCard = () => `5EED${(++n).toString(16).toUpperCase().padStart(6, '0')}`;
    const key = (card: string, prefix = PREFIX) => cardKeys(prefix, card).pass;

    before(async () => {
        server = await RedisProcess.start();
        admin = new Redis(server.port);
    });
    after(async () => {
        admin.disconnect();
        await server.destroy();
    });
    afterEach(async () => {
        await Promise.all(copies.splice(0).map((c) => c.release()));
        await Promise.all(connections.splice(0).map((c) => c.close()));
        await admin.flushdb();
    });

    function connect(port = server.port, extra: Partial<ConnectionSettings> = {}): RedisConnection {
        const connection = new RedisConnection({ mode: 'standalone', host: '127.0.0.1', port, db: 0, tls: false, commandTimeout: 500, ...extra });
        connections.push(connection);
        return connection;
    }

    async function synced(connection: RedisConnection, keyPrefix = PREFIX, layout: KeyLayout = 'uid'): Promise<PassReplica> {
        const copy = PassReplica.acquire(connection, { keyPrefix, layout });
        copies.push(copy);
        await waitFor(() => copy.synced, 10000, 'the copy synced');
        return copy;
    }

    /** Waits for the copy to show a change: within a second or so, however the machine is loaded. */
    const shows = (check: () => boolean, what: string) => waitFor(check, 5000, what);

    it('loads the passes and deny entries there are, and decides from them without Redis', async function () {
        const cards = Array.from({ length: 2500 }, newCard);
        const pipeline = admin.pipeline();
        cards.forEach((card, i) => pipeline.hset(key(card), 'passType', ['SINGLE_USE', 'TEN_TRIP', 'TWO_HOUR'][i % 3], 'tripsRemaining', 10));
        pipeline.hset(cardKeys(PREFIX, cards[0]).deny, 'reason', 'lost', 'operator', 'alice', 'at', 1);
        pipeline.set(`{${key(cards[1])}}:op:tap:x`, '{}');
        pipeline.hset('elsewhere:pass:0A0B0C0D', 'passType', 'TEN_TRIP');
        await pipeline.exec();
        const copy = await synced(connect());
        assert.strictEqual(copy.size, cards.length);
        assert.strictEqual(copy.blockedCount, 1);
        assert.strictEqual(copy.truncated, false);
        assert.ok(copy.loadedAt !== undefined);
        const now = await redisNowMs(admin);
        assert.deepStrictEqual(copy.decide(cards[0], now), { granted: false, reason: 'blocked' });
        assert.deepStrictEqual(copy.decide(cards[1], now), { granted: true, passType: 'TEN_TRIP', remainingTrips: 9 });
        assert.strictEqual(copy.pass(cards[1])?.trips, 9, 'the copy took the trip');
        assert.deepStrictEqual(copy.decide(cards[3], now), { granted: true, passType: 'SINGLE_USE' });
        assert.strictEqual(copy.pass(cards[3]), undefined, 'the single trip is used up');
        assert.deepStrictEqual(copy.decide(cards[2], now), { granted: true, passType: 'TWO_HOUR', remainingTime: 7200, activated: true });
        assert.deepStrictEqual(copy.decide(newCard(), now), { granted: false, reason: 'no-pass' });
        assert.strictEqual(await admin.hget(key(cards[1]), 'tripsRemaining'), '10', 'Redis was not touched');
    });

    it('follows writes by an original-style client: HSET, EXPIRE, DEL, and expiry', async function () {
        const copy = await synced(connect());
        const card = newCard();
        await admin.hset(key(card), 'passType', 'TEN_TRIP', 'tripsRemaining', 10);
        await shows(() => copy.pass(card)?.trips === 10, 'the new pass');
        await admin.hset(key(card), 'tripsRemaining', 4);
        await shows(() => copy.pass(card)?.trips === 4, 'the changed trips');
        const two = newCard();
        await admin.hset(key(two), 'passType', 'TWO_HOUR');
        await admin.expire(key(two), 7200);
        await shows(() => (copy.pass(two)?.expireAt ?? Infinity) < Infinity, "the original gate's EXPIRE");
        const now = await redisNowMs(admin);
        const d = copy.decide(two, now);
        assert.deepStrictEqual([d.granted, d.activated], [true, false]);
        assert.ok(d.remainingTime! > 7190 && d.remainingTime! <= 7200, String(d.remainingTime));
        await admin.del(key(card));
        await shows(() => copy.pass(card) === undefined, 'the deleted pass gone');
        const brief = newCard();
        await admin.hset(key(brief), 'passType', 'SINGLE_USE');
        await shows(() => copy.pass(brief) !== undefined, 'the brief pass');
        await admin.pexpire(key(brief), 100);
        await shows(() => copy.pass(brief) === undefined, 'the expired pass gone');
        await admin.set(key(brief), 'not a hash');
        await shows(() => copy.decide(brief, now).reason === 'corrupt-pass', 'a corrupt value');
    });

    it("follows our own scripts: a sale, taps, a block and an unblock", async function () {
        const store = new TransitStore(admin, { keyPrefix: PREFIX, stream: 'replica:events' });
        const cards = new CardAdmin(store);
        const copy = await synced(connect());
        const card = newCard();
        await store.sell(card, 'TEN_TRIP', `s${n}`, 'terminal');
        await shows(() => copy.pass(card)?.trips === 10, 'the sold pass');
        await store.tap(card, 'gate', `t${n}`, 0);
        await shows(() => copy.pass(card)?.trips === 9, 'the tap');
        await cards.block(card, 'lost', 'alice', `b${n}`);
        await shows(() => copy.blocked(card), 'the block');
        await cards.unblock(card, 'alice', `u${n}`);
        await shows(() => !copy.blocked(card), 'the unblock');
        const to = newCard();
        await cards.transfer(card, to, 'alice', `m${n}`);
        await shows(() => copy.pass(card) === undefined && copy.pass(to)?.trips === 9, 'the transfer');
    });

    it('is shared per connection, prefix and layout, and stops with its last release', async function () {
        const connection = connect();
        const a = await synced(connection);
        const b = PassReplica.acquire(connection, { keyPrefix: PREFIX, layout: 'uid' });
        copies.push(b);
        assert.strictEqual(a, b);
        const other = await synced(connection, 'other:pass:');
        assert.notStrictEqual(a, other);
        const trackers = async () => (await admin.client('LIST') as string).split('\n').filter((l) => / redir=\d+ /.test(l)).length;
        assert.strictEqual(await trackers(), 2);
        await copies.splice(0).reduce((p, c) => p.then(() => c.release()), Promise.resolve());
        await waitFor(async () => (await trackers()) === 0, 5000, 'the tracking clients gone');
    });

    it('empties on FLUSHDB and keeps following writes after it; a flush of another database leaves it as it was', async function () {
        await admin.hset(key(newCard()), 'passType', 'SINGLE_USE');
        const copy = await synced(connect());
        assert.strictEqual(copy.size, 1);
        const other = new Redis({ port: server.port, db: 1 });
        await other.hset(key(newCard()), 'passType', 'SINGLE_USE');
        let reread = 0;
        copy.on('synced', () => reread++);
        await other.flushdb();
        other.disconnect();
        await waitFor(() => reread === 1 && copy.synced, 5000, 'the copy read again');
        assert.strictEqual(copy.size, 1);
        await admin.flushdb();
        await shows(() => copy.size === 0, 'the copy emptied');
        const card = newCard();
        await admin.hset(key(card), 'passType', 'SINGLE_USE');
        await shows(() => copy.pass(card) !== undefined, 'a pass written after the flush');
    });

    it('keeps deciding from its copy while Redis is away, and reads everything again when it is back', async function () {
        const own = await RedisProcess.start();
        try {
            const client = new Redis(own.port);
            client.on('error', () => undefined);
            const kept = newCard();
            await client.hset(key(kept), 'passType', 'TEN_TRIP', 'tripsRemaining', 10);
            const copy = await synced(connect(own.port));
            let stale = 0;
            copy.on('stale', () => stale++);
            const now = await redisNowMs(client);
            await own.stop();
            await waitFor(() => !copy.synced, 5000, 'the copy stale');
            assert.strictEqual(stale, 1);
            assert.deepStrictEqual(copy.decide(kept, now + 1000), { granted: true, passType: 'TEN_TRIP', remainingTrips: 9 });
            await own.start(); // empty: the test server keeps nothing on disk
            const fresh = newCard();
            await client.hset(key(fresh), 'passType', 'SINGLE_USE');
            await waitFor(() => copy.synced, 15000, 'the copy synced again');
            await shows(() => copy.pass(fresh) !== undefined && copy.pass(kept) === undefined, 'the copy read again');
            client.disconnect();
        } finally {
            await Promise.all(copies.splice(0).map((c) => c.release()));
            await own.destroy();
        }
    });

    it("in the original's layout holds the bare card numbers only, whatever else the database holds", async function () {
        const uids = ['04A1B2C3', '0A0B0C0D', '04112233445566'];
        const numbers = uids.map((uid) => storedCardId(uid, 'original'));
        for (const number of numbers) await admin.hset(number, 'passType', 'TEN_TRIP', 'tripsRemaining', 10);
        await admin.hset(`{${numbers[0]}}:deny`, 'reason', 'lost');
        await admin.set(`{${numbers[1]}}:op:tap:x`, '{}');
        await admin.set('mycounter', 5);
        // An original camera's picture: its key is the time it was taken, in seconds.
        await admin.hset(`image:${Math.floor(Date.now() / 1000)}`, 'lux', 3);
        await admin.hset('42', 'passType', 'TEN_TRIP'); // a number no card reads as
        await admin.hset(key('0A0B0C0E'), 'passType', 'TEN_TRIP'); // the uid layout's
        const copy = await synced(connect(), '', 'original');
        assert.strictEqual(copy.size, 3);
        assert.ok(copy.blocked(numbers[0]));
        const later = storedCardId('01020304', 'original');
        await admin.hset(later, 'passType', 'SINGLE_USE');
        await admin.set('mycounter', 6);
        await shows(() => copy.pass(later) !== undefined, 'a pass written later');
        assert.strictEqual(copy.size, 4);
    });

    it('refuses a Redis Cluster with a clear error', function () {
        const cluster = connect(server.port, { mode: 'cluster' });
        assert.throws(() => PassReplica.acquire(cluster, { keyPrefix: PREFIX, layout: 'uid' }), /offline known-passes needs a standalone or Sentinel Redis/);
    });

    it("works logged in as the example ACL file's gate user", async function () {
        const acl = await startAclRedis();
        try {
            const operator = new CardAdmin(new TransitStore(acl.clientAs('admin'), { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM }));
            const store = new TransitStore(acl.clientAs('admin'), { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM });
            const card = newCard();
            await store.sell(card, 'TEN_TRIP', `s${n}`, 'terminal');
            const copy = await synced(connect(acl.redis.port, { username: 'gate', password: acl.passwords.gate }), DEFAULT_KEY_PREFIX);
            assert.strictEqual(copy.pass(card)?.trips, 10);
            await store.tap(card, 'gate', `t${n}`, 0);
            await shows(() => copy.pass(card)?.trips === 9, 'the tap');
            await operator.block(card, 'lost', 'alice', `b${n}`);
            await shows(() => copy.blocked(card), 'the block');
            assert.strictEqual(copy.lastError, undefined, copy.lastError?.message);
        } finally {
            await Promise.all(copies.splice(0).map((c) => c.release()));
            await Promise.all(connections.splice(0).map((c) => c.close()));
            await acl.stop();
        }
    });
});
