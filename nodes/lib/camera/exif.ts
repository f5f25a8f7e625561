// An EXIF APP1 segment carrying a JPEG thumbnail, laid out as rpicam-still writes it
// (rpicam-apps image/jpeg.cpp, through libexif): SOI, APP1 "Exif\0\0" with a little-endian
// TIFF header, IFD0 whose next-directory link points at IFD1 (the thumbnail's width, height,
// Compression 6 = JPEG, JPEGInterchangeFormat 0x0201 and ...Length 0x0202), the thumbnail
// right after the directories, then the picture's own segments without its JFIF APP0. So the
// simulated camera's pictures take the same path through the store as a real camera's.

import {
    APP1, ASCII, EXIF_HEADER, IFD_ENTRY_SIZE, JPEG_INTERCHANGE_FORMAT, JPEG_INTERCHANGE_FORMAT_LENGTH, LONG, SHORT, TIFF_HEADER_SIZE, TIFF_MAGIC,
} from '../exif-layout';

// The whole segment, with its length field, must fit in 65535 bytes.
const MAX_SEGMENT = 0xffff;

interface Entry {
    tag: number;
    type: typeof ASCII | typeof SHORT | typeof LONG;
    /** A number for SHORT and LONG; text for ASCII (written with its NUL). */
    value: number | string;
}

/** Bytes a directory of these entries takes: count, entries, next link, then ASCII values too long to sit in an entry. */
function directorySize(entries: Entry[]): number {
    const extra = entries.reduce((n, e) => n + (typeof e.value === 'string' && e.value.length + 1 > 4 ? e.value.length + 1 : 0), 0);
    return 2 + entries.length * IFD_ENTRY_SIZE + 4 + extra;
}

/** Writes a directory at `offset` (from the TIFF header) into tiff; values that do not fit follow its link. */
function writeDirectory(tiff: Buffer, offset: number, entries: Entry[], next: number): void {
    tiff.writeUInt16LE(entries.length, offset);
    let data = offset + 2 + entries.length * IFD_ENTRY_SIZE + 4;
    entries.forEach((e, i) => {
        const at = offset + 2 + i * IFD_ENTRY_SIZE;
        tiff.writeUInt16LE(e.tag, at);
        tiff.writeUInt16LE(e.type, at + 2);
        if (typeof e.value === 'string') {
            const text = Buffer.from(`${e.value}\0`, 'latin1');
            tiff.writeUInt32LE(text.length, at + 4);
            if (text.length <= 4) {
                text.copy(tiff, at + 8);
            } else {
                tiff.writeUInt32LE(data, at + 8);
                text.copy(tiff, data);
                data += text.length;
            }
        } else {
            tiff.writeUInt32LE(1, at + 4);
            if (e.type === SHORT) tiff.writeUInt16LE(e.value, at + 8);
            else tiff.writeUInt32LE(e.value, at + 8);
        }
    });
    tiff.writeUInt32LE(next, offset + 2 + entries.length * IFD_ENTRY_SIZE);
}

/** EXIF's date form, YYYY:MM:DD HH:MM:SS, in local time as rpicam-still writes it. */
function exifTime(date: Date): string {
    const two = (n: number) => String(n).padStart(2, '0');
    return `${date.getFullYear()}:${two(date.getMonth() + 1)}:${two(date.getDate())} `
        + `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** The JPEG's segments after SOI, without a leading JFIF APP0 (EXIF's APP1 takes its place). */
function afterStartOfImage(jpeg: Buffer): Buffer {
    const rest = jpeg.subarray(2);
    if (rest.length >= 4 && rest[0] === 0xff && rest[1] === 0xe0) return rest.subarray(2 + rest.readUInt16BE(2));
    return rest;
}

export interface ExifThumbnail {
    /** A complete JPEG, under about 64 KB. */
    jpeg: Buffer;
    width: number;
    height: number;
}

/**
 * The picture with an EXIF APP1 segment holding `thumbnail`, the capture time and the
 * software that made it. Throws when the thumbnail is too large for one segment.
 */
export function withExifThumbnail(picture: Buffer, thumbnail: ExifThumbnail, time: Date, software: string): Buffer {
    const ifd0: Entry[] = [
        { tag: 0x0131, type: ASCII, value: software },
        { tag: 0x0132, type: ASCII, value: exifTime(time) },
    ];
    const ifd1: Entry[] = [
        { tag: 0x0100, type: SHORT, value: thumbnail.width },
        { tag: 0x0101, type: SHORT, value: thumbnail.height },
        { tag: 0x0103, type: SHORT, value: 6 },
        { tag: JPEG_INTERCHANGE_FORMAT, type: LONG, value: 0 },
        { tag: JPEG_INTERCHANGE_FORMAT_LENGTH, type: LONG, value: thumbnail.jpeg.length },
    ];
    const ifd0At = TIFF_HEADER_SIZE;
    const ifd1At = ifd0At + directorySize(ifd0);
    const thumbnailAt = ifd1At + directorySize(ifd1);
    (ifd1[3] as Entry).value = thumbnailAt;
    const tiff = Buffer.alloc(thumbnailAt + thumbnail.jpeg.length);
    tiff.write('II', 0, 'latin1');
    tiff.writeUInt16LE(TIFF_MAGIC, 2);
    tiff.writeUInt32LE(ifd0At, 4);
    writeDirectory(tiff, ifd0At, ifd0, ifd1At);
    writeDirectory(tiff, ifd1At, ifd1, 0);
    thumbnail.jpeg.copy(tiff, thumbnailAt);
    const length = 2 + EXIF_HEADER.length + tiff.length;
    if (length > MAX_SEGMENT) throw new Error(`an EXIF thumbnail of ${thumbnail.jpeg.length} bytes does not fit in a JPEG segment`);
    const header = Buffer.alloc(6 + EXIF_HEADER.length); // SOI, APP1, its length, then "Exif" and two NULs
    header.writeUInt16BE(0xffd8, 0);
    header.writeUInt16BE(0xff00 | APP1, 2);
    header.writeUInt16BE(length, 4);
    header.write(EXIF_HEADER, 6, 'latin1');
    return Buffer.concat([header, tiff, afterStartOfImage(picture)]);
}
