// The capture queue's limits, with the stand-in rpicam-still taking its time
// (test/lib/camera/fake-camera.ts): whether a capture was refused is checked against what
// the stand-in logged, not against how fast this machine is.
import assert from 'assert/strict';
import { captureArgs } from '../../../nodes/lib/camera/command';
import { CaptureError } from '../../../nodes/lib/camera/errors';
import { CaptureLimits, CaptureQueue } from '../../../nodes/lib/camera/queue';
import { runCapture } from '../../../nodes/lib/camera/run';
import { parseCameraSettings } from '../../../nodes/lib/camera/settings';
import { FakeCamera, makeFakeCamera } from './fake-camera';

const settings = parseCameraSettings({ width: 64, height: 48, quality: 80, timeout: 5000 });

interface Tracked { seq: number; asked: number; started?: number; settled?: number; code?: string }

describe('camera capture queue: bounded', function () {
    this.timeout(20000);
    let camera: FakeCamera;
    afterEach(() => camera.remove());

    /** Asks for `count` captures at once; each records when it was asked for, started and settled. */
    async function captures(limits: CaptureLimits, count: number, delayMs: number): Promise<{ queue: CaptureQueue; tracked: Tracked[] }> {
        camera = makeFakeCamera('picture', { delayMs });
        const queue = new CaptureQueue(limits);
        const program = camera.program;
        const tracked: Tracked[] = [];
        await Promise.all(Array.from({ length: count }, (_, seq) => {
            const t: Tracked = { seq, asked: Date.now() };
            tracked.push(t);
            return queue.run((signal) => {
                t.started = Date.now();
                return runCapture(program, captureArgs(settings), { timeoutMs: 5000, signal });
            }).then(() => {
                t.code = 'ok';
            }, (err: unknown) => {
                t.code = err instanceof CaptureError ? err.code : String(err);
            }).finally(() => {
                t.settled = Date.now();
            });
        }));
        return { queue, tracked };
    }

    /** The captures taken ran one at a time, in the order asked. */
    function assertOneAtATime(taken: number) {
        const events = camera.events();
        assert.deepEqual(events.map((e) => e.event), Array.from({ length: taken }, () => ['start', 'end']).flat());
        for (let i = 2; i < events.length; i += 2) assert.ok(events[i].t >= events[i - 1].t, 'two captures overlapped');
        return events;
    }

    it('refuses a capture at once when maxWaiting are already waiting, saying how many', async () => {
        camera = makeFakeCamera('picture', { delayMs: 400 });
        const queue = new CaptureQueue({ maxWaiting: 1 });
        const program = camera.program;
        const capture = () => queue.run((signal) => runCapture(program, captureArgs(settings), { timeoutMs: 5000, signal }));
        const taken = [capture(), capture()];
        await assert.rejects(capture(), (err: unknown) => err instanceof CaptureError && err.code === 'queue-full' && err.detail === '1');
        assert.deepEqual(camera.events().filter((e) => e.event === 'end'), [], 'refused only after a capture ended');
        assert.equal((await Promise.all(taken)).length, 2);
        assertOneAtATime(2);
        assert.equal(queue.length, 0);
    });

    it('maxWaiting 0 takes a capture only when none is running', async () => {
        const { tracked } = await captures({ maxWaiting: 0 }, 3, 300);
        assert.deepEqual(tracked.map((t) => t.code), ['ok', 'queue-full', 'queue-full']);
        assertOneAtATime(1);
    });

    it('refuses a capture that cannot start within maxWaitMs, at that time, and takes the rest in order', async () => {
        const maxWaitMs = 500;
        // Captures of a second each: the first starts at once, the third cannot start before 2 s.
        const { tracked } = await captures({ maxWaitMs }, 3, 1000);
        const taken = tracked.filter((t) => t.code === 'ok');
        const late = tracked.filter((t) => t.code === 'late');
        assert.deepEqual(tracked.map((t) => t.code), [...taken.map(() => 'ok'), ...late.map(() => 'late')]);
        assert.equal(tracked[0].code, 'ok');
        assert.equal(tracked[2].code, 'late');
        const events = assertOneAtATime(taken.length);
        for (const t of taken) assert.ok(t.started! - t.asked <= maxWaitMs + 5, `capture ${t.seq} started ${t.started! - t.asked} ms after it was asked for`);
        for (const t of late) {
            assert.equal(t.started, undefined);
            assert.ok(t.settled! - t.asked >= maxWaitMs - 5, `capture ${t.seq} refused after ${t.settled! - t.asked} ms`);
            assert.ok(t.settled! < events[events.length - 1].t, `capture ${t.seq} was refused only once the camera was free`);
        }
    });

    it('stop() refuses waiting captures as stopped, not late', async () => {
        camera = makeFakeCamera('picture', { delayMs: 300 });
        const queue = new CaptureQueue({ maxWaitMs: 200, maxWaiting: 5 });
        const program = camera.program;
        const pending = [0, 1].map(() => queue.run((signal) => runCapture(program, captureArgs(settings), { timeoutMs: 5000, signal })).catch((err: CaptureError) => err.code));
        await queue.stop();
        assert.deepEqual(await Promise.all(pending), ['stopped', 'stopped']);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(queue.length, 0);
    });
});
