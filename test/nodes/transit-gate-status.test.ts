// A gate sets its status on every decision, but a Status node watching it (and the editor)
// hears only changes: a second grant of the same pass type shows nothing new (issue 13).
import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { collect, coreNode, helper, load, Msg, nextMessage, statusOf, waitFor } from '../support/flow';
import { transitFlow } from '../support/transit-flow';
import { TransitStore } from '../../nodes/lib/transit/store';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');
const statusModule = coreNode('common/25-status.js');

let counter = 0;
const newCard = () => `AC${process.pid.toString(16).toUpperCase()}${(++counter).toString(16).toUpperCase().padStart(4, '0')}`;

/** The gate's decision statuses a Status node passed on, as their fill colours. */
const decisionFills = (got: Msg[]) => got
    .map((m) => m.status as { fill?: string; text?: string })
    .filter((s) => s.text?.startsWith('transit-gate.status.'))
    .map((s) => s.fill);

describe('transit-gate status', function () {
    let redis: Redis;
    let store: TransitStore;

    before(() => {
        redis = new Redis(sharedRedis().port);
        store = new TransitStore(redis, { keyPrefix: 'status:pass:', stream: 'status:events' });
    });
    after(() => redis.quit());
    afterEach(() => helper.unload());

    it('shows each decision status once while it stays the same, and again when it changes', async function () {
        await load([serverModule, gateModule, statusModule], [
            ...transitFlow(sharedRedis().port, { keyPrefix: 'status:pass:', stream: 'status:events' }),
            { id: 'watch', type: 'status', z: 'tab', scope: ['gate0'], wires: [['statuses']] },
            { id: 'statuses', type: 'helper', z: 'tab' },
        ] as never);
        await waitFor(() => statusOf('gate0').fill === 'green', 5000, 'gate connected');
        const got = collect('statuses');
        const [first, second] = [newCard(), newCard()];
        for (const card of [first, second]) await store.sell(card, 'TEN_TRIP', `s-${card}`, 't');

        const tap = async (card: string, output: 'granted' | 'denied') => {
            const answered = nextMessage(output);
            helper.getNode('gate0').receive({ payload: card });
            await answered;
        };
        await tap(first, 'granted');
        await tap(second, 'granted');
        await tap(newCard(), 'denied');
        await tap(first, 'granted');
        await waitFor(() => decisionFills(got).length >= 3, 3000, 'three statuses passed on');
        // Let any status still on its way arrive before counting.
        await new Promise((r) => setTimeout(r, 100));
        assert.deepStrictEqual(decisionFills(got), ['green', 'yellow', 'green']);
        assert.deepStrictEqual(statusOf('gate0'), { fill: 'green', shape: 'dot', text: 'transit-gate.status.granted' });
    });
});
