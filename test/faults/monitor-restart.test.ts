// The monitor's Node-RED stopped and started again, several times, while another
// connection keeps selling and tapping: across all the runs the monitor shows every
// event of the stream exactly once, in order.
import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import { FlowNode, helper, load, Msg, serverNode, SERVER_ID, statusOf, waitFor } from '../support/flow';
import { ownRedis } from '../support/redis-process';
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

describe('faults: the monitor restarted while events keep coming', function () {
    this.timeout(120000);
    const own = ownRedis({ perTest: true, stopFirst: () => helper.unload() });

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
        const producer = new TransitStore(own.client, { keyPrefix: KEY_PREFIX, stream: STREAM });
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

        const stream = await own.client.xrange(STREAM, '-', '+');
        await waitFor(() => shown.length >= stream.length, 15000, `the monitor catches up with ${stream.length} events`);
        await sleep(500);
        // Every event exactly once, in the stream's order (XRANGE returns ids in order).
        assert.deepEqual(shown.map((m) => String(m.eventId)), stream.map(([id]) => id), 'events shown against the stream');
        // And what was shown is what was emitted: the same event's topic in each position.
        assert.deepEqual(shown.map((m) => m.topic), stream.map(([, f]) => f[f.indexOf('channel') + 1]), 'topics shown against the stream');
        assert.ok(shown.every((m) => (m.payload as { cardSerialNumber?: string }).cardSerialNumber), 'every event names its card');
        const perRun = Array.from({ length: run }, (_, r) => shown.filter((m) => m.run === r + 1).length);
        console.log(`      monitor restarts: ${JSON.stringify({ restarts: RESTARTS, events: stream.length, perRun })}`);
    });
});
