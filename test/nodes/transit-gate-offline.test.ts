// One gate while its Redis is killed and restarted: each offline policy answers as
// documented, journals in the user directory, and its taps are charged once on return.
// (The fault suite, test/faults/offline-gates.test.ts, runs four gates in two Node-REDs.)
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import { collect, helper, load, Msg, SERVER_ID, serverNode, statusOf, waitFor } from '../support/flow';
import { RedisProcess } from '../support/redis-process';
import { uniqueCard } from '../support/cards';
import { cardKeys } from '../../nodes/lib/transit/keys';
import { journalFile, TapJournal } from '../../nodes/lib/transit/journal';
import { TransitStore } from '../../nodes/lib/transit/store';
import type { RedisUser } from '../../nodes/common/types';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');

const PREFIX = 'offline:pass:';
const STREAM = 'offline:events';

describe('transit-gate while Redis is away (offline policies)', function () {
    this.timeout(60000);
    let redis: RedisProcess;
    let client: Redis;
    let store: TransitStore;
    let userDir: string;

    beforeEach(async () => {
        // Every write on disk before Redis answers, so a SIGKILL loses nothing it acknowledged.
        redis = await RedisProcess.start(['--appendonly', 'yes', '--appendfsync', 'always']);
        client = new Redis(redis.port);
        store = new TransitStore(client, { keyPrefix: PREFIX, stream: STREAM });
        userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-offline-'));
    });
    afterEach(async () => {
        await helper.unload();
        client.disconnect();
        await redis.destroy();
        fs.rmSync(userDir, { recursive: true, force: true });
    });

    async function deploy(policy: string): Promise<{ granted: Msg[]; denied: Msg[] }> {
        helper.settings({ userDir });
        await load([serverModule, gateModule], [
            { id: 'tab', type: 'tab' },
            { ...serverNode(redis.port), z: 'tab' },
            { id: 'gate', type: 'transit-gate', z: 'tab', server: SERVER_ID, gateId: 'north-1', repeatWindow: 10,
                keyPrefix: PREFIX, stream: STREAM, offlinePolicy: policy, wires: [['granted'], ['denied']] },
            { id: 'granted', type: 'helper', z: 'tab' },
            { id: 'denied', type: 'helper', z: 'tab' },
        ]);
        await waitFor(() => statusOf('gate').fill === 'green', 10000, 'the gate connected');
        return { granted: collect('granted'), denied: collect('denied') };
    }

    const tap = (card: string) => helper.getNode('gate').receive({ payload: card } as never);
    const gateNode = () => helper.getNode('gate') as unknown as RedisUser;
    const redisAway = async () => {
        await redis.stop();
        await waitFor(() => statusOf('gate').shape === 'ring', 10000, 'the gate saw Redis go');
    };
    const journaled = async () => (await TapJournal.open(journalFile(userDir, 'north-1'))).pending();

    it('known-passes: decides from its copy, journals, and charges each tap once when Redis is back', async function () {
        const [ten, single, none] = [uniqueCard('0F'), uniqueCard('0F'), uniqueCard('0F')];
        await store.sell(ten, 'TEN_TRIP', `s-${ten}`, 't');
        await store.sell(single, 'SINGLE_USE', `s-${single}`, 't');
        const { granted, denied } = await deploy('known-passes');
        // The copy follows the sales (CLIENT TRACKING): a tap right away finds them.
        tap(single);
        await waitFor(() => granted.length === 1, 5000, 'the live grant');
        await redisAway();

        tap(ten);
        await waitFor(() => granted.length === 2, 5000, 'the offline grant');
        assert.deepStrictEqual(granted[1].payload, { card: ten, passType: 'TEN_TRIP', remainingTrips: 9, offline: true });
        assert.strictEqual(granted[1].offline, true);
        // (The test helper's RED._ gives message keys, not the catalogue's words.)
        assert.strictEqual(statusOf('gate').text, 'transit-gate.status.offline-granted');
        assert.strictEqual(statusOf('gate').shape, 'ring', 'a ring keeps the light yellow');
        tap(ten);
        tap(single);
        tap(none);
        await waitFor(() => denied.length === 3, 5000, 'three offline denials');
        assert.deepStrictEqual(denied.map((m) => (m.payload as { reason: string }).reason), ['repeat-tap', 'no-pass', 'no-pass']);
        assert.ok(denied.every((m) => m.offline === true && (m.payload as { offline: boolean }).offline));
        assert.strictEqual(gateNode().transitJournal?.pending, 4);

        await redis.start();
        await waitFor(() => gateNode().transitJournal?.pending === 0, 15000, () => `the replay (${JSON.stringify(gateNode().transitJournal)})`);
        await waitFor(() => statusOf('gate').text === 'transit-gate.status.replayed', 5000, () => `the replayed status (${statusOf('gate').text})`);
        assert.deepStrictEqual(gateNode().transitJournal, { pending: 0, replayed: 4, overused: 0, replaying: false });
        assert.strictEqual(await client.hget(PREFIX + ten, 'tripsRemaining'), '9', 'charged once');
        const ops = (await client.xrange(STREAM, '-', '+')).map(([, f]) => f[7]);
        assert.strictEqual(new Set(ops).size, ops.length, 'each tap once on the stream');
        assert.deepStrictEqual(await journaled(), []);
        // Back online: the next tap is Redis's again.
        tap(ten);
        await waitFor(() => granted.length === 3, 5000, 'the live grant after the replay');
        assert.strictEqual(granted[2].offline, undefined);
        assert.strictEqual(await client.hget(PREFIX + ten, 'tripsRemaining'), '8');
    });

    it('open: lets everyone in while Redis is away, and records the rides without a pass as unpaid', async function () {
        const [ten, none] = [uniqueCard('0E'), uniqueCard('0E')];
        await store.sell(ten, 'TEN_TRIP', `s-${ten}`, 't');
        const { granted } = await deploy('open');
        await redisAway();
        tap(ten);
        tap(none);
        await waitFor(() => granted.length === 2, 5000, 'two offline grants');
        assert.deepStrictEqual(granted[1].payload, { card: none, offline: true });
        assert.match(String(granted[1].text), /open while Redis is away/);
        await redis.start();
        await waitFor(() => gateNode().transitJournal?.pending === 0 && gateNode().transitJournal?.replayed === 2, 15000, 'the replay');
        assert.strictEqual(await client.hget(PREFIX + ten, 'tripsRemaining'), '9');
        const channels = (await client.xrange(STREAM, '-', '+')).map(([, f]) => f[1]);
        assert.deepStrictEqual(channels.slice(-2), ['pass-used:TEN_TRIP', 'pass-unpaid']);
        assert.strictEqual(await client.exists(cardKeys(PREFIX, none).deny), 0);
    });

    it('deny: unchanged, every tap denied as unavailable and nothing journaled', async function () {
        const ten = uniqueCard('0D');
        await store.sell(ten, 'TEN_TRIP', `s-${ten}`, 't');
        const { denied } = await deploy('deny');
        await redisAway();
        tap(ten);
        await waitFor(() => denied.length === 1, 5000, 'the denial');
        assert.deepStrictEqual(denied[0].payload, { card: ten, reason: 'unavailable' });
        assert.strictEqual(denied[0].offline, undefined);
        assert.strictEqual(fs.existsSync(path.join(userDir, 'redis-iot-journal')), false);
        await redis.start();
        await waitFor(() => statusOf('gate').fill === 'green', 10000, 'the gate reconnected');
        assert.strictEqual(await client.hget(PREFIX + ten, 'tripsRemaining'), '10');
    });
});
