// A stand-in for a sound card that plays in real time. ALSA's "null" device discards a whole
// file in a few milliseconds (alsa-lib's null plugin is not paced), so on a machine without
// speakers nothing takes as long as the sound. The "aplay" written here runs the real aplay
// with the same arguments (so the file and arguments are checked for real) and then waits
// out the rest of the sound's length, logging when each playback started and ended.
// The 'hang' kind is a player that never finishes and ignores SIGTERM, which is what mpg123
// does on a machine without a sound card.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { findOnPath } from '../../../nodes/lib/child-process';
import { isRunning, readEventLog } from '../../support/stand-in';

export { isRunning };

export interface CardEvent {
    event: 'start' | 'end' | 'sigterm';
    pid: number;
    t: number;
    file?: string;
    args?: string[];
}

export interface FakeSoundCard {
    /** A folder holding the fake aplay, to put first on PATH (or pass as searchPath). */
    binDir: string;
    events(): CardEvent[];
    remove(): void;
}

export function realAplay(): string {
    const aplay = findOnPath('aplay');
    if (!aplay) throw new Error('these tests need aplay: apt-get install alsa-utils');
    return aplay;
}

export function makeFakeSoundCard(kind: 'realtime' | 'hang'): FakeSoundCard {
    const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-sound-card-'));
    const logFile = path.join(binDir, 'events.log');
    const wavModule = require.resolve('../../../nodes/lib/audio/wav');
    const script = `#!${process.execPath}
const fs = require('fs');
const { spawnSync } = require('child_process');
const log = (e) => fs.appendFileSync(${JSON.stringify(logFile)}, JSON.stringify({ ...e, pid: process.pid, t: Date.now() }) + '\\n');
const args = process.argv.slice(2);
const file = args[args.length - 1];
const started = Date.now();
log({ event: 'start', file, args });
if (${JSON.stringify(kind)} === 'hang') {
    process.on('SIGTERM', () => log({ event: 'sigterm' }));
    // Ends by itself after a minute, so a broken test never leaves it behind for long.
    setTimeout(() => process.exit(1), 60000);
} else {
    const real = spawnSync(${JSON.stringify(realAplay())}, args);
    if (real.status !== 0) {
        process.stderr.write(real.stderr);
        process.exit(real.status === null ? 1 : real.status);
    }
    const { duration } = require(${JSON.stringify(wavModule)}).parseWav(fs.readFileSync(file));
    setTimeout(() => { log({ event: 'end', file }); process.exit(0); }, Math.max(0, started + duration * 1000 - Date.now()));
}
`;
    fs.writeFileSync(path.join(binDir, 'aplay'), script, { mode: 0o755 });
    return {
        binDir,
        events: () => readEventLog<CardEvent>(logFile),
        remove: () => fs.rmSync(binDir, { recursive: true, force: true }),
    };
}

