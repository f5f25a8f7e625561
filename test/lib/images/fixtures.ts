// Real image bytes for the image tests: JPEGs made with jpeg-js (so decoders accept them)
// and a minimal valid PNG.
import zlib from 'zlib';
import jpeg from 'jpeg-js';

export function makeJpeg(width = 64, height = 48, shade = 128): Buffer {
    const data = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) {
        data[i * 4] = (i * 7 + shade) & 255;
        data[i * 4 + 1] = shade;
        data[i * 4 + 2] = (i >> 3) & 255;
        data[i * 4 + 3] = 255;
    }
    return Buffer.from(jpeg.encode({ data, width, height }, 80).data);
}

/** A real JPEG whose frame header says it is width x height: decoding it would need that many pixels. */
export function claimingSize(width: number, height: number): Buffer {
    const jpeg = Buffer.from(makeJpeg(16, 16));
    for (let at = 2; at + 9 < jpeg.length; at += 2 + jpeg.readUInt16BE(at + 2)) {
        if (jpeg[at + 1] === 0xc0) {
            jpeg.writeUInt16BE(height, at + 5);
            jpeg.writeUInt16BE(width, at + 7);
            break;
        }
    }
    return jpeg;
}

function crc32(buf: Buffer): number {
    let c = ~0;
    for (const byte of buf) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
}

function chunk(type: string, body: Buffer): Buffer {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([len, typed, crc]);
}

export function makePng(width = 4, height = 3): Buffer {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // RGB
    const raw = Buffer.alloc((width * 3 + 1) * height);
    return Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
    ]);
}

let n = 0;
/** A fresh key prefix and index per test, so tests never see each other's images. */
export function freshNames(): { keyPrefix: string; index: string } {
    n += 1;
    const tag = `imgtest${process.pid}-${Date.now()}-${n}`;
    return { keyPrefix: `${tag}:image:`, index: `${tag}:index` };
}
