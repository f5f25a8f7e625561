// GpioPort over the optional `node-libgpiod` binding (libgpiod v1, as on Raspberry Pi OS
// Bookworm): each set() is one synchronous ioctl of about a microsecond, followed by a short
// busy-wait so the chip on the other end sees clean, not too fast, edges. Lines are
// requested open-drain with the pull-up on (1 releases the line), as two-wire buses expect.
// The binding is loaded lazily, so the package installs and runs (simulated) where it did
// not build.
import type { GpioPort, Level } from './gpio-port';
import { checkBcmPin, NO_HEADER_CHIP, pickHeaderChip } from './header-chip';

/** The part of node-libgpiod 0.5 we use (its own .d.ts is not needed at build time). */
export interface LibgpiodLine {
    requestOutputModeFlags(consumer: string, flags: number, defaultValue?: Level): unknown;
    setValue(value: number): unknown;
    release(): unknown;
}
export interface LibgpiodChip {
    readonly label: string;
    getLine(offset: number): LibgpiodLine;
}
export interface LibgpiodModule {
    getChipNames(): string[];
    Chip: new (name: string) => LibgpiodChip;
}

const CONSUMER = 'redis-iot-node-red';
/** libgpiod v1 request flags (GPIOD_LINE_REQUEST_FLAG_*). */
export const OPEN_DRAIN = 1 << 0;
export const BIAS_PULL_UP = 1 << 5;

export function loadLibgpiod(): LibgpiodModule | undefined {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require('node-libgpiod') as LibgpiodModule;
    } catch {
        return undefined;
    }
}

export interface LibgpiodPortOptions {
    /** Pause after each level change, in microseconds (default 10: a 50 kHz clock, well inside TM1637's 250 kHz). */
    edgeDelayUs?: number;
    /** Level each line starts at (default 1, the idle level of a two-wire bus). */
    initial?: Level;
}

/**
 * Opens `pins` (BCM numbers) as open-drain outputs on the header chip. Resolves
 * { reason } when this machine has no header chip the binding can see; rejects when the
 * chip is there but the lines cannot be had (busy, no permission).
 */
export function openLibgpiodPort(gpiod: LibgpiodModule, pins: number[], options: LibgpiodPortOptions = {}):
    LibgpiodPort | { reason: string } {
    pins.forEach(checkBcmPin);
    const chips = gpiod.getChipNames().map((name) => ({ name, chip: new gpiod.Chip(name) }));
    const name = pickHeaderChip(chips.map(({ name: n, chip }) => ({ name: n, label: chip.label })));
    const found = chips.find((c) => c.name === name);
    if (!found) return { reason: NO_HEADER_CHIP };
    const lines = new Map<number, LibgpiodLine>();
    try {
        for (const pin of pins) {
            const line = found.chip.getLine(pin);
            requestOpenDrain(line, options.initial ?? 1);
            lines.set(pin, line);
        }
    } catch (err) {
        lines.forEach((line) => line.release());
        throw new Error(`cannot use GPIO ${pins.join(' and ')} on ${found.name}: ${(err as Error).message}`, { cause: err });
    }
    return new LibgpiodPort(found.chip, lines, options.edgeDelayUs ?? 10);
}

/** Open-drain with the internal pull-up; without the pull-up where the kernel cannot set bias. */
function requestOpenDrain(line: LibgpiodLine, initial: Level): void {
    try {
        line.requestOutputModeFlags(CONSUMER, OPEN_DRAIN | BIAS_PULL_UP, initial);
    } catch {
        line.requestOutputModeFlags(CONSUMER, OPEN_DRAIN, initial);
    }
}

export class LibgpiodPort implements GpioPort {
    readonly backend = 'node-libgpiod';
    private failure: Error | undefined;
    private closed = false;

    // The chip object is kept: if it were collected, the binding would close it and drop the lines.
    constructor(readonly chip: LibgpiodChip, private readonly lines: Map<number, LibgpiodLine>, private readonly edgeDelayUs: number) {}

    set(pin: number, level: Level): void {
        if (this.closed) throw new Error('the GPIO port is closed');
        const line = this.lines.get(pin);
        if (!line) throw new Error(`GPIO ${pin} is not part of this port`);
        if (this.failure) return; // the frame is lost already; flush() reports it
        try {
            line.setValue(level);
        } catch (err) {
            this.failure = err instanceof Error ? err : new Error(String(err));
            return;
        }
        busyWait(this.edgeDelayUs);
    }

    flush(): Promise<void> {
        const failure = this.failure;
        this.failure = undefined;
        // Give the event loop a turn between transactions: a frame blocks it ~1 ms at most.
        return new Promise((resolve, reject) => setImmediate(() => (failure ? reject(failure) : resolve())));
    }

    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        for (const line of this.lines.values()) {
            try {
                line.release();
            } catch {
                // Released already (or the chip is gone); nothing else holds it.
            }
        }
    }
}

/** JavaScript has no microsecond sleep; the edges are a few microseconds apart, so spin. */
function busyWait(us: number): void {
    if (us <= 0) return;
    const until = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
    while (process.hrtime.bigint() < until) { /* spin */ }
}
