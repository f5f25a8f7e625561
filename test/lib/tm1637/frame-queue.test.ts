import assert from 'assert/strict';
import { FrameQueue, Outcome } from '../../../nodes/lib/tm1637/frame-queue';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A write that takes a few event-loop turns and records overlap. */
function slowWriter() {
    const written: number[] = [];
    let active = 0;
    let overlapped = false;
    const write = async (value: number) => {
        active += 1;
        if (active > 1) overlapped = true;
        await tick();
        await tick();
        written.push(value);
        active -= 1;
    };
    return { written, write, overlapped: () => overlapped };
}

describe('tm1637 frame queue', () => {
    it('writes one value at a time and keeps only the latest waiting one', async () => {
        const writer = slowWriter();
        const queue = new FrameQueue<number>(writer.write);
        const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => queue.submit(i)));
        assert.deepEqual(writer.written, [0, 99]);
        assert.equal(writer.overlapped(), false);
        assert.equal(outcomes[0], 'written');
        assert.equal(outcomes[99], 'written');
        assert.deepEqual(new Set(outcomes.slice(1, 99)), new Set<Outcome>(['superseded']));
    });

    it('settles a superseded value at once, before the write in flight ends', async () => {
        const writer = slowWriter();
        const queue = new FrameQueue<number>(writer.write);
        const first = queue.submit(1);
        const second = queue.submit(2);
        queue.submit(3).catch(() => undefined);
        assert.equal(await second, 'superseded');
        assert.deepEqual(writer.written, [], 'the first write is still going');
        await first;
        await queue.idle();
        assert.deepEqual(writer.written, [1, 3]);
    });

    it('keeps going after a failed write, rejecting only that value', async () => {
        const queue = new FrameQueue<number>(async (value) => {
            await tick();
            if (value === 1) throw new Error('bus fault');
        });
        await assert.rejects(queue.submit(1), /bus fault/);
        assert.equal(await queue.submit(2), 'written');
    });

    it('on close drops the waiting value, finishes the one in flight and takes no more', async () => {
        const writer = slowWriter();
        const queue = new FrameQueue<number>(writer.write);
        const first = queue.submit(1);
        const waiting = queue.submit(2);
        await queue.close();
        assert.equal(await first, 'written');
        assert.equal(await waiting, 'dropped');
        assert.equal(await queue.submit(3), 'dropped');
        assert.deepEqual(writer.written, [1]);
        assert.equal(queue.busy, false);
    });

    it('is idle when nothing is written or waiting', async () => {
        const writer = slowWriter();
        const queue = new FrameQueue<number>(writer.write);
        await queue.idle();
        void queue.submit(1);
        assert.equal(queue.busy, true);
        await queue.idle();
        assert.equal(queue.busy, false);
        assert.deepEqual(writer.written, [1]);
    });
});
