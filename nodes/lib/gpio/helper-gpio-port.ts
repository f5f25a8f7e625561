// GpioPort through the hardware helper: one python3 process holds the lines (through lgpio or
// gpiod, whichever Raspberry Pi OS has) for as long as the port is open. set() only queues a
// level; flush() sends everything queued as one LEVELS frame, which the helper applies in
// order, each held for `edgeDelayUs`, and answers once the last is on the pins. A TM1637
// refresh is three flushes, so three round trips, not one per edge.
import { HelperOptions, HelperProcess, HelperRefused, startHelper } from '../pi-helper/helper-process';
import { FrameKind, MAX_PAYLOAD } from '../pi-helper/frames';
import type { PiHost } from '../pi-helper/pi-host';
import { adviceFor } from '../pi-helper/setup-problem';
import type { GpioPort, Level } from './gpio-port';
import { checkBcmPin, HEADER_CHIP_LABELS, NO_HEADER_CHIP } from './header-chip';

export interface HelperGpioOptions extends HelperOptions {
    /** Level each line starts at (default 1, the idle level of a two-wire bus). */
    initial?: Level;
    /** How long each level is held, µs (default 10: a 50 kHz clock, well inside the TM1637's 250 kHz). */
    edgeDelayUs?: number;
}

/**
 * Opens `pins` (BCM) as open-drain outputs on the header's GPIO chip, found by its label.
 * Resolves { reason } where no chip has a Raspberry Pi header label; rejects with a
 * SetupProblem naming the fix (module, group), or an error for busy lines.
 */
export async function openHelperGpioPort(pins: number[], host: PiHost, options: HelperGpioOptions = {}):
    Promise<HelperGpioPort | { reason: string }> {
    pins.forEach(checkBcmPin);
    const initial = options.initial ?? 1;
    const args = ['gpio', '--dev-dir', host.devDir, '--labels', HEADER_CHIP_LABELS.join(','), '--pins', pins.join(','),
        '--initial', String(initial), '--edge-us', String(options.edgeDelayUs ?? 10)];
    try {
        const { helper, ready } = await startHelper(args, host, options);
        return new HelperGpioPort(helper, pins, initial, `python3 ${String(ready.backend)}`);
    } catch (err) {
        if (!(err instanceof HelperRefused)) throw err;
        const advice = adviceFor(err.report);
        if (!advice) return { reason: `${NO_HEADER_CHIP} (${err.message})` };
        throw advice;
    }
}

export class HelperGpioPort implements GpioPort {
    private readonly levels = new Map<number, Level>();
    private queued: number[] = [];
    private closed = false;

    constructor(readonly helper: HelperProcess, pins: number[], initial: Level, readonly backend: string) {
        for (const pin of pins) this.levels.set(pin, initial);
    }

    set(pin: number, level: Level): void {
        if (this.closed) throw new Error('the GPIO port is closed');
        if (!this.levels.has(pin)) throw new Error(`GPIO ${pin} is not part of this port`);
        if (this.levels.get(pin) === level) return;
        this.levels.set(pin, level);
        this.queued.push(pin, level);
    }

    async flush(): Promise<void> {
        const batch = Buffer.from(this.queued);
        this.queued = [];
        if (batch.length === 0) {
            // Nothing to send, but a port whose helper died still says so.
            await new Promise((resolve) => setImmediate(resolve));
            if (this.helper.failed) throw this.helper.failed;
            return;
        }
        for (let start = 0; start < batch.length; start += MAX_PAYLOAD - 1) {
            await this.helper.request(FrameKind.levels, batch.subarray(start, start + MAX_PAYLOAD - 1));
        }
    }

    async close(): Promise<void> {
        this.closed = true;
        await this.helper.close();
    }
}
