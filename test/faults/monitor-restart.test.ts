// The monitor's Node-RED stopped and started again, several times, while another
// connection keeps selling and tapping: across all the runs the monitor shows every
// event of the stream exactly once, in order.
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { Node } from 'node-red';
import { FlowNode, helper, load, Msg, serverNode, SERVER_ID, statusOf, waitFor } from '../support/flow';
import { RedisProcess } from '../support/redis-process';
import { TransitStore } from '../../nodes/lib/transit/store';
import { freshCard, KEY_PREFIX, sleep, STREAM, transitModules } from './transit-rig';

const RESTARTS = 8;

function monitorFlow(port: number): FlowNode[] {
    return [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port), z: 'tab' },
        { id: 'monitor', type: 'transit-monitor', z: 'tab', server: SERVER_ID, stream: STREAM, group: 'restarting-monitor', wires: [['events']] },
        { id: 'events', type: 'helper', z: 'tab' },
    ];
}

/** Stream ids compare by time, then sequence. */
function streamIdLess(a: string, b: string): boolean {
    const [am, as] = a.split('-').map(Number);
    const [bm, bs] = b.split('-').map(Number);
    return am < bm || (am === bm && as < bs);
}

describe('faults: the monitor restarted while events keep coming', function () {
    this.timeout(120000);
    let own: RedisProcess;
    let direct: Redis;
    beforeEach(async () => {
        own = await RedisProcess.start();
        direct = new Redis(own.port);
    });
    afterEach(async () => {
        await helper.unload();
        direct.disconnect();
        await own.destroy();
    });

    it('shows every event exactly once and in order across restarts', async function () {
        const shown: Array<Msg & { run: number }> = [];
        let run = 0;
        const start = async (waitReady = true) => {
            await load(transitModules, monitorFlow(own.port));
            const thisRun = ++run;
            (helper.getNode('events') as Node).on('input', (msg: Msg) => shown.push({ ...msg, run: thisRun }));
            if (waitReady) await waitFor(() => statusOf('monitor').fill === 'green', 10000, `monitor ready (run ${thisRun})`);
        };
        await start();

        // Another terminal and gate keep working the whole time, on their own connection.
        const producer = new TransitStore(direct, { keyPrefix: KEY_PREFIX, stream: STREAM });
        let producing = true;
        let produced = 0;
        const produce = (async () => {
            while (producing) {
                const card = freshCard();
                await producer.sell(card, 'TEN_TRIP', `s-${card}`, 'terminal-x');
                await producer.tap(card, 'gate-x', `t-${card}`, 0);
                if (produced % 5 === 0) await producer.tap(freshCard(), 'gate-x', `denied-${card}`, 0);
                produced++;
                await sleep(5);
            }
        })();

        // Every other run is stopped within moments of starting, in the middle of
        // catching up on what it missed (delivered but not yet acknowledged).
        for (let i = 0; i < RESTARTS; i++) {
            await sleep(i % 2 === 0 ? 200 + Math.random() * 600 : 10 + Math.random() * 50);
            await helper.unload();
            await sleep(100 + Math.random() * 500);
            await start(i % 2 === 0);
        }
        await waitFor(() => statusOf('monitor').fill === 'green', 10000, 'the last run ready');
        await sleep(500);
        producing = false;
        await produce;

        const stream = await direct.xrange(STREAM, '-', '+');
        await waitFor(() => shown.length >= stream.length, 15000, `the monitor catches up with ${stream.length} events`);
        await sleep(500);
        const ids = shown.map((m) => String(m.eventId));
        const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
        assert.deepEqual(duplicates, [], 'events shown twice');
        const missing = stream.map(([id]) => id).filter((id) => !ids.includes(id));
        assert.deepEqual(missing, [], 'events never shown');
        assert.equal(shown.length, stream.length);
        const outOfOrder = ids.filter((id, i) => i > 0 && !streamIdLess(ids[i - 1], id));
        assert.deepEqual(outOfOrder, [], 'events shown out of order');
        // And what was shown is what was emitted: the same operation in each position.
        const opOf = new Map(stream.map(([id, flat]) => [id, flat[flat.indexOf('op') + 1]]));
        assert.ok(shown.every((m) => m.topic && (m.payload as { cardSerialNumber?: string }).cardSerialNumber && opOf.has(String(m.eventId))));
        const perRun = Array.from({ length: run }, (_, r) => shown.filter((m) => m.run === r + 1).length);
        console.log(`      monitor restarts: ${JSON.stringify({ restarts: RESTARTS, events: stream.length, perRun })}`);
    });
});
