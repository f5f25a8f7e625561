// The scene brightness a real capture measured. rpicam-still writes the libcamera metadata
// of the still it saved with `--metadata <file> --metadata-format json`: one object, a
// `"Name": value` line per control, among them `"Lux"` (the figure the original capture
// script stores from picamera2). Values are printed by libcamera's toString() and quoted
// only when they hold a '/', so a control printed as bare text can make the file invalid
// JSON: Lux is then read from its own line.
import fs from 'fs';
import os from 'os';
import path from 'path';

const LUX_LINE = /"Lux"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/;

/** The Lux in rpicam-still's metadata text, or undefined when it holds none (or nonsense). */
export function luxFromMetadata(text: string): number | undefined {
    let lux: unknown;
    try {
        const parsed: unknown = JSON.parse(text);
        lux = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>).Lux : undefined;
    } catch {
        const line = LUX_LINE.exec(text);
        lux = line ? Number(line[1]) : undefined;
    }
    return typeof lux === 'number' && Number.isFinite(lux) && lux >= 0 ? lux : undefined;
}

/**
 * A private file name for one capture's metadata (stdout carries the JPEG), and a cleanup
 * that removes it whatever happened to the capture.
 */
export async function metadataFile(): Promise<{ file: string; remove: () => Promise<void> }> {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'pi-camera-'));
    return { file: path.join(dir, 'metadata.json'), remove: () => fs.promises.rm(dir, { recursive: true, force: true }) };
}

/** Reads the metadata a capture wrote; undefined when it wrote none. */
export async function readLux(file: string): Promise<number | undefined> {
    try {
        return luxFromMetadata(await fs.promises.readFile(file, 'utf8'));
    } catch {
        return undefined;
    }
}

/**
 * The simulated camera's lux: a room lit by a window, dim at night (20 lux) and brightest
 * at local noon (500 lux, an office), so that pictures taken at different hours differ
 * and the gallery's brightness filter has something to find.
 */
export function simulatedLux(time: Date): number {
    const hour = time.getHours() + time.getMinutes() / 60;
    const daylight = Math.max(0, Math.sin((Math.PI * (hour - 6)) / 12));
    return Math.round(20 + 480 * daylight);
}
