// Shared pieces of the stand-in programs (a paced aplay, a fake rpicam-still) that tests
// put first on PATH: the JSON-lines log they write, and a check that a process is gone.
import fs from 'fs';

/** The events a stand-in logged, one JSON object a line; none while the file is missing. */
export function readEventLog<T>(logFile: string): T[] {
    if (!fs.existsSync(logFile)) return [];
    return fs.readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}

/** Whether a process still exists (signal 0 only checks). */
export function isRunning(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}
