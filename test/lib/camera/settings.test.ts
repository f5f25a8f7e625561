// Settings, arguments, stderr classification and JPEG size reading: the pure parts.
import assert from 'assert/strict';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { encode } from 'jpeg-js';
import { captureArgs, captureThumbnail, findCaptureProgram } from '../../../nodes/lib/camera/command';
import { classifyStderr, stderrSummary } from '../../../nodes/lib/camera/errors';
import { isJpeg, jpegSize } from '../../../nodes/lib/jpeg';
import { parseCameraSettings } from '../../../nodes/lib/camera/settings';
import { BUSY_STDERR, NO_CAMERA_STDERR } from './fake-camera';

describe('camera settings', () => {
    it('defaults to 1280x720, quality 80, camera 0, 10 s, auto', () => {
        assert.deepEqual(parseCameraSettings({}), {
            width: 1280, height: 720, quality: 80, rotation: 0, hflip: false, vflip: false,
            camera: 0, autofocus: false, timeout: 10000, mode: 'auto',
        });
    });

    it('takes editor strings', () => {
        const s = parseCameraSettings({ width: '640', height: '480', quality: '95', rotation: '180', hflip: true, vflip: 'true', camera: '1', autofocus: true, timeout: '3000', mode: 'simulated' });
        assert.deepEqual(s, { width: 640, height: 480, quality: 95, rotation: 180, hflip: true, vflip: true, camera: 1, autofocus: true, timeout: 3000, mode: 'simulated' });
    });

    for (const [field, value] of [['width', 0], ['width', 'wide'], ['height', 99999], ['quality', 0], ['quality', 101], ['rotation', 90],
        ['camera', -1], ['timeout', 10], ['mode', 'real']] as const) {
        it(`refuses ${field} ${value}`, () => {
            assert.throws(() => parseCameraSettings({ [field]: value }), new RegExp(`invalid ${field}`));
        });
    }
});

describe('capture arguments', () => {
    it('asks for a JPEG on stdout with the settings', () => {
        const args = captureArgs(parseCameraSettings({ width: 640, height: 480, quality: 70, camera: 1 }));
        assert.deepEqual(args, ['--nopreview', '--camera', '1', '--timeout', '500', '--width', '640', '--height', '480',
            '--encoding', 'jpg', '--quality', '70', '--thumb', '320:240:70', '--verbose', '0', '--output', '-']);
    });

    it("asks for an EXIF thumbnail of the picture's shape, at most the gallery's 320 px and never wider than the picture", () => {
        assert.deepEqual(captureThumbnail({ width: 1280, height: 720 }), { width: 320, height: 180, quality: 70 });
        assert.deepEqual(captureThumbnail({ width: 4056, height: 3040 }), { width: 320, height: 240, quality: 70 });
        assert.deepEqual(captureThumbnail({ width: 160, height: 120 }), { width: 160, height: 120, quality: 70 });
        assert.deepEqual(captureThumbnail({ width: 4656, height: 16 }), { width: 320, height: 1, quality: 70 });
        const args = captureArgs(parseCameraSettings({ width: 1920, height: 1080 }));
        assert.equal(args[args.indexOf('--thumb') + 1], '320:180:70');
    });

    it('adds rotation, flips and autofocus only when set', () => {
        const args = captureArgs(parseCameraSettings({ rotation: 180, hflip: true, vflip: true, autofocus: true }));
        assert.deepEqual(args.slice(-7), ['--rotation', '180', '--hflip', '--vflip', '--autofocus-on-capture', '--output', '-']);
        const plain = captureArgs(parseCameraSettings({}));
        for (const option of ['--rotation', '--hflip', '--vflip', '--autofocus-on-capture']) assert.ok(!plain.includes(option), option);
    });

    it('finds rpicam-still first, libcamera-still on older systems, or nothing', () => {
        const dirs = ['a', 'b'].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'camera-bin-')));
        try {
            const write = (dir: string, name: string) => fs.writeFileSync(path.join(dir, name), '#!/bin/sh\n', { mode: 0o755 });
            const searchPath = dirs.join(path.delimiter);
            assert.equal(findCaptureProgram(searchPath), undefined);
            write(dirs[0], 'libcamera-still');
            assert.equal(findCaptureProgram(searchPath), path.join(dirs[0], 'libcamera-still'));
            write(dirs[1], 'rpicam-still');
            assert.equal(findCaptureProgram(searchPath), path.join(dirs[1], 'rpicam-still'));
        } finally {
            dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
        }
    });
});

describe('capture error classification', () => {
    it('tells a busy camera, a missing camera and other failures apart', () => {
        assert.equal(classifyStderr(BUSY_STDERR), 'busy');
        assert.equal(classifyStderr('ERROR: *** failed to acquire camera /base/soc/i2c0mux/i2c@1/imx219@10 ***'), 'busy');
        assert.equal(classifyStderr(NO_CAMERA_STDERR), 'no-camera');
        assert.equal(classifyStderr('ERROR: *** Invalid camera index 3 ***'), 'no-camera');
        assert.equal(classifyStderr('ERROR: *** unrecognised option --foo ***'), 'failed');
    });

    it('summarises with the telling line', () => {
        assert.equal(stderrSummary(BUSY_STDERR), '[0:00:01.118752353] [2412] ERROR Camera camera.cpp:1002 Pipeline handler in use by another process');
        assert.equal(stderrSummary('a\nlast line\n\n'), 'last line');
    });
});

describe('JPEG facts', () => {
    it('reads the frame size and the magic number', () => {
        const jpeg = encode({ width: 123, height: 45, data: Buffer.alloc(123 * 45 * 4) }, 50).data;
        assert.ok(isJpeg(jpeg));
        assert.deepEqual(jpegSize(jpeg), { width: 123, height: 45 });
        assert.equal(isJpeg(Buffer.from('not a picture')), false);
        assert.equal(jpegSize(jpeg.subarray(0, 20)), undefined);
    });
});
