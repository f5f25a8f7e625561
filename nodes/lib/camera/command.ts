// Which still-capture program this Pi has, and its arguments. Bookworm names it
// rpicam-still; Bullseye has only libcamera-still (same options). raspistill is gone.
import path from 'path';
import { findOnPath } from '../child-process';
import { DEFAULT_THUMBNAIL_WIDTH } from '../images/thumbnail';
import type { CameraSettings } from './settings';
import type { ThumbnailSpec } from './test-card';

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
 * The EXIF thumbnail a capture embeds: the gallery's thumbnail width (never wider than the
 * picture) and the picture's shape, since rpicam-still scales to exactly the size it is
 * given (its default 320x240 would squash a 16:9 picture). Quality 70 like rpicam-still's
 * default; it lowers that itself if the thumbnail would not fit under 60 KB. The store then
 * keeps this thumbnail as it is, instead of decoding the whole picture to make one.
 */
export function captureThumbnail(settings: Pick<CameraSettings, 'width' | 'height'>): ThumbnailSpec {
    const width = Math.min(DEFAULT_THUMBNAIL_WIDTH, settings.width);
    return { width, height: Math.max(1, Math.round((width * settings.height) / settings.width)), quality: 70 };
}

/** `--thumb w:h:q`. */
const thumbArgument = (t: ThumbnailSpec) => `${t.width}:${t.height}:${t.quality}`;

/**
 * JPEG to stdout with its EXIF thumbnail, no preview window, quiet stderr except errors;
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
        '--thumb', thumbArgument(captureThumbnail(settings)),
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
