// The example ACL file (docs/redis-users.acl) against a real redis-server that loads it:
// each device role's nodes work when their config node logs in as that role's user, and a
// plain client logged in as the same user is refused (NOPERM) what the role must not do.
// Redis 7 checks the commands a script runs too, so the refusals include scripts.
import assert from 'assert';
import fs from 'fs';
import net from 'net';
import Redis from 'ioredis';
import { catchNode, collect, FlowNode, helper, load, loggedBy, Msg, serverNode, statusOf, waitFor } from '../support/flow';
import { httpNodeModule, ServedHttpNode } from '../support/http-node';
import { TransitStore } from '../../nodes/lib/transit/store';
import { CardAdmin } from '../../nodes/lib/transit/card-admin';
import { DEFAULT_KEY_PREFIX, DEFAULT_STREAM } from '../../nodes/lib/transit/keys';
import { makeJpeg } from '../lib/images/fixtures';
import { captureScriptPicture } from '../support/original-camera';
import { ACL_FILE, AclRedis, DEVICE_USERS, startAclRedis } from './acl-users';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const saleModule = require('../../nodes/transit-sale/transit-sale');
const gateModule = require('../../nodes/transit-gate/transit-gate');
const monitorModule = require('../../nodes/transit-monitor/transit-monitor');
const operationsModule = require('../../nodes/transit-operations/transit-operations');
const counterModule = require('../../nodes/redis-counter/redis-counter');
const storeModule = require('../../nodes/redis-image-store/redis-image-store');
const galleryModule = require('../../nodes/redis-image-gallery/redis-image-gallery');

let cards = 0;
const newCard = () => `AC${Date.now().toString(16).toUpperCase()}${(++cards).toString(16).toUpperCase()}`;
const pass = (card: string) => `${DEFAULT_KEY_PREFIX}${card}`;
// A picture id in the original capture script's layout (unix seconds); only the key's name
// matters to the ACL, and nothing is stored under it.
const ORIGINAL_IMAGE_ID = String(Math.floor(Date.now() / 1000));

/** Redis's answer to a user without the command, key or channel (also from inside a script). */
const REFUSED = /NOPERM|no permissions|user executing the script can't/i;

async function refused(client: Redis, command: string, ...args: Array<string | number>): Promise<void> {
    await assert.rejects(client.call(command, ...args), REFUSED, `${command} ${args.join(' ')} should be refused`);
}

/** SUBSCRIBE and PSUBSCRIBE refusals, on a throwaway connection (a granted one would switch it to pub/sub). */
async function refusedSubscription(acl: AclRedis, user: string, command: 'subscribe' | 'psubscribe', name: string): Promise<void> {
    const client = acl.clientAs(user);
    try {
        await assert.rejects(client[command](name), REFUSED, `${command} ${name} should be refused for ${user}`);
    } finally {
        client.disconnect();
    }
}

/** One config node logged in as `user`, named after it. */
function serverFor(acl: AclRedis, user: string): { node: FlowNode; credentials: Record<string, unknown> } {
    const id = `redis-${user}`;
    return {
        node: { ...serverNode(acl.redis.port, { id }), z: 'tab' },
        credentials: { [id]: { username: user, password: acl.passwords[user] } },
    };
}

/** The message keys of the warnings and errors the helper logged for one node. */
const problemsLoggedBy = (id: string): string[] => loggedBy(id).map((e) => String(e.msg));

const last = (msgs: Msg[]) => msgs[msgs.length - 1]?.payload;

/** The first reply line to one inline command on a fresh, unauthenticated connection. */
function rawReply(port: number, command: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
        socket.setTimeout(5000, () => socket.destroy(new Error(`no reply to ${command}`)));
        socket.once('data', (data) => {
            socket.destroy();
            resolve(data.toString().split('\r\n')[0]);
        });
        socket.once('error', reject);
    });
}

describe('example Redis ACL users (docs/redis-users.acl)', function () {
    this.timeout(60000);
    let acl: AclRedis;
    let admin: Redis;

    before(async function () {
        acl = await startAclRedis();
        admin = acl.clientAs('admin');
    });
    after(async () => {
        await acl?.stop();
    });
    afterEach(() => helper.unload());

    it('is a file Redis loads as it is, with placeholder passwords only and the default user off', async function () {
        const lines = fs.readFileSync(ACL_FILE, 'utf8').split('\n').filter((l) => l.trim() !== '');
        const users = lines.map((l) => l.split(' ')[1]);
        assert.deepStrictEqual(users, ['default', 'admin', ...DEVICE_USERS]);
        for (const line of lines) {
            const user = line.split(' ')[1];
            // No real secret in the repository: each password is the placeholder for its own user.
            const passwords = line.split(' ').filter((t) => /^[>#<]/.test(t));
            assert.deepStrictEqual(passwords, user === 'default' ? [] : [`>change-me-${user}`], line);
            if (user !== 'admin') {
                assert.doesNotMatch(line, /\s(nopass|allkeys|allchannels|allcommands|~\*|&\*|\+@all|%R~\*|%W~\*)(\s|$)/, line);
            }
        }
        assert.match(lines[0], /^user default off\b/);
        const loaded = (await admin.call('ACL', 'LIST')) as string[];
        assert.deepStrictEqual(loaded.map((l) => l.split(' ')[1]).sort(), [...users].sort());
        assert.ok(loaded.some((l) => /^user default off\b/.test(l)));
    });

    it('lets nobody log in as the default user', async function () {
        // Raw RESP, so that no client library decides how AUTH is sent.
        assert.match(await rawReply(acl.redis.port, 'PING'), /^-NOAUTH/);
        assert.match(await rawReply(acl.redis.port, 'GET mycounter'), /^-NOAUTH/);
        assert.match(await rawReply(acl.redis.port, 'AUTH default ""'), /^-WRONGPASS/);
        assert.match(await rawReply(acl.redis.port, 'AUTH anything'), /^-WRONGPASS/);
        assert.match(await rawReply(acl.redis.port, 'HELLO 3 AUTH default anything'), /^-WRONGPASS/);
        assert.match(await rawReply(acl.redis.port, `AUTH admin ${acl.passwords.admin}`), /^\+OK/, 'a real user can');
    });

    it('refuses every device user the server-wide commands', async function () {
        for (const user of DEVICE_USERS) {
            const client = acl.clientAs(user);
            assert.strictEqual(await client.ping(), 'PONG', `${user} logs in`);
            await refused(client, 'FLUSHALL');
            await refused(client, 'FLUSHDB');
            await refused(client, 'CONFIG', 'SET', 'notify-keyspace-events', '');
            await refused(client, 'CONFIG', 'GET', 'requirepass');
            await refused(client, 'KEYS', '*');
            await refused(client, 'DEBUG', 'SLEEP', '0');
            await refused(client, 'SHUTDOWN', 'NOSAVE');
            await refused(client, 'ACL', 'LIST');
            await refused(client, 'ACL', 'SETUSER', user, '+@all');
            await refused(client, 'SCRIPT', 'FLUSH');
            await refused(client, 'SELECT', 1);
            await refused(client, 'CLIENT', 'KILL', 'USER', 'admin');
            await refused(client, 'MONITOR');
            await refused(client, 'RENAME', 'mycounter', 'x');
            client.disconnect();
        }
        assert.strictEqual(await admin.ping(), 'PONG', 'the server is still up');
    });

    describe('sales terminal', function () {
        it('sells passes with its own user', async function () {
            const server = serverFor(acl, 'sales-terminal');
            await load([serverModule, saleModule, catchNode], [
                { id: 'tab', type: 'tab' }, server.node,
                { id: 'sale', type: 'transit-sale', z: 'tab', server: server.node.id, terminalId: 'booth-1', wires: [['prompts'], ['sold'], ['refused']] },
                { id: 'prompts', type: 'helper', z: 'tab' }, { id: 'sold', type: 'helper', z: 'tab' }, { id: 'refused', type: 'helper', z: 'tab' },
                { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] }, { id: 'caught', type: 'helper', z: 'tab' },
            ], server.credentials);
            await waitFor(() => statusOf('sale').fill === 'green', 10000, 'the terminal connected');
            const [sold, refusedSales, caught] = [collect('sold'), collect('refused'), collect('caught')];
            const card = newCard();
            helper.getNode('sale').receive({ payload: { card, passType: 'TEN_TRIP' } });
            await waitFor(() => sold.length === 1 || caught.length > 0, 10000, 'the sale');
            assert.deepStrictEqual(caught, []);
            assert.deepStrictEqual(await admin.hmget(pass(card), 'passType', 'tripsRemaining'), ['TEN_TRIP', '10']);
            helper.getNode('sale').receive({ payload: { card, passType: 'SINGLE_USE' } });
            await waitFor(() => refusedSales.length === 1, 10000, 'the second sale refused');
            assert.deepStrictEqual(refusedSales[0].payload, { card, reason: 'card-already-has-pass' });
            assert.ok(Number(await admin.xlen(DEFAULT_STREAM)) >= 1, 'the sale is in the event stream');
            assert.deepStrictEqual([...problemsLoggedBy('sale'), ...problemsLoggedBy(server.node.id)], []);
        });

        it('sells catalogue products with its own user, a pass valid from its sale expiring by itself', async function () {
            const terminal = new TransitStore(acl.clientAs('sales-terminal'), { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM });
            const [week, five] = [newCard(), newCard()];
            const sold = await terminal.sell(week, { id: 'WEEK', label: 'week', rides: 0, validity: 7 * 86400, starts: 'sale' }, `acl-${week}`, 'booth-1');
            assert.ok(sold.sold && sold.expiresAt, 'the week pass is sold with its expiry');
            const ttl = await admin.pttl(pass(week));
            assert.ok(ttl > 7 * 86400_000 - 60_000 && ttl <= 7 * 86400_000, `the week pass expires with its validity (PTTL ${ttl})`);
            await terminal.sell(five, { id: 'FIVE_TRIP', label: 'five trip', rides: 5, validity: 0, starts: 'sale' }, `acl-${five}`, 'booth-1');
            const gate = new TransitStore(acl.clientAs('gate'), { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM });
            assert.strictEqual((await gate.tap(week, 'north-1', `acl-t-${week}`, 0)).granted, true, 'the gate honours the week pass');
            assert.deepStrictEqual(await gate.tap(five, 'north-1', `acl-t-${five}`, 0).then(d => [d.granted, d.remainingTrips]), [true, 4]);
        });

        it('may not charge, delete or overwrite passes, rewrite history or touch other systems', async function () {
            const card = newCard();
            await new TransitStore(admin, { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM }).sell(card, 'TEN_TRIP', `acl-${card}`, 'admin');
            const terminal = acl.clientAs('sales-terminal');
            assert.strictEqual(await terminal.exists(pass(card)), 1, 'it may check a card');
            await refused(terminal, 'HINCRBY', pass(card), 'tripsRemaining', -1);
            await refused(terminal, 'DEL', pass(card));
            await refused(terminal, 'SET', pass(card), 'forged');
            await refused(terminal, 'HGETALL', pass(card));
            await refused(terminal, 'EVAL', "return redis.call('DEL', KEYS[1])", 1, pass(card));
            await refused(terminal, 'EVAL', "return redis.call('HINCRBY', KEYS[1], 'tripsRemaining', 5)", 1, pass(card));
            await refused(terminal, 'SET', `{${pass(card)}}:op:tap:t1`, '{"granted":true}');
            await refused(terminal, 'DEL', DEFAULT_STREAM);
            await refused(terminal, 'XTRIM', DEFAULT_STREAM, 'MAXLEN', 0);
            await refused(terminal, 'XRANGE', DEFAULT_STREAM, '-', '+');
            await refused(terminal, 'EVAL', "return redis.call('DEL', KEYS[1])", 1, DEFAULT_STREAM);
            await refused(terminal, 'PUBLISH', 'pass-used:TEN_TRIP', '{}');
            await refused(terminal, 'GET', 'mycounter');
            await refused(terminal, 'HGETALL', `image:${ORIGINAL_IMAGE_ID}`);
            assert.deepStrictEqual(await admin.hmget(pass(card), 'passType', 'tripsRemaining'), ['TEN_TRIP', '10'], 'the pass is untouched');
        });
    });

    describe('gate', function () {
        it('checks and charges passes with its own user', async function () {
            const store = new TransitStore(admin, { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM });
            const [single, ten] = [newCard(), newCard()];
            await store.sell(single, 'SINGLE_USE', `acl-${single}`, 'admin');
            await store.sell(ten, 'TEN_TRIP', `acl-${ten}`, 'admin');
            const server = serverFor(acl, 'gate');
            // The default repeat window (10 s) exercises the gate's repeat-tap marker key too.
            await load([serverModule, gateModule, catchNode], [
                { id: 'tab', type: 'tab' }, server.node,
                { id: 'gate', type: 'transit-gate', z: 'tab', server: server.node.id, gateId: 'north-1', wires: [['granted'], ['denied']] },
                { id: 'granted', type: 'helper', z: 'tab' }, { id: 'denied', type: 'helper', z: 'tab' },
                { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] }, { id: 'caught', type: 'helper', z: 'tab' },
            ], server.credentials);
            await waitFor(() => statusOf('gate').fill === 'green', 10000, 'the gate connected');
            const [granted, denied, caught] = [collect('granted'), collect('denied'), collect('caught')];
            const tap = (card: string) => helper.getNode('gate').receive({ payload: card });
            tap(single);
            await waitFor(() => granted.length === 1 || caught.length > 0, 10000, 'the single-use tap');
            assert.deepStrictEqual(caught, []);
            tap(single);
            await waitFor(() => denied.length === 1, 10000, 'the repeat tap');
            assert.strictEqual((denied[0].payload as { reason: string }).reason, 'repeat-tap');
            tap(ten);
            await waitFor(() => granted.length === 2, 10000, 'the ten-trip tap');
            assert.strictEqual(await admin.exists(pass(single)), 0, 'the single-use pass is used up');
            assert.strictEqual(await admin.hget(pass(ten), 'tripsRemaining'), '9');
            assert.deepStrictEqual([...problemsLoggedBy('gate'), ...problemsLoggedBy(server.node.id)], []);
        });

        it('replays offline decisions with its own user: charges a pass, blocks an overused card, records an unpaid ride', async function () {
            const [single, none] = [newCard(), newCard()];
            await new TransitStore(admin, { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM }).sell(single, 'SINGLE_USE', `acl-${single}`, 'admin');
            const gate = new TransitStore(acl.clientAs('gate'), { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM });
            const [seconds] = await admin.time();
            const at = Number(seconds) * 1000 - 5000;
            const offline = { at, floor: at - 1000, granted: true, policy: 'known-passes' as const };
            assert.strictEqual((await gate.tap(single, 'north-1', `acl-o1-${single}`, 0, offline)).granted, true);
            assert.strictEqual((await gate.tap(single, 'north-2', `acl-o2-${single}`, 0, offline)).overused, true);
            assert.strictEqual(await admin.hget(`{${pass(single)}}:deny`, 'reason'), 'overused');
            assert.strictEqual((await gate.tap(none, 'north-1', `acl-o3-${none}`, 0, { ...offline, policy: 'open' })).unpaid, true);
        });

        it('cannot touch pictures, the counter, sale records or the event history', async function () {
            const gate = acl.clientAs('gate');
            const card = newCard();
            await refused(gate, 'HGETALL', `image:${ORIGINAL_IMAGE_ID}`);
            await refused(gate, 'DEL', `image:${ORIGINAL_IMAGE_ID}`);
            await refused(gate, 'ZRANGE', 'image-index', 0, -1);
            await refused(gate, 'GET', 'mycounter');
            await refused(gate, 'INCR', 'mycounter');
            await refused(gate, 'SET', pass(card), 'forged');
            await refused(gate, 'SET', `{${pass(card)}}:op:sale:s1`, '{"sold":true}');
            await refused(gate, 'DEL', DEFAULT_STREAM);
            await refused(gate, 'XTRIM', DEFAULT_STREAM, 'MAXLEN', 0);
            await refused(gate, 'XRANGE', DEFAULT_STREAM, '-', '+');
            await refused(gate, 'EVAL', "return redis.call('DEL', KEYS[1])", 1, DEFAULT_STREAM);
            await refused(gate, 'EVAL', "return redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)", 1, DEFAULT_STREAM);
            await refused(gate, 'EVAL', "return redis.call('GET', 'mycounter')", 0);
            await refused(gate, 'PUBLISH', 'pass-issued:TEN_TRIP', '{}');
            await refused(gate, 'PUBLISH', 'image-index:new', ORIGINAL_IMAGE_ID);
        });
    });

    describe('monitor', function () {
        it('shows every event with its own user', async function () {
            const server = serverFor(acl, 'monitor');
            await load([serverModule, monitorModule, catchNode], [
                { id: 'tab', type: 'tab' }, server.node,
                { id: 'monitor', type: 'transit-monitor', z: 'tab', server: server.node.id, wires: [['events']] },
                { id: 'events', type: 'helper', z: 'tab' },
            ], server.credentials);
            const groupReady = async () => ((await admin.call('XINFO', 'GROUPS', DEFAULT_STREAM).catch(() => [])) as unknown[][])
                .some((g) => g[1] === 'monitor-monitor');
            await waitFor(groupReady, 10000, 'the monitor\'s consumer group');
            // Subscribed with its user too: the pattern it asks for is literally its channel rule.
            await waitFor(async () => Number(await admin.call('PUBSUB', 'NUMPAT')) >= 1, 10000, 'the monitor\'s pattern subscription');
            const events = collect('events');
            const store = new TransitStore(admin, { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM });
            const card = newCard();
            await store.sell(card, 'SINGLE_USE', `acl-${card}`, 'booth-9');
            await store.tap(card, 'south-2', `acl-tap-${card}`, 0);
            await waitFor(() => events.length === 2, 10000, 'both events');
            assert.deepStrictEqual(events.map((e) => e.topic), ['pass-issued:SINGLE_USE', 'pass-used:SINGLE_USE']);
            assert.strictEqual(statusOf('monitor').fill, 'green');
            assert.deepStrictEqual([...problemsLoggedBy('monitor'), ...problemsLoggedBy(server.node.id)], []);
        });

        it('can neither write events nor read passes, and may only subscribe to its own pattern', async function () {
            const monitor = acl.clientAs('monitor');
            await refused(monitor, 'XADD', DEFAULT_STREAM, '*', 'channel', 'pass-issued:TEN_TRIP', 'event', '{}');
            await refused(monitor, 'DEL', DEFAULT_STREAM);
            await refused(monitor, 'XTRIM', DEFAULT_STREAM, 'MAXLEN', 0);
            await refused(monitor, 'XGROUP', 'DESTROY', DEFAULT_STREAM, 'monitor-monitor');
            await refused(monitor, 'HGETALL', pass(newCard()));
            await refused(monitor, 'PUBLISH', 'pass-denied', '{}');
            await refused(monitor, 'GET', 'mycounter');
            await refusedSubscription(acl, 'monitor', 'psubscribe', '*');
            // A pattern is allowed only when it is literally one of the user's channel rules.
            await refusedSubscription(acl, 'monitor', 'psubscribe', 'pass-used:*');
            await refusedSubscription(acl, 'monitor', 'subscribe', 'image-index:new');
        });
    });

    describe('operator (card administration)', function () {
        const storeAs = (user: string) => new TransitStore(acl.clientAs(user), { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM });
        let ops = 0;
        const op = () => `acl-op-${Date.now()}-${++ops}`;

        it('looks up, blocks, unblocks, voids, refunds and moves passes with its own user, and the gate and terminal users honour the block', async function () {
            const operator = new CardAdmin(storeAs('operator'));
            const seller = storeAs('sales-terminal');
            const gate = storeAs('gate');
            const [lost, replacement, refunded, voided] = [newCard(), newCard(), newCard(), newCard()];
            for (const c of [lost, refunded, voided]) await seller.sell(c, 'TEN_TRIP', `acl-${c}`, 'booth-1');
            assert.strictEqual((await operator.lookup(lost)).pass?.tripsRemaining, 10);
            await operator.block(lost, 'lost', 'alice', op());
            assert.strictEqual((await gate.tap(lost, 'north-1', `acl-t-${lost}`, 0)).reason, 'blocked', 'the gate user reads the deny list');
            assert.strictEqual(await seller.saleRefusal(lost), 'blocked', 'the terminal user reads the deny list');
            assert.strictEqual((await seller.sell(lost, 'SINGLE_USE', `acl-again-${lost}`, 'booth-1')).reason, 'blocked');
            await operator.transfer(lost, replacement, 'alice', op());
            assert.strictEqual((await gate.tap(replacement, 'north-1', `acl-t-${replacement}`, 0)).remainingTrips, 9);
            await operator.unblock(lost, 'alice', op());
            await operator.remove('refund', refunded, 'moving away', 'alice', op());
            await operator.remove('void', voided, 'sold in error', 'alice', op());
            assert.strictEqual(await admin.exists(pass(lost), pass(refunded), pass(voided)), 0);
            const history = await operator.lookup(replacement);
            assert.deepStrictEqual(history.events.map((e) => e.channel).slice(0, 2), ['pass-used:TEN_TRIP', 'pass-transferred']);
        });

        it('cannot sell, charge, rewrite passes or history, or touch other systems', async function () {
            const operator = acl.clientAs('operator');
            const card = newCard();
            await new TransitStore(admin, { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM }).sell(card, 'TEN_TRIP', `acl-${card}`, 'admin');
            await assert.rejects(new TransitStore(operator, { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM }).sell(newCard(), 'TEN_TRIP', `acl-${op()}`, 'x'), REFUSED);
            await assert.rejects(new TransitStore(operator, { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM }).tap(card, 'g', `acl-${op()}`, 0), REFUSED);
            await refused(operator, 'HSET', pass(card), 'tripsRemaining', 99);
            await refused(operator, 'HINCRBY', pass(card), 'tripsRemaining', 5);
            await refused(operator, 'DEL', DEFAULT_STREAM);
            await refused(operator, 'XTRIM', DEFAULT_STREAM, 'MAXLEN', 0);
            await refused(operator, 'SET', `{${pass(card)}}:op:tap:t1`, '{"granted":true}');
            await refused(operator, 'PUBLISH', 'pass-denied', '{}');
            await refused(operator, 'GET', 'mycounter');
            await refused(operator, 'HGETALL', `image:${ORIGINAL_IMAGE_ID}`);
            assert.deepStrictEqual(await admin.hmget(pass(card), 'passType', 'tripsRemaining'), ['TEN_TRIP', '10'], 'the pass is untouched');
        });

        it('the gate, terminal and monitor users can do none of it', async function () {
            const card = newCard();
            await new TransitStore(admin, { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM }).sell(card, 'TEN_TRIP', `acl-${card}`, 'admin');
            for (const user of ['gate', 'sales-terminal', 'monitor']) {
                const them = new CardAdmin(storeAs(user));
                await assert.rejects(them.block(card, 'lost', user, op()), REFUSED, `${user} blocks`);
                await assert.rejects(them.remove('void', card, 'x', user, op()), REFUSED, `${user} voids`);
                await assert.rejects(them.remove('refund', card, 'x', user, op()), REFUSED, `${user} refunds`);
                await assert.rejects(them.transfer(card, newCard(), user, op()), REFUSED, `${user} transfers`);
                // The gate may write a deny entry: replaying an offline overuse blocks the card.
                // It may still never clear one (below).
                if (user !== 'gate') await refused(acl.clientAs(user), 'HSET', `{${pass(card)}}:deny`, 'reason', 'forged');
            }
            await admin.hset(`{${pass(card)}}:deny`, 'reason', 'lost', 'operator', 'alice', 'at', 1);
            for (const user of ['gate', 'sales-terminal', 'monitor']) {
                const them = new CardAdmin(storeAs(user));
                await assert.rejects(them.unblock(card, user, op()), REFUSED, `${user} unblocks`);
                await refused(acl.clientAs(user), 'DEL', `{${pass(card)}}:deny`);
            }
            assert.strictEqual(await admin.hget(pass(card), 'tripsRemaining'), '10');
            assert.strictEqual(await admin.hget(`{${pass(card)}}:deny`, 'reason'), 'lost');
        });
    });

    describe('operations', function () {
        it('charts the event stream with its own read-only user', async function () {
            const server = serverFor(acl, 'operations');
            await load([serverModule, operationsModule, catchNode], [
                { id: 'tab', type: 'tab' }, server.node,
                { id: 'ops', type: 'transit-operations', z: 'tab', server: server.node.id, interval: 1, wires: [['charts']] },
                { id: 'charts', type: 'helper', z: 'tab' },
            ], server.credentials);
            const charts = collect('charts');
            // Subscribed with its user too: the stream's own channel wakes it.
            await waitFor(async () => ((await admin.call('PUBSUB', 'NUMSUB', DEFAULT_STREAM)) as unknown[])[1] === 1, 10000,
                'the operations node\'s subscription');
            const store = new TransitStore(admin, { keyPrefix: DEFAULT_KEY_PREFIX, stream: DEFAULT_STREAM });
            const card = newCard();
            const booth = `booth-${card}`;
            await store.sell(card, 'SINGLE_USE', `acl-ops-${card}`, booth);
            const devices = () => (charts.filter((m) => m.topic === 'devices').pop()?.payload ?? []) as Array<{ id: string }>;
            await waitFor(() => devices().some((d) => d.id === booth), 10000, 'the terminal in the devices chart');
            assert.strictEqual(statusOf('ops').fill, 'green');
            assert.deepStrictEqual([...problemsLoggedBy('ops'), ...problemsLoggedBy(server.node.id)], []);
            // It reads; it does not consume.
            assert.deepStrictEqual((await admin.xinfo('GROUPS', DEFAULT_STREAM) as unknown[][]).filter((g) => String(g[1]).startsWith('ops')), []);
        });

        it('can read the stream and nothing else: no writes, no consumer groups, no passes, no other channels', async function () {
            const operations = acl.clientAs('operations');
            assert.ok(Array.isArray(await operations.xrange(DEFAULT_STREAM, '-', '+', 'COUNT', 1)));
            await refused(operations, 'XADD', DEFAULT_STREAM, '*', 'channel', 'pass-issued:TEN_TRIP', 'event', '{}');
            await refused(operations, 'DEL', DEFAULT_STREAM);
            await refused(operations, 'XTRIM', DEFAULT_STREAM, 'MAXLEN', 0);
            await refused(operations, 'XGROUP', 'CREATE', DEFAULT_STREAM, 'ops', '$');
            await refused(operations, 'XREADGROUP', 'GROUP', 'monitor-monitor', 'ops', 'STREAMS', DEFAULT_STREAM, '>');
            await refused(operations, 'XACK', DEFAULT_STREAM, 'monitor-monitor', '0-1');
            await refused(operations, 'HGETALL', pass(newCard()));
            await refused(operations, 'XRANGE', 'image-index', '-', '+');
            await refused(operations, 'PUBLISH', DEFAULT_STREAM, 'pass-denied');
            await refused(operations, 'EVAL', 'return 1', 0);
            await refusedSubscription(acl, 'operations', 'psubscribe', 'pass-*');
            await refusedSubscription(acl, 'operations', 'subscribe', 'pass-denied');
        });
    });

    describe('counter display', function () {
        const KEY = 'mycounter';

        it('reads, changes and follows its counter with its own user, and converges without CONFIG', async function () {
            await admin.del(KEY);
            const server = serverFor(acl, 'counter');
            // No key set: the node's default, the original's "mycounter".
            await load([serverModule, counterModule, catchNode], [
                { id: 'tab', type: 'tab' }, server.node,
                { id: 'counter', type: 'redis-counter', z: 'tab', server: server.node.id, wires: [['out']] },
                { id: 'out', type: 'helper', z: 'tab' },
                { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] }, { id: 'caught', type: 'helper', z: 'tab' },
            ], server.credentials);
            const [out, caught] = [collect('out'), collect('caught')];
            await waitFor(() => out.length >= 1, 10000, 'the initial value');
            assert.strictEqual(last(out), 0);
            helper.getNode('counter').receive({ payload: 'increment' });
            await waitFor(() => last(out) === 1, 10000, 'its own increment');
            helper.getNode('counter').receive({ payload: 40 });
            await waitFor(() => last(out) === 40, 10000, 'its own set');
            // Another device changes the count: the keyspace notification (switched on by the
            // administrator in the server's configuration) brings it here.
            await admin.incrby(KEY, 2);
            await waitFor(() => last(out) === 42, 5000, 'a change made elsewhere');
            helper.getNode('counter').receive({ payload: 'reset' });
            await waitFor(() => last(out) === 0, 10000, 'its own reset');
            assert.deepStrictEqual(caught, []);
            // CONFIG is refused to this user, so the node cannot check the notification setting:
            // it says so once and reads the key every second as well.
            assert.ok(problemsLoggedBy('counter').includes('redis-counter.errors.polling'), JSON.stringify(problemsLoggedBy('counter')));
            // Even with notifications off (a server restarted without the setting) it converges.
            await admin.call('CONFIG', 'SET', 'notify-keyspace-events', '');
            try {
                await admin.set(KEY, '7');
                await waitFor(() => last(out) === 7, 5000, 'a change without notifications');
            } finally {
                await admin.call('CONFIG', 'SET', 'notify-keyspace-events', 'K$ghx');
            }
        });

        it('cannot set or delete other keys, run CONFIG or forge notifications', async function () {
            const counter = acl.clientAs('counter');
            await counter.get(KEY); // it may read its key
            await refused(counter, 'SET', 'othercounter', 1);
            await refused(counter, 'DEL', 'othercounter');
            await refused(counter, 'INCR', 'transit:pass:04A1B2C3');
            await refused(counter, 'DEL', 'transit:pass:04A1B2C3');
            await refused(counter, 'GET', 'image-index:bytes');
            await refused(counter, 'CONFIG', 'GET', 'notify-keyspace-events');
            await refused(counter, 'CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
            await refused(counter, 'EVAL', "return redis.call('SET', 'othercounter', 1)", 0);
            await refused(counter, 'PUBLISH', `__keyspace@0__:${KEY}`, 'set');
            await refusedSubscription(acl, 'counter', 'subscribe', '__keyspace@0__:othercounter');
            await refusedSubscription(acl, 'counter', 'psubscribe', '__keyspace@0__:*');
        });
    });

    describe('camera and gallery', function () {
        const httpNode = httpNodeModule();
        let web: ServedHttpNode | undefined;
        afterEach(async () => {
            await web?.close();
            web = undefined;
        });

        async function get(path: string): Promise<{ status: number; body: Buffer }> {
            const response = await fetch((web as ServedHttpNode).url(path));
            return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
        }

        /** A camera's store node and a gallery node, each logged in as its own user. */
        async function startCameraAndGallery() {
            const camera = serverFor(acl, 'camera');
            const gallery = serverFor(acl, 'gallery');
            await load([serverModule, storeModule, galleryModule, catchNode, httpNode.module], [
                { id: 'tab', type: 'tab' }, camera.node, gallery.node,
                { id: 'store', type: 'redis-image-store', z: 'tab', server: camera.node.id, wires: [['stored']] },
                { id: 'stored', type: 'helper', z: 'tab' },
                { id: 'gallery', type: 'redis-image-gallery', z: 'tab', server: gallery.node.id, path: '/gallery', wires: [] },
                { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] }, { id: 'caught', type: 'helper', z: 'tab' },
            ], { ...camera.credentials, ...gallery.credentials });
            web = await httpNode.serve();
            await waitFor(() => statusOf('store').fill === 'green', 10000, 'the camera connected');
            return { stored: collect('stored'), caught: collect('caught') };
        }

        async function storePicture(stored: Msg[], caught: Msg[], picture: Buffer): Promise<string> {
            const before = stored.length;
            helper.getNode('store').receive({ payload: picture, image: { camera: 'porch' } });
            await waitFor(() => stored.length > before || caught.length > 0, 10000, 'the picture stored');
            assert.deepStrictEqual(caught, []);
            return String(stored[stored.length - 1].payload);
        }

        it('the camera stores pictures and the gallery serves them, each with its own user', async function () {
            const { stored, caught } = await startCameraAndGallery();
            // The gallery subscribed to new-picture announcements with its user.
            await waitFor(async () => ((await admin.call('PUBSUB', 'NUMSUB', 'image-index:new')) as [string, number])[1] >= 1, 10000, 'the gallery\'s subscription');
            const picture = makeJpeg(96, 64);
            const id = await storePicture(stored, caught, picture);
            assert.strictEqual(await admin.hget(`image:${id}`, 'mime_type'), 'image/jpeg');
            assert.notStrictEqual(await admin.zscore('image-index', id), null);
            const list = await get('/gallery/api/images');
            assert.strictEqual(list.status, 200);
            assert.ok((JSON.parse(list.body.toString()) as Array<{ id: string }>).some((image) => image.id === id));
            const image = await get(`/gallery/api/image/${id}`);
            assert.strictEqual(image.status, 200);
            assert.ok(image.body.equals(picture), 'the same bytes come back');
            assert.strictEqual((await get(`/gallery/api/thumb/${id}`)).status, 200);
            assert.deepStrictEqual((JSON.parse((await get('/gallery/api/cameras')).body.toString())), ['porch']);
            assert.deepStrictEqual(['store', 'redis-camera', 'redis-gallery'].flatMap(problemsLoggedBy), []);
        });

        // capture.py never publishes: the camera user's store node sees its HSET on the keyspace
        // channel (notify-keyspace-events K$ghx, as README asks in redis.conf) and adopts it;
        // the read-only gallery lists it, filters by lux and hears the announcement.
        it("the camera user adopts the original capture script's picture as it is written; the gallery lists and filters it", async function () {
            const { stored, caught } = await startCameraAndGallery();
            await waitFor(async () => Number(await admin.call('PUBSUB', 'NUMPAT')) >= 1
                && ((await admin.call('PUBSUB', 'NUMSUB', 'image-index:new')) as [string, number])[1] >= 1, 10000, 'the store following the image keys');
            const announced: string[] = [];
            const listener = acl.clientAs('gallery');
            try {
                await listener.subscribe('image-index:new');
                listener.on('message', (_channel, id: string) => announced.push(id));
                const seconds = Math.floor(Number((await admin.time())[0])) - 1;
                await captureScriptPicture(admin, seconds, makeJpeg(40, 30), 268);
                await waitFor(() => announced.includes(String(seconds)), 5000, 'the announcement');
                const ours = await storePicture(stored, caught, makeJpeg(96, 64));
                const bright = JSON.parse((await get('/gallery/api/images?minLux=200&maxLux=300')).body.toString()) as Array<{ id: string; lux: string }>;
                assert.deepStrictEqual(bright.map((image) => [image.id, image.lux]), [[String(seconds), '268']]);
                const all = JSON.parse((await get('/gallery/api/images')).body.toString()) as Array<{ id: string }>;
                const order = all.map((image) => image.id);
                assert.ok(order.indexOf(ours) === 0 && order.indexOf(String(seconds)) > 0, `listed newest first: ${order.join(', ')}`);
                assert.deepStrictEqual(['store', 'gallery', 'redis-camera', 'redis-gallery'].flatMap(problemsLoggedBy), []);
            } finally {
                listener.disconnect();
            }
        });

        // On every (re)connect the gallery tries to adopt the original capture script's
        // pictures, which needs SCAN and a write script; with a read-only user that is the
        // image store's job (the camera user may), so the refusal must not be a warning.
        it('the gallery with its read-only user logs no warning when it connects', async function () {
            await startCameraAndGallery();
            await waitFor(async () => ((await admin.call('PUBSUB', 'NUMSUB', 'image-index:new')) as [string, number])[1] >= 1, 10000, 'the gallery\'s subscription');
            await new Promise((r) => setTimeout(r, 500));
            assert.deepStrictEqual(problemsLoggedBy('gallery'), []);
        });

        it('the camera cannot reach transit or counter keys', async function () {
            const camera = acl.clientAs('camera');
            await refused(camera, 'HGETALL', pass(newCard()));
            await refused(camera, 'HSET', pass(newCard()), 'passType', 'TEN_TRIP');
            await refused(camera, 'XADD', DEFAULT_STREAM, '*', 'event', '{}');
            await refused(camera, 'GET', 'mycounter');
            await refused(camera, 'PUBLISH', 'pass-issued:TEN_TRIP', '{}');
            await refused(camera, 'EVAL', "return redis.call('DEL', 'mycounter')", 0);
            // Its keyspace channel is the image keys' only: not every key's, not the cards'.
            await refusedSubscription(acl, 'camera', 'psubscribe', '__keyspace@0__:*');
            await refusedSubscription(acl, 'camera', 'psubscribe', '__keyspace@0__:transit:pass:*');
        });

        it('the gallery can neither write nor delete pictures', async function () {
            const { stored, caught } = await startCameraAndGallery();
            const id = await storePicture(stored, caught, makeJpeg(32, 32));
            const gallery = acl.clientAs('gallery');
            assert.deepStrictEqual(await gallery.hmget(`image:${id}`, 'mime_type'), ['image/jpeg'], 'it may read');
            await refused(gallery, 'HSET', `image:${id}`, 'image_data', 'x');
            await refused(gallery, 'DEL', `image:${id}`);
            await refused(gallery, 'UNLINK', `image:${id}`);
            await refused(gallery, 'EXPIRE', `image:${id}`, 1);
            await refused(gallery, 'ZREM', 'image-index', id);
            await refused(gallery, 'ZADD', 'image-index', 1, 'fake');
            await refused(gallery, 'ZADD', 'image-index:lux', 1, 'fake');
            await refused(gallery, 'ZREM', 'image-index:lux', id);
            await refused(gallery, 'SET', `image:${ORIGINAL_IMAGE_ID}`, 'x');
            await refused(gallery, 'EVAL', "return redis.call('DEL', KEYS[1])", 1, `image:${id}`);
            await refused(gallery, 'PUBLISH', 'image-index:new', ORIGINAL_IMAGE_ID);
            // Listing every key name (cards included) is not a gallery's business.
            await refused(gallery, 'SCAN', 0);
            await refused(gallery, 'HGETALL', pass(newCard()));
            assert.strictEqual(await admin.hget(`image:${id}`, 'mime_type'), 'image/jpeg', 'the picture is untouched');
            assert.notStrictEqual(await admin.zscore('image-index', id), null);
        });
    });
});
