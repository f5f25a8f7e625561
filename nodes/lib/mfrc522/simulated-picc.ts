// A simulated ISO/IEC 14443-3A card (PICC) for the simulated MFRC522: its UID of 4, 7
// or 10 bytes, the IDLE/READY/ACTIVE/HALT state machine, ATQA, bit-oriented anticollision
// and SELECT per cascade level (with BCC and SAK), and HLTA. Frames are exchanged as bit
// strings, so short frames (REQA/WUPA) and split anticollision frames behave as on air.
import { bcc } from './cascade';
import { hasValidCrcA, crcA } from './crc';
import { Picc } from './registers';

export type PiccState = 'IDLE' | 'READY' | 'ACTIVE' | 'HALT';

/** Bits on air, least significant bit of data[0] first. */
export interface Frame {
    data: Buffer;
    bits: number;
}

export interface SimulatedPiccOptions {
    /** SAK of the last cascade level: 0x08 MIFARE Classic 1K, 0x00 Ultralight/NTAG... Defaults by UID size. */
    sak?: number;
    /** Fault injection: send a wrong BCC in anticollision answers. */
    corruptBcc?: boolean;
}

const DEFAULT_SAK: Record<number, number> = { 4: 0x08, 7: 0x00, 10: 0x20 };

export function fullFrame(bytes: Uint8Array): Frame {
    return { data: Buffer.from(bytes), bits: bytes.length * 8 };
}

const bitOf = (data: Uint8Array, bit: number) => (data[bit >> 3] >> (bit & 7)) & 1;

/** Bits [from, to) of data as a new frame starting at bit 0. */
function sliceBits(data: Uint8Array, from: number, to: number): Frame {
    const out = Buffer.alloc(Math.ceil((to - from) / 8));
    for (let i = from; i < to; i++) out[(i - from) >> 3] |= bitOf(data, i) << ((i - from) & 7);
    return { data: out, bits: to - from };
}

export class SimulatedPicc {
    readonly uid: Buffer;
    readonly sak: number;
    corruptBcc: boolean;
    private current: PiccState = 'IDLE';
    private level = 0;
    /** READY* / ACTIVE*: a card woken from HALT falls back to HALT, not IDLE, on errors. */
    private wokenFromHalt = false;

    constructor(uid: Uint8Array, options: SimulatedPiccOptions = {}) {
        if (![4, 7, 10].includes(uid.length)) throw new Error(`a UID has 4, 7 or 10 bytes, not ${uid.length}`);
        this.uid = Buffer.from(uid);
        this.sak = (options.sak ?? DEFAULT_SAK[uid.length]) & ~Picc.SAK_UID_INCOMPLETE;
        this.corruptBcc = options.corruptBcc ?? false;
    }

    get state(): PiccState {
        return this.current;
    }

    get uidHex(): string {
        return this.uid.toString('hex').toUpperCase();
    }

    get cascadeLevels(): number {
        return this.uid.length === 4 ? 1 : this.uid.length === 7 ? 2 : 3;
    }

    /** ATQA, low byte first: bits 7..6 = UID size (00 single, 01 double, 10 triple), bit 2 = anticollision. */
    get atqa(): Buffer {
        return Buffer.from([((this.cascadeLevels - 1) << 6) | 0x04, 0x00]);
    }

    /** The 4 bytes + BCC the card sends at a cascade level (0-based), cascade tag included. */
    levelBytes(level: number): Buffer {
        const last = level === this.cascadeLevels - 1;
        const part = last
            ? this.uid.subarray(level * 3, level * 3 + 4)
            : Buffer.from([Picc.CASCADE_TAG, ...this.uid.subarray(level * 3, level * 3 + 3)]);
        const check = bcc(part) ^ (this.corruptBcc ? 0xff : 0);
        return Buffer.from([...part, check]);
    }

    /** Leaving the field (or the field switching off) removes power: back to IDLE. */
    powerOff(): void {
        this.current = 'IDLE';
        this.level = 0;
        this.wokenFromHalt = false;
    }

    /** Handles one frame from the reader and returns the answer, or undefined for silence. */
    receive(frame: Frame): Frame | undefined {
        if (frame.bits === 7) return this.shortFrame(frame.data[0] & 0x7f);
        if (frame.bits % 8 !== 0 && this.current !== 'READY') return undefined;
        switch (this.current) {
            case 'READY':
                return this.ready(frame);
            case 'ACTIVE':
                if (frame.bits === 32 && frame.data[0] === Picc.HLTA && frame.data[1] === 0x00 && hasValidCrcA(frame.data)) {
                    this.current = 'HALT';
                } else {
                    this.fallBack();
                }
                return undefined;
            default:
                return undefined; // IDLE and HALT only listen to REQA/WUPA
        }
    }

    private shortFrame(command: number): Frame | undefined {
        const wakes = (command === Picc.REQA && this.current === 'IDLE')
            || (command === Picc.WUPA && (this.current === 'IDLE' || this.current === 'HALT'));
        if (wakes) {
            this.wokenFromHalt = this.current === 'HALT';
            this.current = 'READY';
            this.level = 0;
            return fullFrame(this.atqa);
        }
        if (this.current === 'READY' || this.current === 'ACTIVE') this.fallBack();
        return undefined;
    }

    private ready(frame: Frame): Frame | undefined {
        const [sel, nvb] = frame.data;
        if (frame.bits < 16 || sel !== Picc.SEL[this.level]) {
            this.fallBack();
            return undefined;
        }
        const mine = this.levelBytes(this.level);
        if (nvb === Picc.NVB_SELECT) {
            if (frame.bits !== 72 || !hasValidCrcA(frame.data) || !frame.data.subarray(2, 7).equals(mine)) return undefined;
            if (this.level < this.cascadeLevels - 1) {
                this.level++;
                return fullFrame(this.withCrc([Picc.SAK_UID_INCOMPLETE]));
            }
            this.current = 'ACTIVE';
            return fullFrame(this.withCrc([this.sak]));
        }
        // Anticollision: NVB = byte count (SEL and NVB included) << 4 | extra bits.
        const knownBits = ((nvb >> 4) - 2) * 8 + (nvb & 0x0f);
        if ((nvb & 0x0f) > 7 || knownBits < 0 || knownBits >= 40 || frame.bits !== 16 + knownBits) return undefined;
        for (let i = 0; i < knownBits; i++) {
            if (bitOf(frame.data, 16 + i) !== bitOf(mine, i)) return undefined; // another card's prefix: stay silent
        }
        return sliceBits(mine, knownBits, 40);
    }

    private withCrc(bytes: number[]): Buffer {
        return Buffer.concat([Buffer.from(bytes), crcA(Buffer.from(bytes))]);
    }

    private fallBack(): void {
        this.current = this.wokenFromHalt ? 'HALT' : 'IDLE';
        this.level = 0;
    }
}
