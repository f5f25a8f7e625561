// Turns polling into presentations: `present` once when a card arrives (a card left on
// the reader is not reported again), `removed` once it has missed `missesBeforeRemoved`
// polls in a row. Polls are chained timeouts (never overlapping) and unref'd, and a
// failing reader is reported, re-initialised and retried forever, never thrown.
import { EventEmitter } from 'events';
import type { ChipInfo } from './driver';
import { isPiccError, PiccError } from './errors';
import type { CardRead, CardReader } from './reader';

export interface PresenceOptions {
    /** Pause between the end of one poll and the start of the next, ms. */
    pollInterval: number;
    /** Consecutive polls without the card before it counts as removed (default 2). */
    missesBeforeRemoved?: number;
    /** Pause before re-initialising a failed reader, ms (default 1000). */
    retryInterval?: number;
    /** A card known to be on the reader already (kept across a reopened device): not reported again. */
    present?: CardRead;
}

export interface PresenceEvents {
    /** The reader (re)initialised and polls. */
    ready: [info: ChipInfo];
    present: [card: CardRead];
    removed: [card: CardRead];
    /** The reader failed (SPI error, chip not answering); it is re-initialised after retryInterval. */
    fault: [error: Error];
    /** A card answered but could not be read this time (collision, BCC/CRC error...). */
    unreadable: [error: PiccError];
}

export class PresenceMonitor extends EventEmitter<PresenceEvents> {
    private readonly pollInterval: number;
    private readonly missesBeforeRemoved: number;
    private readonly retryInterval: number;
    private timer: NodeJS.Timeout | undefined;
    private polling: Promise<void> | undefined;
    private running = false;
    private needsInit = true;
    private current: CardRead | undefined;
    private misses = 0;

    constructor(private readonly reader: CardReader, options: PresenceOptions) {
        super();
        this.pollInterval = Math.max(0, options.pollInterval);
        this.missesBeforeRemoved = Math.max(1, options.missesBeforeRemoved ?? 2);
        this.retryInterval = options.retryInterval ?? 1000;
        this.current = options.present;
    }

    /** The card on the reader right now, as far as the monitor knows. */
    get card(): CardRead | undefined {
        return this.current;
    }

    start(): void {
        if (this.running) return;
        this.running = true;
        this.schedule(0);
    }

    /** Stops polling; resolves once a poll in progress has finished. */
    async stop(): Promise<void> {
        this.running = false;
        clearTimeout(this.timer);
        this.timer = undefined;
        await this.polling;
    }

    private schedule(ms: number): void {
        if (!this.running) return;
        this.timer = setTimeout(() => {
            this.timer = undefined;
            this.polling = this.poll().finally(() => { this.polling = undefined; });
        }, ms);
        this.timer.unref();
    }

    private async poll(): Promise<void> {
        let next = this.pollInterval;
        try {
            if (this.needsInit) {
                const info = await this.reader.init();
                this.needsInit = false;
                this.emit('ready', info);
            }
            this.observe(await this.reader.readCard());
        } catch (err) {
            if (isPiccError(err)) {
                // The card answered, so it is there: neither a read nor a miss.
                this.emit('unreadable', err);
            } else {
                // The current card is kept: if it is still there after recovery, it is not new.
                this.needsInit = true;
                next = this.retryInterval;
                if (this.listenerCount('fault') > 0) this.emit('fault', err instanceof Error ? err : new Error(String(err)));
            }
        }
        this.schedule(next);
    }

    private observe(card: CardRead | undefined): void {
        if (card) {
            this.misses = 0;
            if (this.current?.uid.equals(card.uid)) return;
            if (this.current) this.emit('removed', this.current);
            this.current = card;
            this.emit('present', card);
            return;
        }
        if (!this.current) return;
        this.misses++;
        if (this.misses >= this.missesBeforeRemoved) {
            const gone = this.current;
            this.current = undefined;
            this.misses = 0;
            this.emit('removed', gone);
        }
    }
}
