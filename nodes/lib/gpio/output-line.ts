// A single slow GPIO output (a reset or enable pin, a buzzer) without any native module:
// `pinctrl` on Raspberry Pi OS Bookworm and later, else the libgpiod `gpioset` tool on the
// chip found by label. Each write starts a process, so this is for pins that change a few
// times, not for bit-banging: fast lines use a GpioPort (gpio-port.ts).
import { ChildProcess, execFile, spawn } from 'child_process';
import { checkBcmPin, headerChipFromGpiodetect } from './header-chip';

export interface OutputLine {
    write(value: 0 | 1): Promise<void>;
    close(): Promise<void>;
}

/** Records the levels written (and can forward them), for tests and simulated hardware. */
export class SimulatedOutputLine implements OutputLine {
    readonly levels: Array<0 | 1> = [];
    closed = false;

    constructor(readonly pin: number, private readonly onChange?: (value: 0 | 1) => void) {}

    get level(): 0 | 1 | undefined {
        return this.levels[this.levels.length - 1];
    }

    async write(value: 0 | 1): Promise<void> {
        if (this.closed) throw new Error(`GPIO ${this.pin} is closed`);
        this.levels.push(value);
        this.onChange?.(value);
    }

    async close(): Promise<void> {
        this.closed = true;
    }
}

/** How commands are run; tests substitute their own. */
export interface CommandRunner {
    /** Runs a command to completion and resolves its stdout; rejects if it fails or is missing. */
    run(file: string, args: string[]): Promise<string>;
    /** Starts a long-running command (gpioset holding a line). */
    start(file: string, args: string[]): ChildProcess;
}

export const systemCommands: CommandRunner = {
    run: (file, args) => new Promise((resolve, reject) => {
        execFile(file, args, { timeout: 3000 }, (err, stdout) => (err ? reject(err) : resolve(String(stdout))));
    }),
    start: (file, args) => spawn(file, args, { stdio: 'ignore' }),
};

/**
 * Opens BCM pin `pin` as an output. Resolves undefined when neither pinctrl nor gpioset
 * can drive it here (not a Pi, tools missing).
 */
export async function openOutputLine(pin: number, commands: CommandRunner = systemCommands): Promise<OutputLine | undefined> {
    checkBcmPin(pin);
    if (await succeeds(commands, 'pinctrl', ['get', String(pin)])) return new PinctrlLine(pin, commands);
    const detected = await commands.run('gpiodetect', []).catch(() => '');
    const chip = headerChipFromGpiodetect(detected);
    if (!chip) return undefined;
    const version = await commands.run('gpioset', ['--version']).catch(() => undefined);
    if (version === undefined) return undefined;
    return new GpiosetLine(chip, pin, /v2\./.test(version), commands);
}

async function succeeds(commands: CommandRunner, file: string, args: string[]): Promise<boolean> {
    try {
        await commands.run(file, args);
        return true;
    } catch {
        return false;
    }
}

/** `pinctrl set <pin> op dh|dl`: the level stays after the command exits. */
class PinctrlLine implements OutputLine {
    constructor(private readonly pin: number, private readonly commands: CommandRunner) {}

    async write(value: 0 | 1): Promise<void> {
        await this.commands.run('pinctrl', ['set', String(this.pin), 'op', value ? 'dh' : 'dl']);
    }

    async close(): Promise<void> {
        // Nothing is held open; the pin keeps its last level, which keeps a reset pin released.
    }
}

/**
 * gpioset only guarantees the level while it runs, so a gpioset process holds the line
 * until the next write or close: `--mode=signal` in libgpiod v1, the default in v2.
 */
class GpiosetLine implements OutputLine {
    private holder: ChildProcess | undefined;

    constructor(private readonly chip: string, private readonly pin: number, private readonly v2: boolean,
        private readonly commands: CommandRunner) {}

    async write(value: 0 | 1): Promise<void> {
        await this.release();
        const setting = `${this.pin}=${value}`;
        const args = this.v2 ? ['-c', this.chip, setting] : ['--mode=signal', this.chip, setting];
        const child = this.commands.start('gpioset', args);
        child.unref();
        // A holder that is still running after a moment has set the line; an early exit is a failure.
        const failed = await new Promise<string | undefined>((resolve) => {
            const timer = setTimeout(() => resolve(undefined), 100);
            const fail = (why: string) => { clearTimeout(timer); resolve(why); };
            child.once('error', (err) => fail(err.message));
            child.once('exit', (code, signal) => fail(`gpioset exited (${code ?? signal})`));
        });
        if (failed) throw new Error(`cannot set GPIO ${this.pin}: ${failed}`);
        this.holder = child;
    }

    async close(): Promise<void> {
        await this.release();
    }

    private release(): Promise<void> {
        const holder = this.holder;
        this.holder = undefined;
        if (!holder || holder.exitCode !== null || holder.signalCode !== null) return Promise.resolve();
        return new Promise((resolve) => {
            holder.once('exit', () => resolve());
            holder.kill('SIGTERM');
        });
    }
}
