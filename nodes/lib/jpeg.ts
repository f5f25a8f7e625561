// JPEG facts read from the bytes themselves: the magic number, and the frame size from
// the first start-of-frame marker (so msg.image reports what the camera really produced).

export function isJpeg(bytes: Buffer): boolean {
    return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

// SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/** Width and height from the SOF segment, or undefined when the file is cut short. */
export function jpegSize(bytes: Buffer): { width: number; height: number } | undefined {
    if (!isJpeg(bytes)) return undefined;
    let at = 2;
    while (at + 4 <= bytes.length) {
        if (bytes[at] !== 0xff) return undefined;
        const marker = bytes[at + 1];
        if (marker === 0xff) {
            at += 1; // fill byte
            continue;
        }
        if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
            at += 2; // no length
            continue;
        }
        const length = bytes.readUInt16BE(at + 2);
        if (isStartOfFrame(marker)) {
            if (at + 9 > bytes.length) return undefined;
            return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
        }
        at += 2 + length;
    }
    return undefined;
}
