// The pi-camera node in a running Node-RED: simulated on this machine (no camera), and with a
// stand-in rpicam-still first on PATH for the real capture path (see test/lib/camera/fake-camera.ts).
import assert from 'assert/strict';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { decode } from 'jpeg-js';
import type { Node } from 'node-red';
import { FakeCamera, FakeCameraKind, isRunning, makeFakeCamera } from '../lib/camera/fake-camera';
import { exifThumbnail } from '../../nodes/lib/images/exif-thumbnail';
import { catchNode, collect, FlowNode, helper, load, loggedBy, statusOf, waitFor } from '../support/flow';

type Status = { fill?: string; shape?: string; text?: string };

/** Every status the node has set, oldest first. */
function statusHistory(id: string): Status[] {
    const node = helper.getNode(id) as Node;
    const spy = node.status as unknown as { getCalls(): Array<{ thisValue: unknown; args: unknown[] }> };
    return spy.getCalls().filter((c) => c.thisValue === node).map((c) => c.args[0] as Status);
}

const cameraModule = require('../../nodes/pi-camera/pi-camera');

function flow(props: Record<string, unknown> = {}): FlowNode[] {
    return [
        { id: 'tab', type: 'tab' },
        {
            id: 'cam', type: 'pi-camera', z: 'tab', name: '', width: 320, height: 240, quality: 80, rotation: 0, hflip: false, vflip: false,
            camera: 0, autofocus: false, timeout: 10000, mode: 'auto', cameraName: 'porch', wires: [['out']], ...props,
        },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', scope: ['cam'], wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
    ];
}

async function loaded(props: Record<string, unknown> = {}) {
    await load([cameraModule, catchNode], flow(props));
    const node = helper.getNode('cam') as Node;
    return { node, out: collect('out'), caught: collect('caught'), send: (msg: Record<string, unknown>) => node.receive(msg as never) };
}

/** The camera node's own log lines (pi-camera.log.*), at any level. */
const cameraLog = () => loggedBy('cam', Infinity).filter((e) => String(e.msg).startsWith('pi-camera.log.'));

const errorOf = (msg: Record<string, unknown>) => (msg.error as { message: string }).message;

describe('pi-camera node', function () {
    this.timeout(20000);
    const originalPath = process.env.PATH;
    let camera: FakeCamera | undefined;
    let emptyBin: string;
    const useCamera = (kind: FakeCameraKind, delayMs = 0) => {
        camera = makeFakeCamera(kind, { delayMs });
        process.env.PATH = camera.binDir;
        return camera;
    };
    before(() => {
        emptyBin = fs.mkdtempSync(path.join(os.tmpdir(), 'no-camera-'));
    });
    beforeEach(() => {
        process.env.PATH = emptyBin; // this machine has no rpicam-still; make sure of it
    });
    afterEach(async () => {
        await helper.unload();
        process.env.PATH = originalPath;
        camera?.remove();
        camera = undefined;
    });
    after(() => fs.rmSync(emptyBin, { recursive: true, force: true }));

    it('auto without rpicam-still: grey status, one log line saying why, and test-card pictures', async () => {
        const { out, send } = await loaded();
        await waitFor(() => statusOf('cam').fill === 'grey', 2000, 'the grey status');
        assert.deepEqual(statusOf('cam'), { fill: 'grey', shape: 'ring', text: 'pi-camera.status.simulated' });
        const lines = cameraLog();
        assert.deepEqual(lines.map((e) => e.msg), ['pi-camera.log.no-program']);

        const before = Date.now();
        send({ payload: 'go', topic: 'porch-sensor', keep: 42 });
        await waitFor(() => out.length === 1, 5000, 'a picture');
        const msg = out[0];
        const jpeg = msg.payload as Buffer;
        assert.ok(Buffer.isBuffer(jpeg));
        assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
        const img = decode(jpeg);
        assert.deepEqual([img.width, img.height], [320, 240]);
        const image = msg.image as Record<string, unknown>;
        // The simulated scene's brightness, a whole number of lux (see simulatedLux).
        assert.ok(Number.isInteger(image.lux) && (image.lux as number) >= 20 && (image.lux as number) <= 500, `lux ${String(image.lux)}`);
        assert.deepEqual({ ...image, timestamp: 0, lux: 0 }, { timestamp: 0, width: 320, height: 240, size: jpeg.length, mimeType: 'image/jpeg', camera: 'porch', lux: 0 });
        assert.ok((image.timestamp as number) >= before && (image.timestamp as number) <= Date.now());
        assert.equal(msg.topic, 'porch-sensor');
        assert.equal(msg.keep, 42);
        assert.deepEqual(statusOf('cam'), { fill: 'grey', shape: 'ring', text: 'pi-camera.status.simulated' });
        assert.equal(cameraLog().length, 1);
    });

    it('simulated mode uses the test card even with a camera, without a log line', async () => {
        const fake = useCamera('picture');
        const { out, send } = await loaded({ mode: 'simulated', width: 640, height: 360 });
        send({});
        await waitFor(() => out.length === 1, 5000, 'a picture');
        assert.deepEqual([decode(out[0].payload as Buffer).width, decode(out[0].payload as Buffer).height], [640, 360]);
        // Like a real camera's picture, it carries an EXIF thumbnail of its shape, for the store to keep.
        const thumbnail = decode(exifThumbnail(out[0].payload as Buffer) as Buffer);
        assert.deepEqual([thumbnail.width, thumbnail.height], [320, 180]);
        assert.deepEqual(fake.events(), []);
        assert.equal(statusOf('cam').fill, 'grey');
        assert.deepEqual(cameraLog(), []);
    });

    it('takes pictures with rpicam-still, one at a time, in order', async () => {
        const fake = useCamera('picture', 200);
        const { out, send } = await loaded({ width: 400, height: 300, quality: 60, rotation: 180, hflip: true });
        [0, 1, 2].forEach((seq) => send({ seq }));
        await waitFor(() => out.length === 3, 10000, 'three pictures');
        assert.deepEqual(out.map((m) => m.seq), [0, 1, 2]);
        for (const msg of out) {
            const img = decode(msg.payload as Buffer);
            assert.deepEqual([img.width, img.height], [400, 300]);
            assert.equal((msg.image as { size: number }).size, (msg.payload as Buffer).length);
            // The stand-in's metadata says "Lux": 268.436, as rpicam-still writes it.
            assert.equal((msg.image as { lux: number }).lux, 268.436);
        }
        const events = fake.events();
        assert.deepEqual(events.map((e) => e.event), ['start', 'end', 'start', 'end', 'start', 'end']);
        for (let i = 2; i < events.length; i += 2) assert.ok(events[i].t >= events[i - 1].t, 'two captures overlapped');
        const args = events[0].args ?? [];
        // The EXIF thumbnail rpicam-still embeds: the gallery's width, the picture's shape.
        const thumbnail = decode(exifThumbnail(out[0].payload as Buffer) as Buffer);
        assert.deepEqual([thumbnail.width, thumbnail.height], [320, 240]);
        for (const [option, value] of [['--width', '400'], ['--height', '300'], ['--quality', '60'], ['--thumb', '320:240:70'], ['--rotation', '180'], ['--output', '-']]) {
            assert.equal(args[args.indexOf(option) + 1], value, option);
        }
        assert.ok(args.includes('--hflip') && !args.includes('--vflip'));
        assert.equal(statusOf('cam').fill, 'green');
    });

    it('a busy camera is a clear error a Catch node sees', async () => {
        useCamera('busy');
        const { out, caught, send } = await loaded();
        send({ payload: 1 });
        await waitFor(() => caught.length === 1, 5000, 'the error');
        assert.equal(errorOf(caught[0]), 'InputError: pi-camera.errors.busy');
        assert.equal(statusOf('cam').fill, 'red');
        assert.equal(out.length, 0);
    });

    it('auto with rpicam-still but no camera connected: simulated, and the log says so', async () => {
        useCamera('no-camera');
        const { caught, out, send } = await loaded();
        await waitFor(() => statusOf('cam').fill === 'grey', 2000, 'the grey status');
        assert.deepEqual(cameraLog().map((e) => e.msg), ['pi-camera.log.no-camera']);
        send({});
        await waitFor(() => out.length === 1, 5000, 'a test card');
        assert.equal(decode(out[0].payload as Buffer).width, 320);
        assert.equal(caught.length, 0);
    });

    it('a camera that is missing at capture time (e.g. a wrong index) is a clear error', async () => {
        camera = makeFakeCamera('no-camera', { listsCamera: true });
        process.env.PATH = camera.binDir;
        const { caught, out, send } = await loaded({ camera: 1 });
        send({});
        await waitFor(() => caught.length === 1, 5000, 'the error');
        assert.equal(errorOf(caught[0]), 'InputError: pi-camera.errors.no-camera');
        assert.equal(statusOf('cam').fill, 'red');
        assert.equal(out.length, 0);
        assert.deepEqual(camera.events()[0].args?.slice(0, 3), ['--nopreview', '--camera', '1']);
    });

    it('a hung capture is killed at the time limit and reported', async () => {
        const fake = useCamera('hang');
        const { caught, out, send } = await loaded({ timeout: 1000 });
        const t0 = Date.now();
        send({});
        await waitFor(() => caught.length === 1, 8000, 'the timeout error');
        assert.ok(Date.now() - t0 >= 1000);
        assert.equal(errorOf(caught[0]), 'InputError: pi-camera.errors.timeout');
        const start = fake.events().find((e) => e.event === 'start');
        assert.ok(start);
        await waitFor(() => !isRunning(start.pid), 3000, 'the hung process to go');
        assert.equal(out.length, 0);
    });

    for (const [field, value] of [['width', 0], ['quality', 150], ['rotation', 90], ['mode', 'real'], ['timeout', 5], ['maxQueue', -1], ['maxWait', 0]] as const) {
        it(`a bad ${field} turns the status red and fails every message`, async () => {
            const { caught, out, send } = await loaded({ [field]: value });
            assert.equal(statusOf('cam').fill, 'red');
            send({});
            await waitFor(() => caught.length === 1, 2000, 'the error');
            assert.equal(errorOf(caught[0]), 'InputError: pi-camera.errors.bad-setting');
            assert.equal(out.length, 0);
        });
    }

    it('closing kills a running capture and completes', async () => {
        const fake = useCamera('hang');
        const { out, caught, send } = await loaded();
        send({});
        await waitFor(() => fake.events().some((e) => e.event === 'start'), 3000, 'the capture to start');
        const pid = fake.events()[0].pid;
        const t0 = Date.now();
        await helper.unload();
        assert.ok(Date.now() - t0 < 5000);
        assert.equal(isRunning(pid), false);
        assert.equal(out.length, 0);
        assert.equal(caught.length, 0);
    });

    it('refuses a capture arriving with maxQueue already waiting: an error a Catch node sees, and the red status, at once', async () => {
        const fake = useCamera('picture', 800);
        const { out, caught, send } = await loaded({ maxQueue: 1 });
        [0, 1, 2, 3].forEach((seq) => send({ seq }));
        await waitFor(() => caught.length === 2, 5000, 'two refusals');
        assert.deepEqual(fake.events().filter((e) => e.event === 'end'), [], 'refused only after a capture ended');
        assert.deepEqual(caught.map((m) => m.seq), [2, 3]);
        for (const m of caught) {
            assert.equal(errorOf(m), 'InputError: pi-camera.errors.queue-full');
            assert.equal((m.error as { code?: string }).code, 'queue-full');
        }
        assert.deepEqual(statusOf('cam'), { fill: 'red', shape: 'ring', text: 'pi-camera.errors.queue-full' });
        // Caught errors are not logged by Node-RED: the node warns, once for the first refusal at
        // once, and counts the rest for a line a few seconds later.
        assert.deepEqual(loggedBy('cam', 30).map((e) => [e.level, e.msg]), [[30, 'pi-camera.log.refused']]);

        await waitFor(() => out.length === 2, 10000, 'two pictures');
        assert.deepEqual(out.map((m) => m.seq), [0, 1]);
        const events = fake.events();
        assert.deepEqual(events.map((e) => e.event), ['start', 'end', 'start', 'end']);
        assert.ok(events[2].t >= events[1].t, 'two captures overlapped');
        assert.equal(statusOf('cam').fill, 'green', 'the next picture taken turns the status back');
    });

    it('refuses a capture that cannot start within maxWait, at that time, and takes the rest in order', async () => {
        const fake = useCamera('picture', 1500);
        const { out, caught, send } = await loaded({ maxWait: 0.5 });
        [0, 1, 2].forEach((seq) => send({ seq }));
        await waitFor(() => out.length === 1 && caught.length === 2, 10000, () => `a picture and two refusals (${out.length}, ${caught.length})`);
        assert.equal(out[0].seq, 0);
        assert.deepEqual(caught.map((m) => [m.seq, errorOf(m), (m.error as { code?: string }).code]), [
            [1, 'InputError: pi-camera.errors.late', 'late'], [2, 'InputError: pi-camera.errors.late', 'late'],
        ]);
        const events = fake.events();
        assert.deepEqual(events.map((e) => e.event), ['start', 'end']);
        assert.ok(statusHistory('cam').some((st) => st.fill === 'red' && st.text === 'pi-camera.errors.late'));
        assert.equal(statusOf('cam').fill, 'green');
    });
});
