// The EXIF thumbnail reader: finds the thumbnail rpicam-still's layout holds (little- and
// big-endian), and on broken or hostile EXIF data (cut short, offsets pointing anywhere,
// counts that overrun) answers undefined or a thumbnail inside the bytes, never throwing.
import assert from 'assert/strict';
import fc from 'fast-check';
import { withExifThumbnail } from '../../../nodes/lib/camera/exif';
import { isJpeg } from '../../../nodes/lib/jpeg';
import { exifThumbnail } from '../../../nodes/lib/images/exif-thumbnail';
import { makeJpeg } from './fixtures';

const picture = makeJpeg(96, 64, 40);
const small = makeJpeg(24, 16, 200);
const withThumb = withExifThumbnail(picture, { jpeg: small, width: 24, height: 16 }, new Date(), 'test');
// Offsets in the file: SOI (2), APP1 marker and length (4), "Exif\0\0" (6), then the TIFF header.
const TIFF = 12;

/** A big-endian ("MM") TIFF with IFD0 (no entries) linking to IFD1 (offset and length), then the thumbnail. */
function motorolaExif(thumbnail: Buffer): Buffer {
    const tiff = Buffer.alloc(8 + 6 + 2 + 2 * 12 + 4);
    tiff.write('MM', 0, 'latin1');
    tiff.writeUInt16BE(42, 2);
    tiff.writeUInt32BE(8, 4);
    tiff.writeUInt16BE(0, 8);
    tiff.writeUInt32BE(14, 10);
    tiff.writeUInt16BE(2, 14);
    const entry = (at: number, tag: number, value: number) => {
        tiff.writeUInt16BE(tag, at);
        tiff.writeUInt16BE(4, at + 2);
        tiff.writeUInt32BE(1, at + 4);
        tiff.writeUInt32BE(value, at + 8);
    };
    entry(16, 0x0201, tiff.length);
    entry(28, 0x0202, thumbnail.length);
    const app1 = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff, thumbnail]);
    const header = Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0, 0]);
    header.writeUInt16BE(app1.length + 2, 4);
    return Buffer.concat([header, app1, picture.subarray(2)]);
}

/** Each answer is undefined or a JPEG lying inside the input; anything thrown fails the test. */
function checkAnswer(bytes: Buffer): Buffer | undefined {
    const found = exifThumbnail(bytes);
    if (found) {
        assert.ok(isJpeg(found));
        assert.ok(found.byteOffset >= bytes.byteOffset && found.byteOffset + found.length <= bytes.byteOffset + bytes.length);
    }
    return found;
}

describe('EXIF thumbnail reader', () => {
    it('reads the thumbnail from the layout rpicam-still writes (little-endian, IFD0 then IFD1)', () => {
        assert.deepEqual(withThumb.subarray(0, 4), Buffer.from([0xff, 0xd8, 0xff, 0xe1]));
        assert.equal(withThumb.toString('latin1', 12, 14), 'II');
        assert.ok(exifThumbnail(withThumb)?.equals(small));
    });

    it('reads a big-endian (MM) TIFF too', () => {
        assert.ok(exifThumbnail(motorolaExif(small))?.equals(small));
    });

    it('finds nothing in a JPEG without EXIF data, in other APP1 data, or in something that is not a JPEG', () => {
        assert.equal(exifThumbnail(picture), undefined);
        const xmp = Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>', 'latin1');
        const xmpSegment = Buffer.concat([Buffer.from([0xff, 0xe1, 0, xmp.length + 2]), xmp]);
        assert.equal(exifThumbnail(Buffer.concat([picture.subarray(0, 2), xmpSegment, picture.subarray(2)])), undefined);
        assert.equal(exifThumbnail(Buffer.from('not a picture at all')), undefined);
        assert.equal(exifThumbnail(Buffer.alloc(0)), undefined);
    });

    it('finds nothing when IFD0 has no link to IFD1, or IFD1 no thumbnail', () => {
        const noLink = Buffer.from(withThumb);
        const ifd0Count = noLink.readUInt16LE(TIFF + 8);
        noLink.writeUInt32LE(0, TIFF + 8 + 2 + ifd0Count * 12);
        assert.equal(exifThumbnail(noLink), undefined);
        const noOffset = Buffer.from(withThumb);
        const ifd1 = TIFF + noOffset.readUInt32LE(TIFF + 8 + 2 + ifd0Count * 12);
        for (let i = 0; i < noOffset.readUInt16LE(ifd1); i++) {
            const at = ifd1 + 2 + i * 12;
            if (noOffset.readUInt16LE(at) === 0x0201) noOffset.writeUInt16LE(0x0111, at); // StripOffsets instead
        }
        assert.equal(exifThumbnail(noOffset), undefined);
    });

    it('refuses offsets and lengths that point outside the EXIF data', () => {
        const ifd0Count = withThumb.readUInt16LE(TIFF + 8);
        const linkAt = TIFF + 8 + 2 + ifd0Count * 12;
        const ifd1 = TIFF + withThumb.readUInt32LE(linkAt);
        const entryOf = (tag: number) => {
            for (let i = 0; ; i++) if (withThumb.readUInt16LE(ifd1 + 2 + i * 12) === tag) return ifd1 + 2 + i * 12;
        };
        const patched = (at: number, value: number, size: 2 | 4 = 4) => {
            const copy = Buffer.from(withThumb);
            if (size === 2) copy.writeUInt16LE(value, at);
            else copy.writeUInt32LE(value, at);
            return copy;
        };
        // JPEG segment lengths are big-endian whatever the TIFF's byte order.
        const app1Length = (value: number) => {
            const copy = Buffer.from(withThumb);
            copy.writeUInt16BE(value, 4);
            return copy;
        };
        const hostile = [
            patched(TIFF + 4, 0xffffffff), // IFD0 far beyond the end
            patched(TIFF + 4, 0), // IFD0 inside the TIFF header
            patched(TIFF + 8, 0xffff, 2), // IFD0 with more entries than the bytes hold
            patched(linkAt, 0xfffffff0), // IFD1 beyond the end
            patched(linkAt, withThumb.length), // IFD1 just past the end
            patched(entryOf(0x0201) + 8, 0xfffffff0), // thumbnail offset beyond the end
            patched(entryOf(0x0202) + 8, 0xffffffff), // thumbnail length beyond the end (and an overflow in 32 bits)
            patched(entryOf(0x0202) + 8, 2), // a thumbnail too short to be a JPEG
            patched(entryOf(0x0201) + 4, 2), // two values where one is meant
            patched(entryOf(0x0201) + 8, 8), // offset into the directories: not a JPEG there
            app1Length(4), // an APP1 length shorter than its "Exif" header
            app1Length(0xffff), // an APP1 segment longer than the file
            app1Length(1), // a length that does not even cover itself
        ];
        for (const bytes of hostile) assert.equal(checkAnswer(bytes), undefined);
    });

    it('answers undefined or a thumbnail inside the bytes for every cut of a picture', () => {
        for (let cut = 0; cut <= withThumb.length; cut += cut < 400 ? 1 : 97) {
            const found = checkAnswer(withThumb.subarray(0, cut));
            // The whole thumbnail lies before the picture's data: any cut after it still finds it.
            if (found) assert.ok(found.equals(small));
        }
    });

    it('never throws on EXIF data with random bytes changed (fuzz)', () => {
        const exifEnd = 4 + withThumb.readUInt16BE(4);
        fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: exifEnd - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (changes) => {
            const bytes = Buffer.from(withThumb);
            for (const [at, value] of changes) bytes[at] = value;
            checkAnswer(bytes);
        }), { numRuns: 2000, seed: 1301 });
        fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (rest) => {
            checkAnswer(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0, rest.length + 8]), Buffer.from('Exif\0\0', 'latin1'), Buffer.from(rest)]));
        }), { numRuns: 2000, seed: 1302 });
    });
});
