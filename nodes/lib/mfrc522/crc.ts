// CRC_A of ISO/IEC 14443-3 (CRC-16/ISO-IEC-14443-3-A): polynomial x^16+x^12+x^5+1 in
// reflected form 0x8408, preset 0x6363, no final XOR. The driver asks the chip's CalcCRC
// coprocessor instead; this software version is what the simulated chip and card compute.

export const CRC_A_PRESET = 0x6363;

export function crc16(data: Uint8Array, preset = CRC_A_PRESET): number {
    let crc = preset;
    for (const byte of data) {
        crc ^= byte;
        for (let bit = 0; bit < 8; bit++) {
            crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
        }
    }
    return crc & 0xffff;
}

/** The two CRC bytes in transmission order (low byte first). */
export function crcA(data: Uint8Array): Buffer {
    const crc = crc16(data);
    return Buffer.from([crc & 0xff, crc >>> 8]);
}

/** True when a frame ends with the correct CRC_A of the bytes before it. */
export function hasValidCrcA(frame: Uint8Array): boolean {
    if (frame.length < 3) return false;
    const crc = crc16(frame.subarray(0, frame.length - 2));
    return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >>> 8;
}
