// pi-camera (simulated) under generated settings and 1,000 generated messages. Any message
// takes a picture, so what can be wrong is the node's settings: each run deploys a camera
// with generated settings and sends it a batch of messages. Bad settings give a red status
// at deploy and an error for Catch nodes on every message; good ones a JPEG per message.
// Most generated settings are bad: every good one costs a real JPEG encode per message.
import assert from 'assert/strict';
import fs from 'fs';
import os from 'os';
import path from 'path';
import fc from 'fast-check';
import { parseCameraSettings, RawCameraSettings } from '../../nodes/lib/camera/settings';
import { helper, statusOf, waitFor } from '../support/flow';
import { field, message, nastyValue, oddString, settingField, settingValue } from './arbitraries';
import { checkBatch, describeValue, DUT, fuzzFlow, fuzzReporter, fuzzSuite, loadFuzzFlow, Msg, OutcomeTracker } from './harness';

const cameraModule = require('../../nodes/pi-camera/pi-camera');

const goodSettings = fc.record({
    width: fc.integer({ min: 16, max: 48 }),
    height: fc.integer({ min: 16, max: 48 }),
    quality: fc.integer({ min: 1, max: 100 }),
    rotation: fc.constantFrom(0, 180, '0', '180', ''),
    hflip: fc.boolean(),
    mode: fc.constantFrom('simulated', 'auto', ''),
    cameraName: fc.oneof(fc.constantFrom('porch', ' garden ', ''), oddString),
}, { requiredKeys: [] });

const fuzzedSettings = fc.record({
    width: settingField(fc.integer({ min: 16, max: 48 })),
    height: settingField(fc.integer({ min: 16, max: 48 })),
    quality: settingField(fc.integer({ min: 1, max: 100 })),
    rotation: settingField(fc.constantFrom(0, 180, '0', '180')),
    hflip: settingField(fc.boolean()),
    vflip: settingField(fc.boolean()),
    camera: settingField(fc.integer({ min: 0, max: 15 })),
    autofocus: settingField(fc.boolean()),
    timeout: settingField(fc.integer({ min: 1000, max: 600000 })),
    // 'auto' finds no rpicam-still on the empty PATH below, so it is simulated too.
    mode: fc.oneof({ arbitrary: fc.constantFrom('simulated', 'auto', undefined, ''), weight: 3 }, { arbitrary: settingValue, weight: 1 }),
    cameraName: settingField(fc.constantFrom('porch', ' garden ', '')),
});

const settingsArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
    { arbitrary: goodSettings, weight: 1 },
    { arbitrary: fuzzedSettings.map((raw) => Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined))), weight: 4 },
);

function settingsError(raw: Record<string, unknown>): Error | undefined {
    try {
        parseCameraSettings(raw as RawCameraSettings);
        const name = raw.cameraName;
        // As redis-image-store takes it: text, at most 64 characters, no control characters.
        // eslint-disable-next-line no-control-regex
        if (name !== undefined && name !== null && (typeof name !== 'string' || name.trim().length > 64 || /[\u0000-\u001f\u007f]/.test(name.trim()))) {
            throw new Error('camera name');
        }
        return undefined;
    } catch (err) {
        return err as Error;
    }
}

describe('fuzz: pi-camera', function () {
    this.timeout(180000);
    fuzzSuite({ redis: false });
    const originalPath = process.env.PATH;
    let emptyBin: string;
    before(() => {
        emptyBin = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-no-camera-'));
        process.env.PATH = emptyBin; // no rpicam-still, even on a Pi: the test card every time
    });
    after(() => {
        process.env.PATH = originalPath;
        fs.rmSync(emptyBin, { recursive: true, force: true });
    });

    it('deploys generated settings with a clear status and ends each of 1,000 messages exactly once', async function () {
        let sent = 0;
        const seen = { bad: 0, good: 0, pictures: 0 };
        const messages = fc.array(message({ payload: field(nastyValue), topic: field(oddString), image: field(nastyValue) }), { minLength: 24, maxLength: 24 });
        await fc.assert(fc.asyncProperty(settingsArb, messages, async (raw, batch) => {
            const problem = settingsError(raw);
            // Good settings are the expensive case (a JPEG per message): two messages each.
            if (!problem) batch = batch.slice(0, 2);
            await loadFuzzFlow([cameraModule], fuzzFlow({ type: 'pi-camera', name: '', ...raw }, 1));
            if (!helper.getNode(DUT)) assert.fail(`no camera node for settings ${describeValue(raw)}`);
            const tracker = new OutcomeTracker(1);
            if (problem) {
                seen.bad++;
                assert.equal(statusOf(DUT).fill, 'red', `red status for ${problem.message}`);
            } else {
                seen.good++;
                await waitFor(() => statusOf(DUT).fill === 'grey', 5000, 'simulated status');
            }
            const ids = tracker.send(batch);
            sent += ids.length;
            await tracker.waitEnded(ids, 20000);
            checkBatch(tracker, ids, (o) => {
                if (problem) {
                    assert.equal(o.outputs.length, 0);
                    assert.equal((o.errors[0]?.error as Msg | undefined)?.code, 'bad-setting');
                    return;
                }
                assert.equal(o.errors.length, 0, `no error: ${describeValue(o.errors[0]?.error)}`);
                assert.equal(o.outputs.length, 1);
                const out = o.outputs[0].msg;
                const settings = parseCameraSettings(raw as RawCameraSettings);
                assert.ok(Buffer.isBuffer(out.payload) && out.payload[0] === 0xff && out.payload[1] === 0xd8, 'a JPEG');
                const image = out.image as Msg;
                assert.deepEqual([image.width, image.height, image.mimeType], [settings.width, settings.height, 'image/jpeg']);
                assert.equal(image.camera, typeof raw.cameraName === 'string' && raw.cameraName.trim() ? raw.cameraName.trim() : 'camera');
                seen.pictures++;
            });
            await helper.unload();
        }), { seed: 5401, numRuns: 56, endOnFailure: true, asyncReporter: fuzzReporter(5401) });
        assert.ok(sent >= 1000, `${sent} messages`);
        assert.ok(seen.good >= 5 && seen.bad >= 40, JSON.stringify(seen));
    });

    it('refuses a camera name that is not text, or that redis-image-store would refuse, at deploy', async function () {
        for (const cameraName of [42, { name: 'porch' }, 'x'.repeat(65), 'line\nbreak']) {
            await loadFuzzFlow([cameraModule], fuzzFlow({ type: 'pi-camera', name: '', mode: 'simulated', width: 16, height: 16, cameraName }, 1));
            assert.ok(helper.getNode(DUT), `a camera node for ${JSON.stringify(cameraName)}`);
            assert.equal(statusOf(DUT).fill, 'red');
            const tracker = new OutcomeTracker(1);
            const [id] = tracker.send([{ payload: 'take one' }]);
            await tracker.waitEnded([id], 10000);
            assert.equal((tracker.outcomes.get(id)?.errors[0]?.error as Msg | undefined)?.code, 'bad-setting');
            await helper.unload();
        }
    });
});
