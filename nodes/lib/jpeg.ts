// JPEG facts read from the bytes themselves: the magic number, and the frame size from
// the first start-of-frame marker (so msg.image reports what the camera really produced).

export function isJpeg(bytes: Buffer): boolean {
    return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

// SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

export interface JpegSegment {
    marker: number;
    /** Where its 0xFF marker byte is. */
    at: number;
    /** Its length field: the length bytes and the content, not the marker. */
    length: number;
}

/**
 * The marker segments that carry a length, in file order, from the bytes alone: fill bytes
 * and the markers without a length (SOI, RST0-7) are stepped over, and the walk ends at a
 * byte that is not a marker or where a length can no longer be read. The callers decide
 * where to stop (at the frame, at the picture data) and how far to trust a length.
 */
export function* jpegSegments(bytes: Buffer): Generator<JpegSegment> {
    if (!isJpeg(bytes)) return;
    let at = 2;
    while (at + 4 <= bytes.length) {
        if (bytes[at] !== 0xff) return;
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
        yield { marker, at, length };
        at += 2 + length;
    }
}

/** Width and height from the SOF segment, or undefined when the file is cut short. */
export function jpegSize(bytes: Buffer): { width: number; height: number } | undefined {
    for (const { marker, at } of jpegSegments(bytes)) {
        if (!isStartOfFrame(marker)) continue;
        if (at + 9 > bytes.length) return undefined;
        return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    return undefined;
}
