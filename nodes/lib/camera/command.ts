// Which still-capture program this Pi has, and its arguments. Bookworm names it
// rpicam-still; Bullseye has only libcamera-still (same options). raspistill is gone.
import path from 'path';
import { findOnPath } from '../child-process';
import type { CameraSettings } from './settings';

const CAPTURE_PROGRAMS = ['rpicam-still', 'libcamera-still'] as const;

/** The absolute path of the first capture program on the search path, if any. */
export function findCaptureProgram(searchPath = process.env.PATH ?? ''): string | undefined {
    for (const name of CAPTURE_PROGRAMS) {
        const found = findOnPath(name, searchPath);
        if (found) return found;
    }
    return undefined;
}

// Auto exposure and white balance settle during the preview time (-t) before the still is
// taken; half a second is enough in daylight and keeps a capture well under a second.
const SETTLE_MS = 500;

/**
 * Whether this program can write the still's metadata (`--metadata`): rpicam-still can;
 * Bullseye's libcamera-still has no such option and would refuse to run with it.
 */
export function writesMetadata(program: string): boolean {
    return path.basename(program) === 'rpicam-still';
}

/**
 * JPEG to stdout, no preview window, no embedded EXIF thumbnail, quiet stderr except errors;
 * with metadataFile, the still's libcamera metadata (its Lux) as JSON in that file.
 */
export function captureArgs(settings: CameraSettings, metadataFile?: string): string[] {
    const args = [
        '--nopreview',
        '--camera', String(settings.camera),
        '--timeout', String(SETTLE_MS),
        '--width', String(settings.width),
        '--height', String(settings.height),
        '--encoding', 'jpg',
        '--quality', String(settings.quality),
        '--thumb', 'none',
        '--verbose', '0',
    ];
    if (settings.rotation === 180) args.push('--rotation', '180');
    if (settings.hflip) args.push('--hflip');
    if (settings.vflip) args.push('--vflip');
    if (settings.autofocus) args.push('--autofocus-on-capture');
    if (metadataFile) args.push('--metadata', metadataFile, '--metadata-format', 'json');
    args.push('--output', '-');
    return args;
}
