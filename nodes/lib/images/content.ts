// What an image is, judged by its bytes (never by a name or a claimed type): JPEG starts
// FF D8 FF, PNG with its eight-byte signature. Anything else is refused before Redis.
import { MAX_HEIGHT, MAX_WIDTH } from '../camera/settings';
import { isJpeg, jpegSize } from '../jpeg';

export type ImageMime = 'image/jpeg' | 'image/png';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The image's type from its first bytes, or undefined for anything that is not JPEG or PNG. */
export function sniffMime(bytes: Buffer): ImageMime | undefined {
    if (isJpeg(bytes)) return 'image/jpeg';
    if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
    return undefined;
}

/** An input the store refuses; `code` is stable for flows (msg.error / Catch). */
export class ImageInputError extends Error {
    constructor(message: string, readonly code: 'not-a-buffer' | 'not-an-image' | 'too-large' | 'empty' | 'bad-metadata') {
        super(message);
        this.name = 'ImageInputError';
    }
}

/** Checks the payload is a JPEG or PNG no larger than maxSize bytes, and returns its type. */
export function checkImage(payload: unknown, maxSize: number): ImageMime {
    if (!Buffer.isBuffer(payload)) throw new ImageInputError('msg.payload must be a Buffer holding a JPEG or PNG image', 'not-a-buffer');
    if (payload.length === 0) throw new ImageInputError('msg.payload is empty', 'empty');
    if (maxSize > 0 && payload.length > maxSize) {
        throw new ImageInputError(`image of ${payload.length} bytes is larger than the limit of ${maxSize} bytes`, 'too-large');
    }
    const mime = sniffMime(payload);
    if (!mime) throw new ImageInputError('msg.payload is not a JPEG or PNG image (checked by its content)', 'not-an-image');
    return mime;
}

/** The most pixels a JPEG may claim before it is decoded: the largest camera sensor's. */
export const MAX_DECODE_PIXELS = MAX_WIDTH * MAX_HEIGHT;
/**
 * Real JPEGs carry far more than a byte per thousand pixels (a flat grey 1080p frame at low
 * quality is about one per 70): fewer means a header that lies, which would still make the
 * decoder allocate hundreds of megabytes for a few hundred bytes.
 */
const MAX_PIXELS_PER_BYTE = 1000;

/**
 * The size a JPEG's frame header claims (undefined without one), refused when it is more
 * than the decoder may take on or more than the bytes can hold. A few hundred bytes can
 * claim 6000x6000 pixels, which the decoder would allocate (over a gigabyte) before
 * finding out, so every decode checks this first.
 */
export function checkJpegClaim(bytes: Buffer): { width: number; height: number } | undefined {
    const claimed = jpegSize(bytes);
    if (!claimed) return undefined;
    const pixels = claimed.width * claimed.height;
    if (pixels > MAX_DECODE_PIXELS) {
        throw new ImageInputError(`a JPEG of ${claimed.width}x${claimed.height} is larger than the ${MAX_DECODE_PIXELS} pixels this store decodes`, 'too-large');
    }
    if (pixels > bytes.length * MAX_PIXELS_PER_BYTE) {
        throw new ImageInputError(`${bytes.length} bytes cannot hold a JPEG of ${claimed.width}x${claimed.height}`, 'not-an-image');
    }
    return claimed;
}

/** Width and height from a PNG's IHDR chunk (always first, at a fixed offset). */
export function pngSize(bytes: Buffer): { width: number; height: number } | undefined {
    if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
