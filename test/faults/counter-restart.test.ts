// Redis restarted (its config has no notify-keyspace-events, so the setting the counters
// made is gone) while redis-counter nodes drive simulated TM1637 displays, and other
// clients change the counts before Node-RED is back. Every display must show Redis's
// value within a second of reconnecting; the time from the server being ready again
// is measured too (it includes the client's reconnect back-off).
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { FlowNode, helper, load, serverNode, SERVER_ID } from '../support/flow';
import { RedisProcess } from '../support/redis-process';
import type { RedisServerNode } from '../../nodes/common/types';
import { sleep } from './transit-rig';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const counterModule = require('../../nodes/redis-counter/redis-counter');
const displayModule = require('../../nodes/tm1637-display/tm1637-display');

const KEYS = ['fault:count:a', 'fault:count:b'];
/** Two counter nodes per key, each driving its own display. */
const PAIRS = [0, 1, 2, 3].map((i) => ({ counter: `counter${i}`, display: `display${i}`, key: KEYS[i % KEYS.length] }));
/** The reconnect back-off of the connection tops out at 2 s (+ up to 100 ms jitter). */
const BACKOFF_CAP_MS = 2100;
const CONVERGE_MS = 1000;

type Display = { simulator: { text: string } };

function flow(port: number): FlowNode[] {
    const nodes: FlowNode[] = [{ id: 'tab', type: 'tab' }, { ...serverNode(port), z: 'tab' }];
    for (const p of PAIRS) {
        nodes.push({ id: p.counter, type: 'redis-counter', z: 'tab', server: SERVER_ID, key: p.key, wires: [[p.display]] });
        nodes.push({ id: p.display, type: 'tm1637-display', z: 'tab', mode: 'simulated', overflow: 'clamp', brightness: 7, wires: [[]] });
    }
    return nodes;
}

const shown = (display: string) => (helper.getNode(display) as unknown as Display).simulator.text.trim();

/** Resolves with the moment each display first shows its key's expected value. */
function whenShown(expected: Map<string, number>, timeoutMs: number): Promise<number[]> {
    return Promise.all(PAIRS.map(async (p) => {
        const want = String(expected.get(p.key));
        const deadline = Date.now() + timeoutMs;
        while (shown(p.display) !== want) {
            if (Date.now() > deadline) throw new Error(`${p.display} shows ${shown(p.display)}, not ${want}`);
            await sleep(5);
        }
        return Date.now();
    }));
}

describe('faults: Redis restarted without the keyspace-notification setting, counters on displays', function () {
    this.timeout(120000);
    let own: RedisProcess;
    let others: Redis[];
    beforeEach(async () => {
        own = await RedisProcess.start(['--appendonly', 'yes']);
        others = [new Redis(own.port, { lazyConnect: true }), new Redis(own.port, { lazyConnect: true })];
    });
    afterEach(async () => {
        await helper.unload();
        others.forEach((c) => c.disconnect());
        await own.destroy();
    });

    /**
     * Other clients change both counts as soon as the server answers; returns the values,
     * and the notification setting Redis had just before.
     */
    async function othersChangeCounts(round: number): Promise<{ expected: Map<string, number>; notifySetting: string }> {
        let notifySetting = '';
        await Promise.all(others.map(async (client, i) => {
            await client.connect();
            if (i === 0) notifySetting = ((await client.config('GET', 'notify-keyspace-events')) as string[])[1];
            const pipe = client.pipeline();
            for (let n = 0; n < 20 + round; n++) pipe.incr(KEYS[0]);
            for (let n = 0; n < 5 + i; n++) pipe.decr(KEYS[1]);
            await pipe.exec();
        }));
        const expected = new Map(await Promise.all(KEYS.map(async (k) => [k, Number(await others[0].get(k))] as [string, number])));
        return { expected, notifySetting };
    }

    it('every display shows Redis\'s value within a second of reconnecting, after short and long outages', async function () {
        const setup = new Redis(own.port);
        await setup.mset(KEYS[0], '100', KEYS[1], '200');
        setup.disconnect();
        await load([serverModule, counterModule, displayModule], flow(own.port));
        await whenShown(new Map([[KEYS[0], 100], [KEYS[1], 200]]), 5000);
        const connection = (helper.getNode(SERVER_ID) as unknown as RedisServerNode).connection;
        assert.ok(connection);
        let reconnectedAt = 0;
        connection.on('ready', () => { reconnectedAt = Date.now(); });

        const measured: Array<Record<string, unknown>> = [];
        for (const [round, outageMs] of [[1, 0], [2, 3000], [3, 0], [4, 6000]]) {
            reconnectedAt = 0;
            others.forEach((c) => c.disconnect());
            await own.stop('SIGKILL');
            await sleep(outageMs);
            await own.start();
            const serverReadyAt = Date.now();
            const { expected, notifySetting } = await othersChangeCounts(round);
            const shownAt = await whenShown(expected, BACKOFF_CAP_MS + 5000);
            const fromServer = shownAt.map((t) => t - serverReadyAt);
            const fromReconnect = shownAt.map((t) => t - reconnectedAt);
            measured.push({ outageMs, notifySetting, fromServerReadyMs: fromServer, fromReconnectMs: fromReconnect });
            assert.ok(reconnectedAt > 0, 'Node-RED reconnected');
            assert.ok(fromReconnect.every((ms) => ms < CONVERGE_MS), `round ${round}: displays ${fromReconnect} ms after reconnecting`);
            // A quick restart leaves the back-off short: within a second of the server, too.
            const bound = outageMs === 0 ? CONVERGE_MS : BACKOFF_CAP_MS + CONVERGE_MS;
            assert.ok(fromServer.every((ms) => ms < bound), `round ${round}: displays ${fromServer} ms after the server was ready`);

            // Notifications work again: a later change reaches every display within a second.
            await others[0].incrby(KEYS[0], 1000);
            await others[0].incrby(KEYS[1], 1000);
            expected.set(KEYS[0], (expected.get(KEYS[0]) as number) + 1000);
            expected.set(KEYS[1], (expected.get(KEYS[1]) as number) + 1000);
            await whenShown(expected, CONVERGE_MS);
        }
        console.log(`      counter restarts: ${JSON.stringify(measured)}`);
    });
});
