// The thumbnail a camera embeds in its JPEG's EXIF data (rpicam-still writes one with
// `--thumb w:h:q`), read without decoding anything: APP1 "Exif\0\0" holds a TIFF structure
// whose second directory (IFD1) points at a complete small JPEG. Every offset in it comes
// from the file, so each one is checked against the bytes before it is followed.
import { APP1, EXIF_HEADER, IFD_ENTRY_SIZE, JPEG_INTERCHANGE_FORMAT, JPEG_INTERCHANGE_FORMAT_LENGTH, LONG, SHORT, TIFF_HEADER_SIZE, TIFF_MAGIC } from '../exif-layout';
import { isJpeg, jpegSegments } from '../jpeg';

const START_OF_SCAN = 0xda;
const END_OF_IMAGE = 0xd9;

/** The embedded thumbnail JPEG (a view into `jpeg`), or undefined when there is none or the EXIF data is broken. */
export function exifThumbnail(jpeg: Buffer): Buffer | undefined {
    const tiff = exifTiff(jpeg);
    return tiff && ifd1Jpeg(tiff);
}

/** The TIFF structure of the first APP1 Exif segment; the search stops at the picture data. */
function exifTiff(bytes: Buffer): Buffer | undefined {
    for (const { marker, at, length } of jpegSegments(bytes)) {
        if (marker === START_OF_SCAN || marker === END_OF_IMAGE) return undefined;
        const end = at + 2 + length;
        if (length < 2 || end > bytes.length) return undefined;
        if (marker === APP1 && length >= 2 + EXIF_HEADER.length && bytes.toString('latin1', at + 4, at + 10) === EXIF_HEADER) {
            return bytes.subarray(at + 10, end);
        }
    }
    return undefined;
}

interface Reader {
    u16(at: number): number;
    u32(at: number): number;
}

function reader(tiff: Buffer): Reader | undefined {
    const order = tiff.toString('latin1', 0, 2);
    if (order === 'II') return { u16: (at) => tiff.readUInt16LE(at), u32: (at) => tiff.readUInt32LE(at) };
    if (order === 'MM') return { u16: (at) => tiff.readUInt16BE(at), u32: (at) => tiff.readUInt32BE(at) };
    return undefined;
}

/** Where a directory's entries start and how many there are, if all of it (and its next-IFD link) lies inside. */
function directory(tiff: Buffer, read: Reader, offset: number): { first: number; count: number; next: number } | undefined {
    if (offset < TIFF_HEADER_SIZE || offset + 2 > tiff.length) return undefined;
    const count = read.u16(offset);
    const first = offset + 2;
    const linkAt = first + count * IFD_ENTRY_SIZE;
    if (linkAt + 4 > tiff.length) return undefined;
    return { first, count, next: read.u32(linkAt) };
}

/** IFD0's link to IFD1, then IFD1's JPEGInterchangeFormat (offset) and its length. */
function ifd1Jpeg(tiff: Buffer): Buffer | undefined {
    if (tiff.length < TIFF_HEADER_SIZE) return undefined;
    const read = reader(tiff);
    if (!read || read.u16(2) !== TIFF_MAGIC) return undefined;
    const ifd0 = directory(tiff, read, read.u32(4));
    if (!ifd0 || ifd0.next === 0) return undefined;
    const ifd1 = directory(tiff, read, ifd0.next);
    if (!ifd1) return undefined;
    let offset: number | undefined;
    let length: number | undefined;
    for (let i = 0; i < ifd1.count; i++) {
        const entry = ifd1.first + i * IFD_ENTRY_SIZE;
        const tag = read.u16(entry);
        if (tag !== JPEG_INTERCHANGE_FORMAT && tag !== JPEG_INTERCHANGE_FORMAT_LENGTH) continue;
        const type = read.u16(entry + 2);
        // One LONG, as the standard says; one SHORT is accepted as some writers use it.
        if (read.u32(entry + 4) !== 1 || (type !== LONG && type !== SHORT)) return undefined;
        const value = type === LONG ? read.u32(entry + 8) : read.u16(entry + 8);
        if (tag === JPEG_INTERCHANGE_FORMAT) offset = value;
        else length = value;
    }
    if (offset === undefined || length === undefined || length < 4 || offset < 8 || offset + length > tiff.length) return undefined;
    const thumbnail = tiff.subarray(offset, offset + length);
    return isJpeg(thumbnail) ? thumbnail : undefined;
}
