// A stand-in rpicam-still (or libcamera-still) to put first on PATH, since the test machine
// has no camera. It takes the real options, logs when each capture started and ended, and
// behaves like the real program in one way chosen per test:
//   picture   waits delayMs, then writes a real JPEG of --width x --height to stdout, with
//             the EXIF thumbnail --thumb w:h:q asks for (rpicam-still's default 320:240:70
//             without the option, none for --thumb none) and, when asked with
//             --metadata <file>, the still's metadata in that file
//   hang      never finishes and ignores SIGTERM (a camera fault hang, rpicam-apps #361)
//   busy      prints rpicam-still's messages when another process holds the camera
//   no-camera prints its message for a Pi without a camera (also for --list-cameras, unless
//             listsCamera: e.g. a camera index that does not exist)
//   garbage   exits 0 having written something that is not a JPEG
import fs from 'fs';
import os from 'os';
import path from 'path';
import { isRunning, readEventLog } from '../../support/stand-in';

export { isRunning };

export type FakeCameraKind = 'picture' | 'hang' | 'busy' | 'no-camera' | 'garbage';

export interface CameraEvent {
    event: 'start' | 'end' | 'sigterm';
    pid: number;
    t: number;
    args?: string[];
}

export interface FakeCamera {
    binDir: string;
    program: string;
    events(): CameraEvent[];
    remove(): void;
}

export const BUSY_STDERR = '[0:00:01.108367424] [2412]  INFO Camera camera_manager.cpp:325 libcamera v0.3.2+99-1230f78d\n'
    + '[0:00:01.118752353] [2412] ERROR Camera camera.cpp:1002 Pipeline handler in use by another process\n'
    + 'ERROR: *** failed to acquire camera /base/axi/pcie@120000/rp1/i2c@88000/imx708@1a ***\n';
export const NO_CAMERA_STDERR = '[0:00:00.973462811] [2566]  INFO Camera camera_manager.cpp:325 libcamera v0.3.2+99-1230f78d\n'
    + 'ERROR: *** no cameras available ***\n';

/**
 * What rpicam-still writes for `--metadata <file> --metadata-format json` (rpicam-apps
 * write_metadata: "{", then `    "<control>": <libcamera toString()>` lines, a value quoted
 * only when it holds a '/', then "}" with no newline), for an imx708 still with this Lux.
 */
export function rpicamMetadata(lux: number | string): string {
    return ['{',
        // not a date: the sensor's timestamp, ns since the Pi booted.
        '    "SensorTimestamp": 1077370374000,',
        '    "ScalerCrop": "(0, 0)/4608x2592",',
        '    "DigitalGain": 1.00024,',
        '    "ColourGains": [ 1.93845, 1.72493 ],',
        '    "SensorBlackLevels": [ 4096, 4096, 4096, 4096 ],',
        '    "AeLocked": true,',
        `    "Lux": ${lux},`,
        '    "FrameDuration": 33327,',
        '    "ColourCorrectionMatrix": [ 1.79624, -0.611287, -0.184954, -0.332197, 1.75934, -0.427145, -0.0431738, -0.608852, 1.65203 ],',
        '    "AnalogueGain": 1.12281,',
        '    "ColourTemperature": 4612,',
        '    "ExposureTime": 19977,',
        '    "FocusFoM": 1052',
        '}'].join('\n');
}

export function makeFakeCamera(kind: FakeCameraKind, options: { delayMs?: number; name?: string; listsCamera?: boolean; lux?: number } = {}): FakeCamera {
    const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-camera-'));
    const logFile = path.join(binDir, 'events.log');
    const program = path.join(binDir, options.name ?? 'rpicam-still');
    const script = `#!${process.execPath}
const fs = require('fs');
const log = (e) => fs.appendFileSync(${JSON.stringify(logFile)}, JSON.stringify({ ...e, pid: process.pid, t: Date.now() }) + '\\n');
const args = process.argv.slice(2);
const kind = ${JSON.stringify(kind)};
const option = (name) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : undefined; };
if (args.includes('--list-cameras')) {
    if (${JSON.stringify(options.listsCamera ?? kind !== 'no-camera')} === false) console.log('No cameras available!');
    else console.log('Available cameras\\n-----------------\\n0 : imx708 [4608x2592 10-bit RGGB] (/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a)');
    process.exit(0);
}
log({ event: 'start', args });
if (kind === 'hang') {
    process.on('SIGTERM', () => log({ event: 'sigterm' }));
    setTimeout(() => process.exit(1), 60000); // never outlives a broken test for long
} else if (kind === 'busy') {
    process.stderr.write(${JSON.stringify(BUSY_STDERR)});
    process.exit(255);
} else if (kind === 'no-camera') {
    process.stderr.write(${JSON.stringify(NO_CAMERA_STDERR)});
    process.exit(255);
} else if (kind === 'garbage') {
    process.stdout.write('not a picture');
} else {
    const { encode } = require(${JSON.stringify(require.resolve('jpeg-js'))});
    const width = option('--width'), height = option('--height');
    const picture = encode({ width, height, data: Buffer.alloc(width * height * 4, 200) }, option('--quality')).data;
    const thumb = args.includes('--thumb') ? args[args.indexOf('--thumb') + 1] : '320:240:70';
    let jpeg = picture;
    if (thumb !== 'none') {
        const [tw, th, tq] = thumb.split(':').map(Number);
        const small = encode({ width: tw, height: th, data: Buffer.alloc(tw * th * 4, 120) }, tq).data;
        jpeg = require(${JSON.stringify(require.resolve('../../../nodes/lib/camera/exif'))})
            .withExifThumbnail(picture, { jpeg: small, width: tw, height: th }, new Date(), 'rpicam-apps');
    }
    const metadata = args.indexOf('--metadata');
    setTimeout(() => {
        log({ event: 'end' });
        if (metadata >= 0) fs.writeFileSync(args[metadata + 1], ${JSON.stringify(rpicamMetadata(options.lux ?? 268.436))});
        process.stdout.write(jpeg);
    }, ${options.delayMs ?? 0});
}
`;
    fs.writeFileSync(program, script, { mode: 0o755 });
    return {
        binDir,
        program,
        events: () => readEventLog<CameraEvent>(logFile),
        remove: () => fs.rmSync(binDir, { recursive: true, force: true }),
    };
}
