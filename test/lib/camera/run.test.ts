// Capturing through a stand-in rpicam-still (test/lib/camera/fake-camera.ts): real child
// processes, real JPEG bytes on stdout, real signals.
import assert from 'assert/strict';
import fs from 'fs';
import path from 'path';
import { decode } from 'jpeg-js';
import { captureArgs, captureThumbnail } from '../../../nodes/lib/camera/command';
import { chooseSource, takeStill } from '../../../nodes/lib/camera/camera';
import { CaptureError } from '../../../nodes/lib/camera/errors';
import { CaptureQueue } from '../../../nodes/lib/camera/queue';
import { runCapture } from '../../../nodes/lib/camera/run';
import { parseCameraSettings } from '../../../nodes/lib/camera/settings';
import { simulatedStillCommand, simulatedStillOptions } from '../../../nodes/lib/camera/simulated-still';
import { exifThumbnail } from '../../../nodes/lib/images/exif-thumbnail';
import { jpegSize } from '../../../nodes/lib/jpeg';
import { FakeCamera, isRunning, makeFakeCamera } from './fake-camera';

const settings = parseCameraSettings({ width: 320, height: 240, quality: 80, timeout: 2000 });
const code = (expected: string) => (err: unknown) => err instanceof CaptureError && err.code === expected;

describe('camera capture', function () {
    this.timeout(20000);
    let camera: FakeCamera | undefined;
    afterEach(() => {
        camera?.remove();
        camera = undefined;
    });

    it('collects the JPEG from stdout at the requested size', async () => {
        camera = makeFakeCamera('picture');
        const jpeg = await runCapture(camera.program, captureArgs(settings), { timeoutMs: 5000 });
        const img = decode(jpeg);
        assert.equal(img.width, 320);
        assert.equal(img.height, 240);
        assert.deepEqual(camera.events()[0].args, captureArgs(settings));
    });

    it('never runs two captures at once through the queue', async () => {
        camera = makeFakeCamera('picture', { delayMs: 300 });
        const queue = new CaptureQueue();
        const program = camera.program;
        const results = await Promise.all([0, 1, 2].map(() => queue.run((signal) => runCapture(program, captureArgs(settings), { timeoutMs: 5000, signal }))));
        assert.equal(results.length, 3);
        const events = camera.events();
        assert.deepEqual(events.map((e) => e.event), ['start', 'end', 'start', 'end', 'start', 'end']);
        for (let i = 2; i < events.length; i += 2) assert.ok(events[i].t >= events[i - 1].t, 'two captures overlapped');
    });

    it('kills a hung capture at the time limit, with SIGKILL when it ignores SIGTERM', async () => {
        camera = makeFakeCamera('hang');
        const t0 = Date.now();
        await assert.rejects(runCapture(camera.program, [], { timeoutMs: 800, killAfterMs: 300 }), code('timeout'));
        const took = Date.now() - t0;
        assert.ok(took >= 800 && took < 3000, `took ${took} ms`);
        const events = camera.events();
        assert.deepEqual(events.map((e) => e.event), ['start', 'sigterm']);
        assert.equal(isRunning(events[0].pid), false);
    });

    it('reports a camera held by another process as busy', async () => {
        camera = makeFakeCamera('busy');
        await assert.rejects(runCapture(camera.program, [], { timeoutMs: 5000 }), (err: unknown) => {
            assert.ok(err instanceof CaptureError);
            assert.equal(err.code, 'busy');
            assert.match(err.detail, /Pipeline handler in use by another process/);
            return true;
        });
    });

    it('reports no cameras available as a missing camera', async () => {
        camera = makeFakeCamera('no-camera');
        await assert.rejects(runCapture(camera.program, [], { timeoutMs: 5000 }), code('no-camera'));
    });

    it('refuses output that is not a JPEG', async () => {
        camera = makeFakeCamera('garbage');
        await assert.rejects(runCapture(camera.program, [], { timeoutMs: 5000 }), code('not-jpeg'));
    });

    it('a program that cannot start is a failure, not a crash', async () => {
        await assert.rejects(runCapture('/nonexistent/rpicam-still', [], { timeoutMs: 5000 }), code('failed'));
    });

    it('stop() kills the running capture and drops the waiting ones', async () => {
        camera = makeFakeCamera('hang');
        const queue = new CaptureQueue();
        const program = camera.program;
        const settled = (p: Promise<unknown>) => p.then(() => 'resolved', (err: unknown) => err);
        const first = settled(queue.run((signal) => runCapture(program, [], { timeoutMs: 10000, killAfterMs: 200, signal })));
        const second = settled(queue.run((signal) => runCapture(program, [], { timeoutMs: 10000, signal })));
        const fake = camera;
        await new Promise((r) => setTimeout(r, 300));
        while (fake.events().length === 0) await new Promise((r) => setTimeout(r, 20));
        await queue.stop();
        assert.ok(code('stopped')(await first));
        assert.ok(code('stopped')(await second));
        const starts = fake.events().filter((e) => e.event === 'start');
        assert.equal(starts.length, 1);
        assert.equal(isRunning(starts[0].pid), false);
        await assert.rejects(queue.run(async () => 1), code('stopped'));
    });

    describe('source choice', () => {
        it('is the real program when it lists a camera', async () => {
            camera = makeFakeCamera('picture');
            assert.deepEqual(await chooseSource(settings, camera.binDir), { kind: 'real', program: camera.program });
            const still = await takeStill({ kind: 'real', program: camera.program }, settings, 'camera');
            assert.equal(still.width, 320);
            assert.equal(still.height, 240);
            assert.ok(Math.abs(still.timestamp - Date.now()) < 2000);
        });

        it('takes the Lux rpicam-still measured from the metadata file it asked for, and removes the file', async () => {
            camera = makeFakeCamera('picture', { lux: 137.25 });
            const still = await takeStill({ kind: 'real', program: camera.program }, settings, 'camera');
            assert.equal(still.lux, 137.25);
            const args = camera.events()[0].args ?? [];
            const file = args[args.indexOf('--metadata') + 1];
            assert.deepEqual(args.slice(args.indexOf('--metadata'), args.indexOf('--metadata') + 4), ['--metadata', file, '--metadata-format', 'json']);
            assert.ok(!fs.existsSync(file) && !fs.existsSync(path.dirname(file)), 'the metadata file is gone after the capture');
        });

        it('does not ask libcamera-still (no --metadata option on Bullseye) for metadata: no lux', async () => {
            camera = makeFakeCamera('picture', { name: 'libcamera-still' });
            const still = await takeStill({ kind: 'real', program: camera.program }, settings, 'camera');
            assert.equal(still.lux, undefined);
            assert.ok(!(camera.events()[0].args ?? []).includes('--metadata'));
        });

        it('is simulated when the program sees no camera, or is missing, or when asked', async () => {
            camera = makeFakeCamera('no-camera', { name: 'libcamera-still' });
            assert.deepEqual(await chooseSource(settings, camera.binDir), { kind: 'simulated', reason: 'no-camera' });
            assert.deepEqual(await chooseSource(settings, '/nonexistent'), { kind: 'simulated', reason: 'no-program' });
            assert.deepEqual(await chooseSource({ ...settings, mode: 'simulated' }, camera.binDir), { kind: 'simulated', reason: 'mode' });
        });

        it('the simulated still is a test card of the configured size', async () => {
            const still = await takeStill({ kind: 'simulated', reason: 'mode' }, settings, 'porch');
            assert.deepEqual([still.width, still.height], [320, 240]);
            const img = decode(still.jpeg);
            assert.deepEqual([img.width, img.height], [320, 240]);
            // A room lit by a window: between a dim night and an office at noon, a whole number.
            assert.ok(Number.isInteger(still.lux) && (still.lux ?? 0) >= 20 && (still.lux ?? 0) <= 500, `lux ${still.lux}`);
            // Like rpicam-still's, with a thumbnail in its EXIF data.
            const thumbnail = exifThumbnail(still.jpeg);
            assert.ok(thumbnail, 'an EXIF thumbnail');
            assert.deepEqual(jpegSize(thumbnail), { width: captureThumbnail(settings).width, height: captureThumbnail(settings).height });
        });

        it('runs the simulated still as a program, as rpicam-still is run: its options, a stop, a broken run', async () => {
            const time = new Date();
            const { program, args } = simulatedStillCommand(settings, time, '-porch');
            assert.equal(program, process.execPath);
            // rpicam-still's own arguments, then the moment and the camera's name (a name that looks like an option stays the name).
            const script = args.findIndex((arg) => arg.endsWith('simulated-still.js'));
            assert.ok(script >= 0, 'the program is this package\'s simulated-still.js');
            assert.deepEqual(args.slice(script + 1, -2), captureArgs(settings));
            assert.deepEqual(simulatedStillOptions(args.slice(script + 1)),
                { width: 320, height: 240, quality: 80, time, label: '-porch', thumbnail: captureThumbnail(settings) });
            assert.throws(() => simulatedStillOptions(['--width', '0', '--height', '240', '--quality', '80', `--time=${time.getTime()}`]), /--width needs a positive whole number/);

            const stop = new AbortController();
            stop.abort();
            await assert.rejects(takeStill({ kind: 'simulated', reason: 'mode' }, settings, 'porch', stop.signal), code('stopped'));
            // The program's own complaint reaches the caller, as a real camera's does.
            await assert.rejects(runCapture(program, [...args.slice(0, script + 1), '--width', 'wide'], { timeoutMs: 5000 }),
                (err: unknown) => code('failed')(err) && /--width needs a positive whole number/.test((err as Error).message));
        });
    });
});
