import assert from 'assert';
import jpeg from 'jpeg-js';
import {
    DecodeQueueFull, IDLE_MS, jpegWorkerState, MAX_WAITING_DECODES, setJpegWorkerIdleMs, thumbnailOffThread,
} from '../../../nodes/lib/off-thread/jpeg-work';
import { jpegThumbnail } from '../../../nodes/lib/images/thumbnail';
import { makeJpeg } from '../images/fixtures';
import { MAX_HEIGHT, MAX_WIDTH } from '../../../nodes/lib/camera/settings';
import { makeTestCard } from '../../../nodes/lib/camera/test-card';

/** Polls until check holds (the worker's exit is an event, not a promise to await). */
async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (!check()) {
        if (performance.now() > until) throw new Error(`timed out waiting: ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

describe('JPEG work off the event loop', function () {
    const small = makeJpeg(32, 24, 80);

    it('makes the same thumbnail as the inline function, and reports a broken JPEG as an error', async function () {
        const source = makeJpeg(640, 360, 90);
        const off = await thumbnailOffThread(source, 320);
        const inline = jpegThumbnail(source, 320);
        assert.deepStrictEqual([off.width, off.height], [640, 360]);
        assert.ok(Buffer.isBuffer(off.bytes));
        assert.ok(off.bytes.equals(inline.bytes));
        await assert.rejects(thumbnailOffThread(Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01]), 320), /./);
        // The worker survives a bad job.
        assert.strictEqual((await thumbnailOffThread(makeJpeg(64, 48, 80), 32)).width, 64);
    });

    it('keeps the event loop turning while a large picture is worked on', async function () {
        const big = makeTestCard({ width: 2592, height: 1944, quality: 90, time: new Date() });
        let turns = 0;
        const timer = setInterval(() => turns++, 1);
        try {
            await Promise.all([thumbnailOffThread(big, 320), thumbnailOffThread(big, 320)]);
        } finally {
            clearInterval(timer);
        }
        // Inline, the decode would hold the loop from start to end: no timer could fire.
        assert.ok(turns >= 5, `the event loop turned ${turns} times`);
    });

    it('decodes the largest picture a camera takes within the worker\'s capped heap', async function () {
        this.timeout(60000);
        const biggest = makeTestCard({ width: MAX_WIDTH, height: MAX_HEIGHT, quality: 95, time: new Date() });
        const made = await thumbnailOffThread(biggest, 320);
        assert.deepStrictEqual([made.width, made.height], [MAX_WIDTH, MAX_HEIGHT]);
        assert.strictEqual(jpeg.decode(made.bytes).width, 320);
    });

    it('decodes one picture at a time, and refuses a decode beyond the waiting line at once', async function () {
        const source = makeJpeg(320, 240, 90);
        const all = Array.from({ length: MAX_WAITING_DECODES + 3 }, () => thumbnailOffThread(source, 64));
        const results = await Promise.allSettled(all);
        const refused = results.filter((r) => r.status === 'rejected');
        assert.equal(refused.length, 2);
        for (const r of refused) assert.ok((r as PromiseRejectedResult).reason instanceof DecodeQueueFull);
        assert.ok(results.slice(0, MAX_WAITING_DECODES + 1).every((r) => r.status === 'fulfilled'), 'the running one and the waiting ones are made');
        // The line is free again.
        assert.equal((await thumbnailOffThread(source, 64)).width, 320);
    });

    it('ends the worker thread when it has been idle, and starts a new one for the next job', async function () {
        setJpegWorkerIdleMs(200);
        try {
            await thumbnailOffThread(small, 16);
            const busy = jpegWorkerState();
            assert.equal(busy.alive, 1);
            assert.ok(busy.threadId !== undefined);
            await waitFor(() => jpegWorkerState().alive === 0, 10000, 'the idle worker ends');
            assert.equal(jpegWorkerState().threadId, undefined);
            await thumbnailOffThread(small, 16);
            const again = jpegWorkerState();
            assert.equal(again.alive, 1);
            assert.equal(again.started, busy.started + 1);
            assert.notEqual(again.threadId, busy.threadId);
            await waitFor(() => jpegWorkerState().alive === 0, 10000, 'the new worker ends too');
        } finally {
            setJpegWorkerIdleMs(IDLE_MS);
        }
    });

    it('keeps a busy worker: a job just before the idle time is up restarts the wait', async function () {
        setJpegWorkerIdleMs(2000);
        try {
            await thumbnailOffThread(small, 16);
            const first = jpegWorkerState();
            for (let i = 0; i < 4; i++) {
                await new Promise((resolve) => setTimeout(resolve, 100));
                await thumbnailOffThread(small, 16);
            }
            assert.equal(jpegWorkerState().threadId, first.threadId, 'the same worker did every job');
            assert.equal(jpegWorkerState().started, first.started);
        } finally {
            setJpegWorkerIdleMs(IDLE_MS);
        }
    });
});
