// One still from the real camera or the simulated one, as the JPEG and the facts about it.
// 'auto' uses rpicam-still (or libcamera-still) when it is installed and sees a camera,
// and the simulated test card otherwise, so the same flow runs on a Pi and on a laptop.
import { execFile } from 'child_process';
import { captureArgs, findCaptureProgram, writesMetadata } from './command';
import { jpegSize } from '../jpeg';
import { metadataFile, readLux, simulatedLux } from './metadata';
import { runCapture } from './run';
import type { CameraSettings } from './settings';
import { simulatedStillCommand } from './simulated-still';

export type CameraSource =
    | { kind: 'real'; program: string }
    | { kind: 'simulated'; reason: 'mode' | 'no-program' | 'no-camera' };

export interface Still {
    jpeg: Buffer;
    width: number;
    height: number;
    /** Unix ms when the picture was taken (after the capture, as the original did). */
    timestamp: number;
    /**
     * Scene brightness: what rpicam-still measured (its metadata's Lux), the simulated
     * scene's; absent when nothing measured it (libcamera-still, or no metadata written).
     */
    lux?: number;
}

/** The source a node should use: simulated when asked, or when nothing can take a picture. */
export async function chooseSource(settings: CameraSettings, searchPath = process.env.PATH ?? ''): Promise<CameraSource> {
    if (settings.mode === 'simulated') return { kind: 'simulated', reason: 'mode' };
    const program = findCaptureProgram(searchPath);
    if (!program) return { kind: 'simulated', reason: 'no-program' };
    return (await seesNoCamera(program)) ? { kind: 'simulated', reason: 'no-camera' } : { kind: 'real', program };
}

/**
 * `--list-cameras` says "No cameras available!" on a Pi without a camera. Anything else
 * (cameras listed, the probe failing or hanging) counts as a camera, so a real failure is
 * reported at capture time rather than hidden behind the test card.
 */
function seesNoCamera(program: string): Promise<boolean> {
    return new Promise((resolve) => {
        execFile(program, ['--list-cameras'], { timeout: 5000, killSignal: 'SIGKILL' }, (_err, stdout, stderr) => {
            resolve(/no cameras available/i.test(`${stdout}\n${stderr}`));
        });
    });
}

export async function takeStill(source: CameraSource, settings: CameraSettings, label: string, signal?: AbortSignal): Promise<Still> {
    if (source.kind === 'simulated') {
        const time = new Date();
        const { program, args } = simulatedStillCommand(settings, time, label);
        const jpeg = await runCapture(program, args, { timeoutMs: settings.timeout, signal });
        return { jpeg, width: settings.width, height: settings.height, timestamp: time.getTime(), lux: simulatedLux(time) };
    }
    const metadata = writesMetadata(source.program) ? await metadataFile() : undefined;
    try {
        const jpeg = await runCapture(source.program, captureArgs(settings, metadata?.file), { timeoutMs: settings.timeout, signal });
        const timestamp = Date.now();
        // The camera may round the size to what its sensor modes allow: report what it produced.
        const size = jpegSize(jpeg) ?? { width: settings.width, height: settings.height };
        const lux = metadata ? await readLux(metadata.file) : undefined;
        return { jpeg, ...size, timestamp, ...(lux === undefined ? {} : { lux }) };
    } finally {
        await metadata?.remove().catch(() => undefined);
    }
}
