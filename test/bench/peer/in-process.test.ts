// The peer benchmark's flows really run: node-red-contrib-redis loads beside our nodes in
// one Node-RED, both counter flows pass every change on, and both gates decide every tap
// with the same script, charging the same passes alike (what npm run bench then times).
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
        assert.deepStrictEqual([gate.ours.ops, gate.theirs.ops], [taps, taps]);
        // The same cards were tapped on each side (a warm-up block, then the taps): each
        // side's passes lost the same trips, and each side's stream holds the same events.
        for (let i = 0; i < taps; i++) {
            const [ours, theirs] = await Promise.all([OURS, THEIRS].map((side) => redis.hget(side.passPrefix + cardId(i), 'tripsRemaining')));
            assert.strictEqual(theirs, ours, `card ${cardId(i)}`);
            assert.ok(Number(ours) < 1e9, `card ${cardId(i)} was charged`);
        }
        const lengths = await Promise.all([OURS, THEIRS].map((side) => redis.xlen(side.stream)));
        assert.deepStrictEqual(lengths, [taps + blockSize, taps + blockSize]);
    });
});
