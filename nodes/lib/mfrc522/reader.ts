// One reading attempt, as the presence monitor uses it: WUPA (which also wakes the card
// we halted last time), select through all cascade levels, then HLTA so the card stays
// quiet until the next attempt. A failed select gets an RF field reset, so no card is left
// half-selected (READY) and missing the next WUPA.
import type { ChipInfo, Mfrc522 } from './driver';
import { ChipError, isPiccError } from './errors';
import { selectCard, Selected } from './cascade';
import { haltA, wakeupA } from './iso14443a';

export interface CardRead {
    uid: Buffer;
    atqa: Buffer;
    sak: number;
}

/** What the presence monitor needs from a reader; tests may supply their own. */
export interface CardReader {
    init(): Promise<ChipInfo>;
    /** Resolves the card read, or undefined when no card answered; rejects on failures. */
    readCard(): Promise<CardRead | undefined>;
}

export interface Mfrc522CardReaderOptions {
    /** How often (ms) VersionReg is re-read to notice an unplugged reader. */
    healthCheckInterval?: number;
}

export class Mfrc522CardReader implements CardReader {
    // Monotonic (performance.now): a wall clock stepped back by NTP would stop the checks.
    private lastHealthCheck = 0;
    private readonly healthCheckInterval: number;

    constructor(readonly chip: Mfrc522, options: Mfrc522CardReaderOptions = {}) {
        this.healthCheckInterval = options.healthCheckInterval ?? 1000;
    }

    async init(): Promise<ChipInfo> {
        const info = await this.chip.init();
        this.lastHealthCheck = performance.now();
        return info;
    }

    async readCard(): Promise<CardRead | undefined> {
        await this.checkHealth();
        const atqa = await wakeupA(this.chip);
        if (!atqa) return undefined;
        let selected: Selected;
        try {
            selected = await selectCard(this.chip);
        } catch (err) {
            if (isPiccError(err)) await this.chip.resetField();
            throw err;
        }
        try {
            await haltA(this.chip);
        } catch (err) {
            if (!isPiccError(err)) throw err; // the UID is read; a card ignoring HLTA is harmless
        }
        return { uid: selected.uid, atqa: atqa.bytes, sak: selected.sak };
    }

    private async checkHealth(): Promise<void> {
        if (performance.now() - this.lastHealthCheck < this.healthCheckInterval) return;
        const version = await this.chip.version();
        if (version === 0x00 || version === 0xff) throw new ChipError('the MFRC522 stopped answering on SPI');
        this.lastHealthCheck = performance.now();
    }
}
