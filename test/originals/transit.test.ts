// Our transit nodes in one deployment with the original devices (their stand-ins in
// transit-devices.ts send what the original programs send): passes are shared both ways
// in the original's data layout, our monitor shows what the original devices do, and the
// original monitor reads nothing false into what our gates do.
import assert from 'assert/strict';
import Redis from 'ioredis';
import { catchNode, collect, FlowNode, helper, load, Msg, serverNode, waitFor, waitGreen } from '../support/flow';
import { startAclRedis } from '../security/acl-users';
import { RedisProcess } from '../support/redis-process';
import { transitFlow } from '../support/transit-flow';
import { OriginalGate, OriginalMonitor, OriginalTerminal } from './transit-devices';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');
const saleModule = require('../../nodes/transit-sale/transit-sale');
const monitorModule = require('../../nodes/transit-monitor/transit-monitor');

// Card UIDs and the numbers the original's SimpleMFRC522 read for them (uid_to_num over
// the UID and its BCC): 04 A1 B2 C3 | 2D, DE AD BE EF | 22, 04 11 11 11 | 05.
const CARD_A = { uid: '04A1B2C3', number: '19892716500' };
const CARD_B = { uid: 'DEADBEEF', number: '956397711138' };
const ALL_DIGITS = { uid: '04111111', number: '17466200341' };
const UNSOLD = '18611524945';

describe('our transit nodes beside the original devices', function () {
    this.timeout(30000);
    let redisServer: RedisProcess;
    let redis: Redis;

    before(async () => {
        redisServer = await RedisProcess.start();
        redis = new Redis(redisServer.port);
    });
    after(async () => {
        await redis.quit();
        await redisServer.stop();
    });
    afterEach(() => helper.unload());

    /** Our gate, sales terminal and monitor on the original's data, as the README says to set them. */
    async function deploy(settings: Record<string, unknown>): Promise<{ events: Msg[] }> {
        const flow = transitFlow(redisServer.port, { keyPrefix: 'transit:pass:', stream: 'transit:events', terminals: 1,
            gate: { repeatWindow: 10, ...settings }, terminal: settings });
        flow.push({ id: 'monitor', type: 'transit-monitor', z: 'tab', server: 'redis-test', wires: [['events']] },
            { id: 'events', type: 'helper', z: 'tab' });
        await load([serverModule, gateModule, saleModule, monitorModule, catchNode], flow);
        await waitGreen(['gate0', 'terminal0', 'monitor'], 5000);
        // The monitor subscribes once its group exists: then events can no longer slip past it.
        await waitFor(async () => Number(await redis.call('PUBSUB', 'NUMPAT')) >= 1, 5000, 'the monitor listening');
        return { events: collect('events') };
    }

    async function tapOurs(card: unknown): Promise<Msg> {
        const granted = collect('granted');
        const denied = collect('denied');
        helper.getNode('gate0').receive({ payload: card });
        await waitFor(() => granted.length + denied.length === 1, 3000, 'the gate\'s answer');
        return granted[0] ?? denied[0];
    }

    it('shares passes both ways; our monitor shows each original event once and ours once; the original monitor hears no false denial', async function () {
        await redis.flushall();
        const { events } = await deploy({ cardKeys: 'original' });
        const originalMonitor = await OriginalMonitor.start(redisServer.port);
        const originalGate = new OriginalGate(new Redis(redisServer.port));
        const originalTerminal = new OriginalTerminal(new Redis(redisServer.port));
        try {
            assert.equal(await originalTerminal.sell(CARD_A.number, 'TEN_TRIP'), true);
            // Our gate is given the UID, as our reader sends it, and finds the original's pass.
            const ours = await tapOurs(CARD_A.uid);
            assert.deepEqual(ours.payload, { card: CARD_A.number, passType: 'TEN_TRIP', remainingTrips: 9 });
            assert.equal(await originalGate.tap(CARD_A.number), 'granted');
            assert.equal(await redis.hget(CARD_A.number, 'tripsRemaining'), '8');
            // Again at our gate at once: a repeated tap, charged nothing.
            assert.deepEqual((await tapOurs(CARD_A.uid)).payload, { card: CARD_A.number, reason: 'repeat-tap' });
            assert.equal(await originalGate.tap(UNSOLD), 'denied');
            // Our terminal sells under the original's number; the original gate honours it.
            const sold = collect('sold');
            helper.getNode('terminal0').receive({ payload: { card: CARD_B.uid, passType: 'SINGLE_USE' } });
            await waitFor(() => sold.length === 1, 3000, 'the sale');
            assert.equal(await originalGate.tap(CARD_B.number), 'granted');
            assert.equal(await redis.exists(CARD_B.number), 0);

            const expected = [
                `original pass-issued:TEN_TRIP Card ${CARD_A.number} was issued a ten trip pass.`,
                `gate-0 pass-used:TEN_TRIP Card ${CARD_A.number} started a journey. Card ${CARD_A.number} has 9 of 10 trips remaining.`,
                `original pass-used:TEN_TRIP Card ${CARD_A.number} started a journey. Card ${CARD_A.number} has 8 of 10 trips remaining.`,
                `gate-0 pass-denied Card ${CARD_A.number} was tapped again at the same gate; nothing was charged.`,
                `original pass-denied Card ${UNSOLD} tried to start a journey without a valid pass!`,
                `terminal-0 pass-issued:SINGLE_USE Card ${CARD_B.number} was issued a single trip pass.`,
                `original pass-used:SINGLE_USE Card ${CARD_B.number} started a journey.`,
            ];
            const shown = () => events.map((m) => `${m.original === true ? 'original' : String(m.source)} ${String(m.topic)} ${String(m.text)}`);
            await waitFor(() => events.length >= expected.length, 5000, () => `the monitor's events, so far: ${shown().join(' | ')}`);
            // Longer than the monitor's 3 s poll: nothing comes twice.
            await new Promise((resolve) => setTimeout(resolve, 3500));
            // Pub/sub and the stream are read apart, so only the order within each is given.
            assert.deepEqual([...shown()].sort(), [...expected].sort());
            assert.deepEqual(shown().filter((line) => line.startsWith('original')), expected.filter((line) => line.startsWith('original')));
            assert.ok(events.filter((m) => m.original === true).every((m) => m.eventId === undefined));

            // One message can match two of its patterns (pass-used:* and pass-used:TEN_TRIP): in either order.
            assert.deepEqual([...originalMonitor.lines].sort(), [
                `Card ${CARD_A.number} was issued a ten trip pass.`,
                `Card ${CARD_A.number} started a journey.`,
                `Card ${CARD_A.number} has 9 of 10 trips remaining.`,
                `Card ${CARD_A.number} started a journey.`,
                `Card ${CARD_A.number} has 8 of 10 trips remaining.`,
                `Card ${UNSOLD} tried to start a journey without a valid pass!`,
                `Card ${CARD_B.number} was issued a single trip pass.`,
                `Card ${CARD_B.number} started a journey.`,
            ].sort());
        } finally {
            await originalMonitor.stop();
        }
    });

    it("reads a typed all-digit id as the UID it is; a flow saved before \"Card keys\" (empty key prefix) still reaches the original's passes", async function () {
        await redis.flushall();
        await deploy({ keyPrefix: '' });
        const originalTerminal = new OriginalTerminal(new Redis(redisServer.port));
        await originalTerminal.sell(ALL_DIGITS.number, 'TEN_TRIP');
        // Typed on the dashboard: a hex UID made of digits only, not the number 4111111.
        assert.deepEqual((await tapOurs(ALL_DIGITS.uid)).payload, { card: ALL_DIGITS.number, passType: 'TEN_TRIP', remainingTrips: 9 });
        assert.deepEqual((await redis.keys('*')).filter((key) => /^[0-9A-F]+$/.test(key)), [ALL_DIGITS.number]);
        // A number is one of the original's card numbers.
        await originalTerminal.sell(CARD_A.number, 'SINGLE_USE');
        assert.deepEqual((await tapOurs(Number(CARD_A.number))).payload, { card: CARD_A.number, passType: 'SINGLE_USE' });
        // 4111111 cannot be one: its last byte is not the check byte of the four before it.
        const refused = await tapOurs(4111111);
        assert.equal((refused.payload as { reason: string }).reason, 'invalid-card');
    });

    it("works with the example ACL's gate and terminal users, their key patterns changed for the original's keys as the README says", async function () {
        // README, Beside the original programs: replace transit:pass:* with [1-9]* in the gate's and the terminal's key patterns.
        const acl = await startAclRedis(undefined, (text) => text.split('\n')
            .map((line) => (/^user (gate|sales-terminal) /.test(line) ? line.replaceAll('transit:pass:*', '[1-9]*') : line)).join('\n'));
        try {
            const flow: FlowNode[] = [{ id: 'tab', type: 'tab' }];
            const credentials: Record<string, unknown> = {};
            for (const user of ['gate', 'sales-terminal']) {
                flow.push({ ...serverNode(acl.redis.port, { id: `redis-${user}` }), z: 'tab' });
                credentials[`redis-${user}`] = { username: user, password: acl.passwords[user] };
            }
            flow.push(
                { id: 'gate0', type: 'transit-gate', z: 'tab', server: 'redis-gate', gateId: 'gate-0', repeatWindow: 10, cardKeys: 'original', wires: [['granted'], ['denied']] },
                { id: 'terminal0', type: 'transit-sale', z: 'tab', server: 'redis-sales-terminal', terminalId: 'terminal-0', cardKeys: 'original', timeout: 0, wires: [[], ['sold'], ['refused']] },
                { id: 'granted', type: 'helper', z: 'tab' }, { id: 'denied', type: 'helper', z: 'tab' },
                { id: 'sold', type: 'helper', z: 'tab' }, { id: 'refused', type: 'helper', z: 'tab' },
                { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] }, { id: 'caught', type: 'helper', z: 'tab' },
            );
            await load([serverModule, gateModule, saleModule, catchNode], flow, credentials);
            await waitGreen(['gate0', 'terminal0'], 5000);
            const caught = collect('caught');
            const sold = collect('sold');
            helper.getNode('terminal0').receive({ payload: { card: CARD_B.uid, passType: 'TEN_TRIP' } });
            await waitFor(() => sold.length + caught.length === 1, 3000, 'the sale');
            assert.deepEqual(caught.map((m) => (m.error as Error).message), []);
            assert.equal(await new OriginalGate(acl.clientAs('admin')).tap(CARD_B.number), 'granted');
            assert.deepEqual((await tapOurs(CARD_B.uid)).payload, { card: CARD_B.number, passType: 'TEN_TRIP', remainingTrips: 8 });
            // The repeated tap's wake-up on the stream's channel is allowed too.
            assert.deepEqual((await tapOurs(CARD_B.uid)).payload, { card: CARD_B.number, reason: 'repeat-tap' });
            assert.deepEqual(caught, []);
        } finally {
            await acl.stop();
        }
    });
});
