// Everything one tm1637-display node runs, without Node-RED: it opens the two GPIO lines
// (or, when this machine has none or simulation is asked for, a simulated TM1637), keeps
// what the display should show, and writes it frame by frame through the FrameQueue, so
// updates never interleave and bursts collapse to the latest value. Lines that cannot be
// opened yet (a module to install, a group to join) or that fail later are a fault, not a
// reason to simulate: they are opened again on a later frame, at most once per retry
// interval. close() can blank the display and switch it off.
import { EventEmitter } from 'events';
import type { GpioPort } from '../gpio/gpio-port';
import { SimulatedGpioPort } from '../gpio/gpio-port';
import { openGpioPort, PortOpening } from '../gpio/open-port';
import { blankContent, Content, contentOf, contentText, DisplayInputError, OverflowPolicy, asText } from './content';
import { Tm1637 } from './driver';
import { FrameQueue, Outcome } from './frame-queue';
import { Frame, isBrightness } from './protocol';
import { COLON_DIGIT, POINT } from './segments';
import { SimulatedTm1637 } from './simulated-chip';

export interface DisplaySettings {
    clk: number;
    dio: number;
    mode: 'auto' | 'simulated';
    /** Brightness until a message sets another, 0 to 7. */
    brightness: number;
    overflow: OverflowPolicy;
    /** Pause before reopening the GPIO lines after they failed, ms (default 1000). */
    retryInterval?: number;
}

/** One message's worth of change; undefined fields keep their current value. */
export interface DisplayUpdate {
    payload?: unknown;
    brightness?: unknown;
    colon?: unknown;
}

/** What a frame puts on the display. */
export interface Shown {
    segments: number[];
    text: string;
    brightness: number;
    colon: boolean;
}

export interface SessionEvents {
    /** The lines are open (real) or the simulated chip is in place, and why it is simulated. */
    ready: [info: { simulated: boolean; backend: string; reason?: string }];
    /** The lines could not be opened, or writing a frame failed; a later frame tries again. */
    fault: [error: Error];
    /** A frame got through after a fault. */
    recovered: [];
}

export type PortOpener = (pins: number[]) => Promise<PortOpening>;

const CLOSE_TIMEOUT_MS = 1000;

export class DisplaySession extends EventEmitter<SessionEvents> {
    private content: Content = blankContent();
    private colon = false;
    private brightness: number;
    private readonly queue = new FrameQueue<Frame>((frame) => this.writeFrame(frame));
    private port: GpioPort | undefined;
    private driver: Tm1637 | undefined;
    private chip: SimulatedTm1637 | undefined;
    private opening: Promise<void> = Promise.resolve();
    private faulted = false;
    /** Why the lines last failed to open: repeated to frames that come before the next attempt. */
    private openFailure: Error | undefined;
    private announced = false;
    // Monotonic (performance.now), like every interval here: a Pi's wall clock jumps when NTP
    // first answers, and a jump back would hold the next retry for as long as the jump.
    private lastOpenAttempt = -Infinity;
    private closed = false;

    constructor(readonly settings: DisplaySettings, private readonly openPort: PortOpener = (pins) => openGpioPort(pins)) {
        super();
        if (!isBrightness(settings.brightness)) throw new Error(`brightness is 0 to 7, not ${settings.brightness}`);
        this.brightness = settings.brightness;
    }

    /** The simulated chip when running simulated: what it decodes from the bus is what a display would show. */
    get simulator(): SimulatedTm1637 | undefined {
        return this.chip;
    }

    get simulated(): boolean {
        return this.chip !== undefined;
    }

    /** Opens the lines; resolves (after 'ready') whatever the outcome. */
    start(): Promise<void> {
        this.opening = this.open();
        return this.opening;
    }

    /**
     * Applies one message and queues its frame. Throws DisplayInputError at once for input the
     * display cannot show (nothing changes then). Resolves with what the frame shows and whether
     * it was written, superseded by a later message, or dropped because the session closed.
     */
    show(update: DisplayUpdate): Promise<Shown & { outcome: Outcome }> {
        const { payload, colon } = update;
        // Brightness may come as text from a form or a Redis reply: "3" is 3.
        const brightness = typeof update.brightness === 'string' && /^\s*\d+\s*$/.test(update.brightness)
            ? Number(update.brightness) : update.brightness;
        if (payload === undefined && brightness === undefined && colon === undefined) {
            throw new DisplayInputError('nothing-to-show', '', 'msg.payload is missing: nothing to show');
        }
        if (brightness !== undefined && !isBrightness(brightness)) {
            throw new DisplayInputError('invalid-brightness', asText(brightness), `brightness is an integer 0 to 7, not ${asText(brightness)}`);
        }
        if (colon !== undefined && typeof colon !== 'boolean') {
            throw new DisplayInputError('invalid-colon', asText(colon), `msg.colon is true or false, not ${asText(colon)}`);
        }
        const content = payload === undefined ? this.content : contentOf(payload, this.settings.overflow);
        this.content = content;
        if (payload === null || payload === '') this.colon = false; // clearing blanks the colon too
        if (colon !== undefined) this.colon = colon;
        if (brightness !== undefined) this.brightness = brightness;
        const shown = this.current();
        return this.queue.submit({ segments: shown.segments, brightness: shown.brightness, on: true })
            .then((outcome) => ({ ...shown, outcome }));
    }

    /** Stops taking frames, lets the one in flight finish, optionally blanks and switches off the display, releases the lines. */
    async close(clear: boolean): Promise<void> {
        this.closed = true;
        const settled = await withinTime(Promise.all([this.queue.close(), this.opening]), CLOSE_TIMEOUT_MS);
        if (settled && clear && this.driver) {
            const blank: Frame = { segments: blankContent().segments, brightness: this.brightness, on: false };
            await withinTime(this.driver.write(blank).catch(() => undefined), CLOSE_TIMEOUT_MS);
        }
        await this.releasePort();
    }

    private current(): Shown {
        const segments = [...this.content.segments];
        const cells = [...this.content.cells];
        if (this.colon && !(segments[COLON_DIGIT] & POINT)) {
            segments[COLON_DIGIT] |= POINT;
            cells[COLON_DIGIT] += ':';
        }
        return { segments, text: contentText({ segments, cells }), brightness: this.brightness, colon: this.colon };
    }

    private async open(): Promise<void> {
        const { clk, dio, mode } = this.settings;
        let reason = 'simulated mode';
        if (mode === 'auto') {
            this.lastOpenAttempt = performance.now();
            let opened: PortOpening;
            try {
                opened = await this.openPort([clk, dio]);
            } catch (err) {
                // The lines are there but cannot be used yet: say why (the node shows the fix)
                // and leave the driver unset, so that a later frame opens them again.
                if (this.closed) return;
                this.openFailure = err instanceof Error ? err : new Error(String(err));
                this.faulted = true;
                this.emit('fault', this.openFailure);
                return;
            }
            if (this.closed) {
                await opened.port?.close();
                return;
            }
            if (opened.port) {
                this.usePort(opened.port);
                return;
            }
            reason = opened.reason;
        }
        const chip = new SimulatedTm1637({ clk, dio });
        this.chip = chip;
        this.usePort(new SimulatedGpioPort([clk, dio], chip.pinChanged), reason);
    }

    /** Drives `port` from now on; the first port a session gets is announced with 'ready'. */
    private usePort(port: GpioPort, reason?: string): void {
        this.port = port;
        this.driver = new Tm1637(port, { clk: this.settings.clk, dio: this.settings.dio });
        if (this.announced) return;
        this.announced = true;
        this.emit('ready', this.simulated ? { simulated: true, backend: 'simulated', reason } : { simulated: false, backend: port.backend });
    }

    private async writeFrame(frame: Frame): Promise<void> {
        await this.opening;
        try {
            const driver = this.driver ?? await this.reopen();
            await driver.write(frame);
        } catch (err) {
            const error = err instanceof Error ? err : new Error(String(err));
            // A real port that failed (its process died, the chip went away) is opened afresh later.
            if (!this.simulated) await this.releasePort();
            this.faulted = true;
            this.emit('fault', error);
            throw error;
        }
        if (this.faulted) {
            this.faulted = false;
            this.emit('recovered');
        }
    }

    private async reopen(): Promise<Tm1637> {
        const wait = (this.settings.retryInterval ?? 1000) - (performance.now() - this.lastOpenAttempt);
        if (wait > 0) {
            throw this.openFailure ?? new Error(`GPIO ${this.settings.clk}/${this.settings.dio} unavailable; retrying in ${Math.ceil(wait / 100) / 10} s`);
        }
        this.lastOpenAttempt = performance.now();
        let opened: PortOpening;
        try {
            opened = await this.openPort([this.settings.clk, this.settings.dio]);
        } catch (err) {
            this.openFailure = err instanceof Error ? err : new Error(String(err));
            throw this.openFailure;
        }
        if (!opened.port) throw new Error(opened.reason);
        if (this.closed) {
            await opened.port.close();
            throw new Error('the display is closing');
        }
        this.openFailure = undefined;
        this.usePort(opened.port);
        return this.driver as Tm1637;
    }

    private async releasePort(): Promise<void> {
        const port = this.port;
        this.port = undefined;
        this.driver = undefined;
        await port?.close().catch(() => undefined);
    }
}

/** Whether `promise` settled within `ms` (it keeps running either way). */
function withinTime(promise: Promise<unknown>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        promise.then(() => { clearTimeout(timer); resolve(true); }, () => { clearTimeout(timer); resolve(true); });
    });
}
