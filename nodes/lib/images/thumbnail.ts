// Thumbnails for the gallery grid, so that a page of 24 pictures costs kilobytes rather
// than megabytes. A camera's picture carries one in its EXIF data (rpicam-still's --thumb,
// and the simulated camera's), which is kept as it is. Other JPEGs (uploads, the original's
// pictures) are decoded: jpeg-js is pure JS (no native build on a Pi), and decoding is the
// slow part (about 55 ms for a 300 KB picture on a 2-core VM), so thumbnails are made once.
// PNG input is stored without a thumbnail (we ship no PNG decoder): the gallery serves
// the PNG itself in the grid, which is acceptable for the small diagrams PNG is used for.
import jpeg from 'jpeg-js';
import { jpegSize } from '../jpeg';
import { checkJpegClaim, MAX_DECODE_PIXELS } from './content';
import { exifThumbnail } from './exif-thumbnail';

/** The gallery's thumbnail width when none is set, and the width the camera embeds. */
export const DEFAULT_THUMBNAIL_WIDTH = 320;

export interface Thumbnail {
    /** The thumbnail JPEG (quality 70), at most `maxWidth` wide. */
    bytes: Buffer;
    /** The full image's dimensions. */
    width: number;
    height: number;
}

// Decoding limits protect Node-RED from a crafted "image" that claims huge dimensions, as
// a second line behind checkJpegClaim; jpeg-js needs about 256 MB for a 12 MP picture.
const DECODE_LIMITS = {
    useTArray: true, formatAsRGBA: true, maxResolutionInMP: Math.ceil(MAX_DECODE_PIXELS / 1e6), maxMemoryUsageInMB: 400,
} as const;

/**
 * Decodes a JPEG and encodes a box-filtered copy at most maxWidth wide. Throws on a broken
 * JPEG, and before decoding on one whose header claims more than checkJpegClaim allows
 * (every caller is covered: the store and the gallery's thumbnails of legacy pictures).
 */
export function jpegThumbnail(source: Buffer, maxWidth: number): Thumbnail {
    checkJpegClaim(source);
    const image = jpeg.decode(source, DECODE_LIMITS);
    const { width, height } = image;
    const scale = Math.min(1, maxWidth / width);
    const tw = Math.max(1, Math.round(width * scale));
    const th = Math.max(1, Math.round(height * scale));
    const data = boxDownscale(image.data, width, height, tw, th);
    const encoded = jpeg.encode({ data, width: tw, height: th }, 70);
    return { bytes: Buffer.from(encoded.data), width, height };
}

/**
 * The picture's embedded EXIF thumbnail when the gallery can use it as it is: a JPEG with a
 * frame header, no wider than maxWidth nor than the picture, and of the picture's shape (a
 * thumbnail made for another aspect ratio would show the picture squashed). Undefined
 * otherwise: the caller then decodes the picture to make one.
 */
export function embeddedThumbnail(picture: Buffer, size: { width: number; height: number }, maxWidth: number): Buffer | undefined {
    const thumbnail = exifThumbnail(picture);
    const claimed = thumbnail && jpegSize(thumbnail);
    if (!claimed || claimed.width < 1 || claimed.height < 1) return undefined;
    if (claimed.width > maxWidth || claimed.width > size.width || claimed.height > size.height) return undefined;
    // Allow rounding to whole pixels: the camera rounds the height it asks for.
    const expected = (claimed.width * size.height) / size.width;
    return Math.abs(claimed.height - expected) <= Math.max(1, expected * 0.02) ? thumbnail : undefined;
}

/** Averages every source pixel that falls in each target pixel (RGBA in, RGBA out). */
function boxDownscale(src: Uint8Array, sw: number, sh: number, tw: number, th: number): Uint8Array {
    const out = new Uint8Array(tw * th * 4);
    for (let ty = 0; ty < th; ty++) {
        const y0 = Math.floor((ty * sh) / th);
        const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * sh) / th));
        for (let tx = 0; tx < tw; tx++) {
            const x0 = Math.floor((tx * sw) / tw);
            const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * sw) / tw));
            let r = 0, g = 0, b = 0;
            for (let y = y0; y < y1; y++) {
                let i = (y * sw + x0) * 4;
                for (let x = x0; x < x1; x++, i += 4) {
                    r += src[i];
                    g += src[i + 1];
                    b += src[i + 2];
                }
            }
            const n = (y1 - y0) * (x1 - x0);
            const o = (ty * tw + tx) * 4;
            out[o] = Math.round(r / n);
            out[o + 1] = Math.round(g / n);
            out[o + 2] = Math.round(b / n);
            out[o + 3] = 255;
        }
    }
    return out;
}
