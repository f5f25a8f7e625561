// The short ISO/IEC 14443-3A commands: REQA/WUPA (who is there, answered with ATQA),
// HLTA (go to sleep), and CRC_A framing done by the chip's coprocessor.
import type { Mfrc522 } from './driver';
import { isPiccError, PiccError } from './errors';
import { Picc } from './registers';

/** Answer To Request: 2 bytes, least significant first; bits 7..6 of byte 0 give the UID size. */
export interface Atqa {
    bytes: Buffer;
    /** True when several cards answered at once (their ATQAs may be merged). */
    collision: boolean;
}

/** UID size announced by the ATQA: 4, 7 or 10 bytes; undefined for the reserved code. */
export function uidSizeFromAtqa(atqa: Uint8Array): 4 | 7 | 10 | undefined {
    return ([4, 7, 10] as const)[(atqa[0] >> 6) & 0x03];
}

async function request(chip: Mfrc522, command: number): Promise<Atqa | undefined> {
    try {
        // REQA and WUPA are short frames of 7 bits.
        const rx = await chip.transceive(Buffer.from([command]), { txLastBits: 7 });
        if (rx.collision) return { bytes: rx.data, collision: true };
        if (rx.data.length !== 2 || rx.lastBits !== 0) {
            throw new PiccError('protocol', `ATQA of ${rx.data.length} bytes`);
        }
        return { bytes: rx.data, collision: false };
    } catch (err) {
        if (isPiccError(err, 'timeout')) return undefined;
        throw err;
    }
}

/** REQA: only cards in IDLE answer. Resolves undefined when no card answered. */
export function requestA(chip: Mfrc522): Promise<Atqa | undefined> {
    return request(chip, Picc.REQA);
}

/** WUPA: cards in IDLE and in HALT answer, so a card that was read and halted is seen again. */
export function wakeupA(chip: Mfrc522): Promise<Atqa | undefined> {
    return request(chip, Picc.WUPA);
}

export async function withCrc(chip: Mfrc522, frame: Uint8Array): Promise<Buffer> {
    return Buffer.concat([frame, await chip.calcCrc(frame)]);
}

/** Checks and strips the CRC_A at the end of a received frame. */
export async function stripCrc(chip: Mfrc522, frame: Buffer): Promise<Buffer> {
    if (frame.length < 3) throw new PiccError('protocol', `frame of ${frame.length} bytes is too short for a CRC`);
    const body = frame.subarray(0, frame.length - 2);
    const crc = await chip.calcCrc(body);
    if (!crc.equals(frame.subarray(frame.length - 2))) throw new PiccError('crc', 'CRC_A mismatch in the card answer');
    return body;
}

/** HLTA: the selected card goes to HALT. A card acknowledges HLTA by staying silent. */
export async function haltA(chip: Mfrc522): Promise<void> {
    const frame = await withCrc(chip, Buffer.from([Picc.HLTA, 0x00]));
    try {
        await chip.transceive(frame);
    } catch (err) {
        if (isPiccError(err, 'timeout')) return;
        throw err;
    }
    throw new PiccError('protocol', 'the card answered HLTA');
}
