// GpioPort over one long-lived `gpioset --interactive` process (libgpiod v2, as on Raspberry
// Pi OS Trixie, when built with interactive mode): the lines stay requested while it runs,
// each "set <pin>=<level>" line on its stdin is one ioctl, and it prints its "gpioset> "
// prompt after every command, which is how flush() knows the levels are on the pins.
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import type { GpioPort, Level } from './gpio-port';
import { checkBcmPin } from './header-chip';

const PROMPT = 'gpioset> ';
const CONSUMER = 'redis-iot-node-red';

export type Spawner = (file: string, args: string[]) => ChildProcessWithoutNullStreams;

export const spawnPiped: Spawner = (file, args) => spawn(file, args, { stdio: 'pipe' });

export interface GpiosetPortOptions {
    initial?: Level;
    /** How long gpioset may take to request the lines (default 3000 ms). */
    startTimeoutMs?: number;
    spawn?: Spawner;
}

/** Whether `gpioset --help` output offers the interactive mode (a build option of libgpiod v2). */
export function gpiosetIsInteractive(help: string): boolean {
    return /--interactive\b/.test(help);
}

/** The gpioset arguments that request `pins` of `chip` as open-drain outputs (pull-up on) at `initial` and wait for commands. */
export function gpiosetArgs(chip: string, pins: number[], initial: Level): string[] {
    return ['--interactive', '--consumer', CONSUMER, '--drive', 'open-drain', '--bias', 'pull-up', '--chip', chip,
        ...pins.map((pin) => `${pin}=${initial}`)];
}

/** Starts gpioset and resolves once it has the lines; rejects with its own error message if it exits. */
export function openGpiosetPort(chip: string, pins: number[], options: GpiosetPortOptions = {}): Promise<GpiosetPort> {
    try {
        pins.forEach(checkBcmPin);
    } catch (err) {
        return Promise.reject(err);
    }
    const initial = options.initial ?? 1;
    const child = (options.spawn ?? spawnPiped)('gpioset', gpiosetArgs(chip, pins, initial));
    const port = new GpiosetPort(child, pins, initial);
    return port.started(options.startTimeoutMs ?? 3000).then(() => port, async (err: Error) => {
        await port.close();
        throw err;
    });
}

interface Waiter {
    target: number;
    resolve: () => void;
    reject: (err: Error) => void;
}

export class GpiosetPort implements GpioPort {
    readonly backend = 'gpioset';
    private readonly levels = new Map<number, Level>();
    private queued: string[] = [];
    private sent = 0;
    private prompts = 0;
    private output = '';
    private stderr = '';
    private failure: Error | undefined;
    private waiters: Waiter[] = [];
    private closed = false;

    constructor(private readonly child: ChildProcessWithoutNullStreams, pins: number[], initial: Level) {
        for (const pin of pins) this.levels.set(pin, initial);
        child.stdout.setEncoding('utf8');
        child.stderr.setEncoding('utf8');
        child.stdout.on('data', (text: string) => this.read(text));
        child.stderr.on('data', (text: string) => { this.stderr = (this.stderr + text).slice(-500); });
        child.stdin.on('error', () => undefined); // a dead process shows up as 'exit' below
        child.on('error', (err) => this.fail(new Error(`cannot run gpioset: ${err.message}`)));
        // 'close' rather than 'exit': by then all of stderr has been read, so the message says why.
        child.on('close', (code, signal) => {
            const why = this.stderr.trim() || `exited (${code ?? signal})`;
            this.fail(new Error(`gpioset stopped: ${why}`));
        });
    }

    /** Resolves at gpioset's first prompt, i.e. once it holds the lines. */
    started(timeoutMs: number): Promise<void> {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('gpioset did not start')), timeoutMs);
            this.waiters.push({
                target: 0,
                resolve: () => { clearTimeout(timer); resolve(); },
                reject: (err) => { clearTimeout(timer); reject(err); },
            });
            this.settle();
        });
    }

    set(pin: number, level: Level): void {
        if (this.closed) throw new Error('the GPIO port is closed');
        if (!this.levels.has(pin)) throw new Error(`GPIO ${pin} is not part of this port`);
        if (this.levels.get(pin) === level) return;
        this.levels.set(pin, level);
        this.queued.push(`set ${pin}=${level}\n`);
    }

    flush(): Promise<void> {
        if (this.failure) return Promise.reject(this.failure);
        if (this.queued.length > 0) {
            this.child.stdin.write(this.queued.join(''));
            this.sent += this.queued.length;
            this.queued = [];
        }
        return new Promise((resolve, reject) => {
            this.waiters.push({ target: this.sent, resolve, reject });
            this.settle();
        });
    }

    close(): Promise<void> {
        this.closed = true;
        this.fail(new Error('the GPIO port is closed'));
        const child = this.child;
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        return new Promise((resolve) => {
            child.once('exit', () => resolve());
            child.stdin.end();
            child.kill('SIGTERM');
        });
    }

    /** Counts prompts; anything else gpioset says (other than an echo of our commands) is an error. */
    private read(text: string): void {
        this.output += text;
        let index: number;
        while ((index = this.output.indexOf(PROMPT)) >= 0) {
            const said = this.output.slice(0, index).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('set '));
            this.output = this.output.slice(index + PROMPT.length);
            this.prompts += 1;
            if (said.length > 0) this.fail(new Error(`gpioset: ${said.join('; ')}`));
        }
        this.settle();
    }

    /** The first prompt comes before any command; each later one acknowledges one command. */
    private settle(): void {
        if (this.failure) return;
        const acknowledged = this.prompts - 1;
        const ready = this.waiters.filter((w) => acknowledged >= w.target);
        this.waiters = this.waiters.filter((w) => acknowledged < w.target);
        ready.forEach((w) => w.resolve());
    }

    private fail(err: Error): void {
        this.failure ??= err;
        const waiters = this.waiters;
        this.waiters = [];
        waiters.forEach((w) => w.reject(this.failure ?? err));
    }
}
