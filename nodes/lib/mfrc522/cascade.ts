// ISO/IEC 14443-3A anticollision and selection over cascade levels 1..3, which is how
// 4-, 7- and 10-byte UIDs are read. Each level yields 4 bytes plus a BCC; the SAK bit
// 0x04 says whether another level follows (then the first byte is the cascade tag 0x88).
// The decision is made on the SAK, never on a leading 0x88: a genuine 4-byte UID may start with it.
import type { Mfrc522 } from './driver';
import { PiccError } from './errors';
import { stripCrc, withCrc } from './iso14443a';
import { Picc } from './registers';

export interface Selected {
    /** The UID without cascade tags or BCCs: 4, 7 or 10 bytes. */
    uid: Buffer;
    /** SAK of the last cascade level (card type hints). */
    sak: number;
}

/** Block Check Character: XOR of the 4 bytes of one cascade level. */
export function bcc(bytes: Uint8Array): number {
    return bytes.reduce((acc, byte) => acc ^ byte, 0);
}

const getBit = (buf: Uint8Array, bit: number) => (buf[bit >> 3] >> (bit & 7)) & 1;

function setBit(buf: Uint8Array, bit: number, value: number): void {
    if (value) buf[bit >> 3] |= 1 << (bit & 7);
    else buf[bit >> 3] &= ~(1 << (bit & 7));
}

/** Selects the one card that is READY (after REQA/WUPA) and returns its whole UID. */
export async function selectCard(chip: Mfrc522): Promise<Selected> {
    const uid: number[] = [];
    for (let level = 0; level < Picc.SEL.length; level++) {
        const { part, sak } = await selectLevel(chip, Picc.SEL[level]);
        if ((sak & Picc.SAK_UID_INCOMPLETE) === 0) {
            uid.push(...part);
            return { uid: Buffer.from(uid), sak };
        }
        if (part[0] !== Picc.CASCADE_TAG) {
            throw new PiccError('protocol', 'the SAK announces another cascade level but the cascade tag is missing');
        }
        uid.push(...part.subarray(1));
    }
    throw new PiccError('protocol', 'UID still incomplete after cascade level 3');
}

async function selectLevel(chip: Mfrc522, sel: number): Promise<{ part: Buffer; sak: number }> {
    const level = await anticollision(chip, sel);
    if (bcc(level.subarray(0, 4)) !== level[4]) {
        throw new PiccError('bcc', `BCC mismatch in cascade level 0x${sel.toString(16)}`);
    }
    const rx = await chip.transceive(await withCrc(chip, Buffer.from([sel, Picc.NVB_SELECT, ...level])));
    if (rx.collision) throw new PiccError('collision', 'collision in the SAK');
    const answer = await stripCrc(chip, rx.data);
    if (answer.length !== 1 || rx.lastBits !== 0) throw new PiccError('protocol', `SAK of ${answer.length} bytes`);
    return { part: level.subarray(0, 4), sak: answer[0] };
}

/**
 * Bit-oriented anticollision for one cascade level: returns the 5 bytes (4 UID bytes + BCC).
 * On a collision the known bits are extended up to the colliding bit, which is set to 1,
 * and the loop asks again; only cards matching all known bits answer, until one is left.
 */
async function anticollision(chip: Mfrc522, sel: number): Promise<Buffer> {
    const known = Buffer.alloc(5);
    let knownBits = 0;
    for (let round = 0; round <= 32; round++) {
        const fullBytes = knownBits >> 3;
        const extraBits = knownBits & 7;
        const frame = Buffer.from([sel, ((2 + fullBytes) << 4) | extraBits, ...known.subarray(0, fullBytes + (extraBits ? 1 : 0))]);
        if (extraBits) frame[frame.length - 1] &= (1 << extraBits) - 1;
        // RxAlign = extraBits, so received bits continue the partial byte: FIFO bit k is level bit fullBytes*8 + k.
        const rx = await chip.transceive(frame, { txLastBits: extraBits, rxAlign: extraBits });
        const fifoBits = rx.data.length * 8 - (rx.lastBits ? 8 - rx.lastBits : 0);
        const offset = fullBytes * 8;
        let end = fifoBits;
        if (rx.collision) {
            if (rx.collision.position === undefined) {
                throw new PiccError('collision', 'several cards answered and the chip cannot tell where they differ');
            }
            end = rx.collision.position - 1;
        }
        for (let k = extraBits; k < end && offset + k < 40; k++) setBit(known, offset + k, getBit(rx.data, k));
        if (!rx.collision) {
            if (offset + fifoBits < 40) throw new PiccError('protocol', 'anticollision answer too short');
            return known;
        }
        const collisionBit = offset + end;
        if (collisionBit < knownBits || collisionBit >= 32) {
            throw new PiccError('collision', `cannot resolve a collision at bit ${collisionBit + 1}`);
        }
        setBit(known, collisionBit, 1);
        knownBits = collisionBit + 1;
    }
    throw new PiccError('collision', 'anticollision did not converge');
}
