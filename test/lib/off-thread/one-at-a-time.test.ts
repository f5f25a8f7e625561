// The decode line: one task at a time, in arrival order, and a task beyond the line's limit
// refused at once without running.
import assert from 'assert/strict';
import { OneAtATime } from '../../../nodes/lib/off-thread/one-at-a-time';

describe('one at a time, with a bounded line', () => {
    it('runs tasks one at a time in the order they came, and refuses those beyond the limit without running them', async () => {
        const line = new OneAtATime(3);
        let running = 0;
        let most = 0;
        const ran: number[] = [];
        const task = (i: number) => async () => {
            running += 1;
            most = Math.max(most, running);
            await new Promise((resolve) => setImmediate(resolve));
            ran.push(i);
            running -= 1;
            return i;
        };
        const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((i) => line.run(task(i), () => new Error(`refused ${i}`))));
        assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [0, 1, 2, 3, 'refused 4', 'refused 5']);
        assert.deepEqual(ran, [0, 1, 2, 3]);
        assert.equal(most, 1);
        assert.equal(line.waitingCount, 0);
    });

    it('goes on after a task fails, and takes new tasks once the line is short again', async () => {
        const line = new OneAtATime(0);
        const failing = line.run(async () => { throw new Error('broken'); }, () => new Error('full'));
        await assert.rejects(line.run(async () => 1, () => new Error('full')), /full/);
        await assert.rejects(failing, /broken/);
        assert.equal(await line.run(async () => 2, () => new Error('full')), 2);
    });
});
