// The peer benchmark's flows really run: node-red-contrib-redis loads beside our nodes in
// one Node-RED, both counter flows pass every change on, and every gate (ours, their node
// alone, their gate as a flow) decides every tap with the same script, charging the same
// passes alike (what npm run bench then times).
import assert from 'assert';
import Redis from 'ioredis';
import { OURS, THEIRS } from '../../../bench/peer/flows';
import { cardId, counterPropagation, countersReady, gateDecisions, loadBothSides, prepareRedis } from '../../../bench/peer/in-process';
import { sharedRedis } from '../../support/global-redis';
import { helper } from '../../support/flow';

describe('peer bench flows (ours and node-red-contrib-redis in one Node-RED)', function () {
    let redis: Redis;
    before(() => {
        redis = new Redis(sharedRedis().port);
    });
    after(() => redis.quit());
    afterEach(() => helper.unload());

    it('passes every counter change on and decides every tap on both sides, alike', async function () {
        const port = sharedRedis().port;
        await prepareRedis(redis);
        await loadBothSides(port);
        await countersReady(redis);

        const counter = await counterPropagation(port, 50, 10);
        assert.deepStrictEqual([counter.ours.ops, counter.theirs.ops], [10, 10]);

        const taps = 20;
        const blockSize = 5;
        const gate = await gateDecisions(taps, 2, blockSize);
        assert.deepStrictEqual([gate.ours.ops, gate.theirs.ops, gate.theirsAsBuilt.ops], [taps, taps, taps]);
        // The same cards were tapped at every gate (a warm-up block, then the taps). Their two
        // gates (the node alone and the flow as a user builds it) share their side's passes and
        // stream: each of their passes lost twice the trips ours lost, and they hold twice the events.
        for (let i = 0; i < taps; i++) {
            const [ours, theirs] = await Promise.all([OURS, THEIRS].map(async (side) => 1e9 - Number(await redis.hget(side.passPrefix + cardId(i), 'tripsRemaining'))));
            assert.ok(ours > 0, `card ${cardId(i)} was charged`);
            assert.strictEqual(theirs, 2 * ours, `card ${cardId(i)}`);
        }
        const lengths = await Promise.all([OURS, THEIRS].map((side) => redis.xlen(side.stream)));
        assert.deepStrictEqual(lengths, [taps + blockSize, 2 * (taps + blockSize)]);
    });
});
