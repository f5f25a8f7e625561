// What a failed capture means, from the capture program's stderr. Only one process can
// hold a camera ("Pipeline handler in use by another process" / "failed to acquire
// camera"), and a Pi without a camera says "no cameras available".
import { lastLine } from '../child-process';

export type CaptureErrorCode =
    | 'busy' // another process holds the camera
    | 'no-camera' // no camera connected, or the index is out of range
    | 'timeout' // hung and killed
    | 'not-jpeg' // exited 0 but stdout was not a JPEG
    | 'stopped' // the node closed while capturing or waiting
    | 'queue-full' // refused: the most captures allowed were already waiting (detail: how many)
    | 'late' // refused: it could not start within the time allowed (detail: seconds)
    | 'failed'; // anything else, with the program's last line of stderr

export class CaptureError extends Error {
    constructor(readonly code: CaptureErrorCode, readonly detail = '') {
        super(detail ? `${code}: ${detail}` : code);
        this.name = 'CaptureError';
    }
}

const BUSY = /in use by another process|failed to acquire camera|device or resource busy/i;
const NO_CAMERA = /no cameras available|camera\s*\d*\s*not found|invalid camera|no camera/i;

export function classifyStderr(stderr: string): 'busy' | 'no-camera' | 'failed' {
    if (BUSY.test(stderr)) return 'busy';
    if (NO_CAMERA.test(stderr)) return 'no-camera';
    return 'failed';
}

/** The most telling line of stderr: the matching one, or else the last non-empty one. */
export function stderrSummary(stderr: string): string {
    const telling = stderr.split('\n').map((line) => line.trim()).find((line) => BUSY.test(line) || NO_CAMERA.test(line));
    return (telling ?? lastLine(stderr) ?? '').slice(0, 200);
}
