// The pi-camera node's settings, checked once at deploy so a bad value is a red status
// rather than a capture that fails later. Editor fields arrive as strings or numbers.
import { integerSetting } from '../settings';

export type CameraMode = 'auto' | 'simulated';

export interface CameraSettings {
    width: number;
    height: number;
    /** JPEG quality 1-100. */
    quality: number;
    rotation: 0 | 180;
    hflip: boolean;
    vflip: boolean;
    /** Camera index for `--camera` (a Pi 5 has two connectors). */
    camera: number;
    autofocus: boolean;
    /** Capture time limit in ms; a process still running then is killed. */
    timeout: number;
    mode: CameraMode;
}

export interface RawCameraSettings {
    width?: string | number;
    height?: string | number;
    quality?: string | number;
    rotation?: string | number;
    hflip?: boolean | string;
    vflip?: boolean | string;
    camera?: string | number;
    autofocus?: boolean | string;
    timeout?: string | number;
    mode?: string;
}

/**
 * The capture queue's limits (nodes/lib/queue-limits.ts): a capture takes a second or two,
 * so five waiting is a burst the camera catches up with, and a picture taken half a minute
 * after its trigger shows a moment long gone.
 */
export const CAMERA_QUEUE_DEFAULTS = { maxWait: 30, maxQueue: 5 };

// 4608x2592 is the Camera Module 3's full size; the HQ camera's 4056x3040 fits too.
export const MAX_WIDTH = 4656;
export const MAX_HEIGHT = 3496;

const flag = (value: boolean | string | undefined): boolean => value === true || value === 'true';

/** Throws an Error naming the bad field. */
export function parseCameraSettings(raw: RawCameraSettings): CameraSettings {
    const rotation = integerSetting(raw.rotation, 0, 0, 180, 'rotation');
    if (rotation !== 0 && rotation !== 180) throw new Error(`invalid rotation: ${raw.rotation} (0 or 180)`);
    const mode = raw.mode === undefined || raw.mode === '' ? 'auto' : raw.mode;
    if (mode !== 'auto' && mode !== 'simulated') throw new Error(`invalid mode: ${raw.mode}`);
    return {
        width: integerSetting(raw.width, 1280, 16, MAX_WIDTH, 'width'),
        height: integerSetting(raw.height, 720, 16, MAX_HEIGHT, 'height'),
        quality: integerSetting(raw.quality, 80, 1, 100, 'quality'),
        rotation,
        hflip: flag(raw.hflip),
        vflip: flag(raw.vflip),
        camera: integerSetting(raw.camera, 0, 0, 15, 'camera'),
        autofocus: flag(raw.autofocus),
        timeout: integerSetting(raw.timeout, 10000, 1000, 600000, 'timeout'),
        mode,
    };
}
