// Everything one mfrc522-reader node runs, without Node-RED: it opens the real reader
// (spidev + RST pin) or, when there is none or simulation is asked for, the simulated
// chip; it runs the presence monitor, keeps retrying a reader that fails (opening the SPI
// device afresh when the hardware helper behind it stopped), and queues virtual card
// presentations on the simulated chip so they take the real driver path.
import { EventEmitter } from 'events';
import { OutputLine, openOutputLine, SimulatedOutputLine } from '../gpio/output-line';
import { HelperStopped } from '../pi-helper/helper-process';
import { openSpiDevice, SpiBus, spiDevicePath } from '../spi/spi-bus';
import { ChipInfo, Mfrc522 } from './driver';
import { PiccError } from './errors';
import { PresenceMonitor } from './presence';
import { CardRead, Mfrc522CardReader } from './reader';
import { SimulatedMfrc522 } from './simulated-chip';
import { SimulatedPicc } from './simulated-picc';

export interface ReaderSettings {
    bus: number;
    device: number;
    /** BCM pin wired to RST (NRSTPD), or undefined when not wired. */
    rstPin: number | undefined;
    mode: 'auto' | 'simulated';
    pollInterval: number;
    missesBeforeRemoved?: number;
    /** Pause before retrying a reader that failed, ms (default 2000). */
    retryInterval?: number;
}

export interface SessionEvents {
    /** The reader is initialised and polling; `simulated` tells which kind. */
    ready: [info: ChipInfo & { simulated: boolean; reason?: string }];
    present: [card: CardRead];
    removed: [card: CardRead];
    /** The reader or its SPI device failed; the session retries by itself. */
    fault: [error: Error];
    unreadable: [error: PiccError];
    /** The RST pin could not be driven (no pinctrl/gpioset, no permission); reading goes on without it. */
    'rst-unavailable': [pin: number, reason: string];
}

/** Hardware openers, replaceable in tests. */
export interface SessionHardware {
    openSpi(bus: number, device: number): Promise<SpiBus | undefined>;
    openLine(pin: number): Promise<OutputLine | undefined>;
}

/** SPI devices held by a session in this process: two pollers on one chip would garble each other. */
const devicesInUse = new Set<string>();

const realHardware: SessionHardware = {
    openSpi: (bus, device) => openSpiDevice(bus, device, 1_000_000),
    openLine: (pin) => openOutputLine(pin),
};

export class ReaderSession extends EventEmitter<SessionEvents> {
    private monitor: PresenceMonitor | undefined;
    private bus: SpiBus | undefined;
    private line: OutputLine | undefined;
    private chip: SimulatedMfrc522 | undefined;
    private closed = false;
    private claimed: string | undefined;
    private retryTimer: NodeJS.Timeout | undefined;
    private presentations: Promise<void> = Promise.resolve();
    private readonly pending = new Set<() => void>();
    private firstAttempt: Promise<void> | undefined;
    /** The card on the reader when its device was last let go of, so that reopening does not make it a new tap. */
    private carried: CardRead | undefined;

    constructor(readonly settings: ReaderSettings, private readonly hardware: SessionHardware = realHardware) {
        super();
    }

    /** The simulated chip when running simulated (tests use it to inject cards and faults). */
    get simulator(): SimulatedMfrc522 | undefined {
        return this.chip;
    }

    get simulated(): boolean {
        return this.chip !== undefined;
    }

    get card(): CardRead | undefined {
        return this.monitor?.card;
    }

    /** Resolves when the first attempt to open the reader has finished, whatever its outcome. */
    get opened(): Promise<void> {
        return this.firstAttempt ?? Promise.resolve();
    }

    start(): void {
        const attempt = this.open().catch((err: unknown) => this.failOpen(err));
        this.firstAttempt ??= attempt;
    }

    async close(): Promise<void> {
        this.closed = true;
        clearTimeout(this.retryTimer);
        this.pending.forEach((wake) => wake());
        await this.monitor?.stop();
        await Promise.allSettled([this.bus?.close(), this.line?.close()]);
        this.monitor = undefined;
        if (this.claimed) devicesInUse.delete(this.claimed);
        this.claimed = undefined;
    }

    /**
     * Puts a card with this UID on the simulated reader for `holdMs`, then takes it away and
     * waits until the reader has noticed. Presentations queue, so each is read once.
     */
    presentCard(uid: Buffer, holdMs: number): Promise<void> {
        const chip = this.chip;
        if (!chip) return Promise.reject(new Error('virtual cards need the simulated reader'));
        const run = async () => {
            if (this.closed) return;
            const card = chip.placeCard(new SimulatedPicc(uid));
            await this.sleep(holdMs);
            chip.removeCard(card);
            const misses = this.settings.missesBeforeRemoved ?? 2;
            await this.sleepUntil(() => !this.card?.uid.equals(uid), (misses + 2) * (this.settings.pollInterval + 30));
        };
        const next = this.presentations.then(run);
        this.presentations = next.catch(() => undefined);
        return next;
    }

    private async open(): Promise<void> {
        const { settings } = this;
        let reason: string | undefined;
        if (settings.mode === 'auto') {
            const path = spiDevicePath(settings.bus, settings.device);
            if (devicesInUse.has(path)) throw new Error(`${path} is already used by another RFID reader node`);
            this.bus = await this.hardware.openSpi(settings.bus, settings.device);
            if (!this.bus) reason = `${path} not found`;
            else {
                devicesInUse.add(path);
                this.claimed = path;
            }
        } else {
            reason = 'simulated mode';
        }
        if (this.closed) return this.releaseEarly();
        if (!this.bus) {
            const chip = new SimulatedMfrc522();
            this.chip = chip;
            this.bus = chip;
            if (settings.rstPin !== undefined) this.line = new SimulatedOutputLine(settings.rstPin, (v) => chip.setResetLine(v));
        } else if (settings.rstPin !== undefined) {
            const pin = settings.rstPin;
            let why = 'neither pinctrl nor gpioset works here';
            this.line = await this.hardware.openLine(pin).catch((err: Error) => {
                why = err.message;
                return undefined;
            });
            if (!this.line) this.emit('rst-unavailable', pin, why);
            if (this.closed) return this.releaseEarly();
        }
        const monitor = new PresenceMonitor(new Mfrc522CardReader(new Mfrc522(this.bus, { resetLine: this.line })), {
            pollInterval: settings.pollInterval,
            missesBeforeRemoved: settings.missesBeforeRemoved,
            retryInterval: settings.retryInterval ?? 2000,
            present: this.carried,
        });
        this.carried = undefined;
        const simulated = this.simulated;
        monitor.on('ready', (info) => this.emit('ready', { ...info, simulated, reason }));
        monitor.on('present', (card) => this.emit('present', card));
        monitor.on('removed', (card) => this.emit('removed', card));
        monitor.on('fault', (err) => {
            this.emit('fault', err);
            // Re-initialising the chip over a bus whose helper is gone cannot work: start again from opening it.
            if (err instanceof HelperStopped) void this.reopenLater();
        });
        monitor.on('unreadable', (err) => this.emit('unreadable', err));
        this.monitor = monitor;
        monitor.start();
    }

    /** Lets go of the reader and opens it again after the retry interval, as after a failed open. */
    private async reopenLater(): Promise<void> {
        const monitor = this.monitor;
        this.monitor = undefined;
        await monitor?.stop();
        this.carried = monitor?.card;
        await this.releaseEarly();
        this.bus = undefined;
        this.line = undefined;
        if (this.closed) return;
        this.retryTimer = setTimeout(() => this.start(), this.settings.retryInterval ?? 2000);
        this.retryTimer.unref();
    }

    /** Opening the SPI device failed (permissions, missing module): report and try again later. */
    private failOpen(err: unknown): void {
        if (this.closed) return;
        this.emit('fault', err instanceof Error ? err : new Error(String(err)));
        this.retryTimer = setTimeout(() => this.start(), this.settings.retryInterval ?? 2000);
        this.retryTimer.unref();
    }

    private async releaseEarly(): Promise<void> {
        await Promise.allSettled([this.bus?.close(), this.line?.close()]);
        if (this.claimed) devicesInUse.delete(this.claimed);
        this.claimed = undefined;
    }

    /** A timer that close() cuts short, so a queued presentation never delays shutdown. */
    private sleep(ms: number): Promise<void> {
        return new Promise((resolve) => {
            const wake = () => { clearTimeout(timer); this.pending.delete(wake); resolve(); };
            const timer = setTimeout(wake, ms);
            timer.unref();
            this.pending.add(wake);
        });
    }

    private async sleepUntil(condition: () => boolean, maxMs: number): Promise<void> {
        const deadline = performance.now() + maxMs;
        while (!this.closed && !condition() && performance.now() < deadline) await this.sleep(10);
    }
}
