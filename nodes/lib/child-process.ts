// Helpers for the external programs the nodes run (sound players, camera capture programs):
// finding one on PATH, ending one that may ignore SIGTERM, and the gist of its stderr.
import type { ChildProcess } from 'child_process';
import { accessSync, constants, statSync } from 'fs';
import * as path from 'path';

/** The absolute path of an executable called name on searchPath, or undefined. */
export function findOnPath(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
    for (const dir of searchPath.split(path.delimiter)) {
        if (!dir || !path.isAbsolute(dir)) continue; // '' or '.' would mean the working directory
        const candidate = path.join(dir, name);
        try {
            accessSync(candidate, constants.X_OK);
            if (statSync(candidate).isFile()) return candidate;
        } catch {
            // not here; keep looking
        }
    }
    return undefined;
}

/**
 * SIGTERM, then SIGKILL if the program is still there after killAfterMs: mpg123 without a
 * sound card falls back to output modules that spin forever and ignore SIGTERM, and
 * rpicam-apps can hang on a camera fault.
 */
export function terminate(child: ChildProcess, killAfterMs: number): void {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const escalate = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, killAfterMs);
    child.once('close', () => clearTimeout(escalate));
}

/** The last non-empty line of text, trimmed, or undefined if there is none. */
export function lastLine(text: string): string | undefined {
    const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
    return lines.length ? lines[lines.length - 1] : undefined;
}
