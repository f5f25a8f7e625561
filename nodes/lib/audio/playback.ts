// Plays sounds one at a time through a player process. Whatever happens (no player, no sound
// card, a player that fails or hangs, the node closing) each request resolves with an
// outcome; nothing here throws or rejects, so a flow keeps moving without a speaker.
// The queue is bounded: at a busy gate a chime per tap would otherwise queue without end,
// and a rider would hear the chime of the rider three taps earlier. A sound that cannot
// start within maxWaitMs of being asked for is dropped ('late'), at that moment rather than
// at its turn, and a request finding maxWaiting sounds already waiting is dropped at once
// ('queue-full').
import { ChildProcess, spawn } from 'child_process';
import { lastLine, terminate } from '../child-process';
import { candidatePlayers, choosePlayer, PlayerChoice, playerArgs, PlayerName } from './player';
import type { Sound } from './sounds';
import { DeadlineTimer } from '../deadline-timer';

export type Outcome =
    | 'played'
    | 'no-player' // no suitable player on PATH
    | 'no-sound-device' // the player could not open the device
    | 'player-failed' // the player ended with an error for another reason
    | 'timeout' // the player did not finish in time and was killed
    | 'no-sound' // the sound could not be found (whoever asked has that error)
    | 'stopped' // the queue was stopped (node closing) before or while playing
    | 'late' // dropped: it could not start within maxWaitMs of being asked for
    | 'queue-full'; // dropped: maxWaiting sounds were already waiting

export interface PlayResult {
    outcome: Outcome;
    player?: PlayerName;
    /** The player's complaint (last line of its stderr), the spawn error, or the players looked for. */
    detail?: string;
}

export interface PlaybackOptions {
    player: PlayerChoice;
    device: string;
    /** Where players are looked for; defaults to PATH at the time of each playback. */
    searchPath?: string;
    /** Extra time beyond the sound's length before a player is taken as hung. */
    graceMs?: number;
    /** Limit for sounds whose length is unknown. */
    unknownLengthMs?: number;
    /** How long a player may ignore SIGTERM before it gets SIGKILL. */
    killAfterMs?: number;
    /** A sound that has not started this long after play() is dropped; none when undefined. */
    maxWaitMs?: number;
    /** How many sounds may wait behind the one playing; no limit when undefined. */
    maxWaiting?: number;
}

const DEFAULT_GRACE_MS = 3000;
const DEFAULT_UNKNOWN_LENGTH_MS = 120000;
const DEFAULT_KILL_AFTER_MS = 1000;
const STDERR_KEEP = 4096;
/**
 * After a player has found no sound device, later sounds report the same without starting
 * it again for this long: spawning a player blocks Node-RED's event loop for a time that
 * grows with its memory (about 45 ms at 350 MB), and a gate without a speaker would pay
 * that on every tap. A speaker plugged in later is found within this time.
 */
const NO_DEVICE_RECHECK_MS = 60000;

// Messages of aplay, paplay and mpg123 (via ALSA, PulseAudio or out123) that mean there is
// no usable output device, as opposed to a bad file.
const NO_DEVICE = /audio open error|no soundcards|cannot find card|unknown pcm|connection (refused|failure)|no such device|unable to open|failure loading driver|cannot open device|no default device/i;

/** How long to let a player run: the sound's length, a quarter more for slow devices, and grace. */
export function playbackLimitMs(sound: Sound, options: PlaybackOptions): number {
    if (sound.duration === undefined) return options.unknownLengthMs ?? DEFAULT_UNKNOWN_LENGTH_MS;
    return Math.ceil(sound.duration * 1250) + (options.graceMs ?? DEFAULT_GRACE_MS);
}

interface Job {
    sound: Promise<Sound>;
    /** performance.now() by which it must start, or Infinity. */
    deadline: number;
    onStart?: (sound: Sound) => void;
    resolve: (result: PlayResult) => void;
}

export class PlaybackQueue {
    private readonly waiting: Job[] = [];
    private current: { job: Job; child?: ChildProcess; exited: Promise<void> } | undefined;
    private stopped = false;
    // `until` is on the monotonic clock (performance.now): a wall clock stepped back by NTP
    // would otherwise keep the sound card counted as missing for as long as the step.
    private noDevice: { until: number; result: PlayResult } | undefined;
    /** Fires at the deadline of the oldest waiting sound (the earliest: all wait equally long). */
    private readonly deadlines = new DeadlineTimer(() => (this.stopped ? undefined : this.waiting[0]?.deadline), () => this.dropLate());

    constructor(private readonly options: PlaybackOptions) {}

    /** Number of requests not yet finished, the one playing included. */
    get length(): number {
        return this.waiting.length + (this.current ? 1 : 0);
    }

    /** Whether a sound asked for now would be dropped as 'queue-full'. */
    get full(): boolean {
        // An idle queue takes a sound whatever the limit: only sounds behind another wait.
        return this.current !== undefined && this.waiting.length >= (this.options.maxWaiting ?? Infinity);
    }

    /**
     * Queues a sound; resolves when it has played (or could not be). onStart marks its turn.
     * The sound may still be being looked up: its place in the queue is taken at once, so
     * sounds play in the order they were asked for, however long each look-up takes.
     * A dropped sound resolves with 'late' or 'queue-full' and is never played.
     */
    play(sound: Sound | Promise<Sound>, onStart?: (sound: Sound) => void): Promise<PlayResult> {
        if (this.stopped) return Promise.resolve({ outcome: 'stopped' });
        const lookup = Promise.resolve(sound);
        // Its failure is handled when its turn comes; until then it must not count as unhandled.
        lookup.catch(() => undefined);
        if (this.full) return Promise.resolve({ outcome: 'queue-full' });
        const deadline = this.options.maxWaitMs === undefined ? Infinity : performance.now() + this.options.maxWaitMs;
        return new Promise((resolve) => {
            this.waiting.push({ sound: lookup, deadline, onStart, resolve });
            if (!this.current) this.next();
            else if (this.waiting.length === 1) this.deadlines.arm();
        });
    }

    /** Drops everything queued, kills the player, and resolves once it has exited. */
    async stop(): Promise<void> {
        this.stopped = true;
        this.deadlines.cancel();
        for (const job of this.waiting.splice(0)) job.resolve({ outcome: 'stopped' });
        const current = this.current;
        if (!current) return;
        if (current.child) terminate(current.child, this.options.killAfterMs ?? DEFAULT_KILL_AFTER_MS);
        await current.exited;
    }

    private next(): void {
        this.dropLate();
        const job = this.waiting.shift();
        this.deadlines.arm();
        if (!job) return;
        let finish: (result: PlayResult) => void = () => undefined;
        const exited = new Promise<void>((done) => {
            finish = (result) => {
                this.current = undefined;
                job.resolve(this.stopped ? { ...result, outcome: 'stopped' } : result);
                done();
                if (!this.stopped) this.next();
            };
        });
        const current: NonNullable<PlaybackQueue['current']> = { job, exited };
        this.current = current;
        job.sound.then((sound) => {
            if (this.stopped) finish({ outcome: 'stopped' });
            // Its turn came in time but its look-up (speech synthesis) took too long.
            else if (performance.now() >= job.deadline) finish({ outcome: 'late' });
            else current.child = this.start(sound, job, finish);
        }, () => finish({ outcome: 'no-sound' }));
    }

    /** Drops the waiting sounds whose deadline has passed (the oldest come first). */
    private dropLate(): void {
        const now = performance.now();
        while (this.waiting.length > 0 && this.waiting[0].deadline <= now) this.waiting.shift()?.resolve({ outcome: 'late' });
    }


    private start(sound: Sound, job: Job, finish: (result: PlayResult) => void): ChildProcess | undefined {
        try {
            job.onStart?.(sound);
        } catch {
            // a status update that fails must not stall the queue
        }
        const { player: choice, device } = this.options;
        const player = choosePlayer(choice, sound.type, this.options.searchPath ?? process.env.PATH);
        if (!player) {
            finish({ outcome: 'no-player', detail: candidatePlayers(choice, sound.type).join(' or ') });
            return undefined;
        }
        if (this.noDevice && performance.now() < this.noDevice.until && this.noDevice.result.player === player.name) {
            finish(this.noDevice.result);
            return undefined;
        }
        try {
            return run(player.command, playerArgs(player.name, device, sound.file),
                playbackLimitMs(sound, this.options), this.options.killAfterMs ?? DEFAULT_KILL_AFTER_MS,
                (result) => {
                    const outcome = { ...result, player: player.name };
                    this.noDevice = result.outcome === 'no-sound-device' ? { until: performance.now() + NO_DEVICE_RECHECK_MS, result: outcome } : undefined;
                    finish(outcome);
                });
        } catch (err) {
            finish({ outcome: 'player-failed', player: player.name, detail: (err as Error).message });
            return undefined;
        }
    }
}

/** Spawns one player (no shell: the file name is never parsed) and reports how it ended. */
function run(command: string, args: string[], limitMs: number, killAfterMs: number,
    report: (result: PlayResult) => void): ChildProcess {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    let reported = false;
    const once = (result: PlayResult) => {
        if (reported) return;
        reported = true;
        clearTimeout(timer);
        report(result);
    };
    const timer = setTimeout(() => {
        timedOut = true;
        terminate(child, killAfterMs);
    }, limitMs);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });
    child.on('error', (err) => once({ outcome: 'no-player', detail: err.message }));
    child.on('close', (code, signal) => {
        const detail = lastLine(stderr);
        if (timedOut) once({ outcome: 'timeout', detail });
        else if (code === 0) once({ outcome: 'played' });
        else if (NO_DEVICE.test(stderr)) once({ outcome: 'no-sound-device', detail });
        else once({ outcome: 'player-failed', detail: detail || `exit ${code ?? signal}` });
    });
    return child;
}
