// Camera gallery: images stored per second at about 300 KB (with the camera's embedded
// thumbnail, deriving one by decoding, and with none), and the gallery's first page with 100, 10,000 and 100,000 images stored,
// beside a SCAN-based listing like the original's v0.0.1 server.
import { encode } from 'jpeg-js';
import Redis from 'ioredis';
import { captureThumbnail } from '../nodes/lib/camera/command';
import { withExifThumbnail } from '../nodes/lib/camera/exif';
import { listImages } from '../nodes/lib/images/list';
import { ImageStore } from '../nodes/lib/images/store';
import { RedisProcess } from '../test/support/redis-process';
import { measure, progress, Summary } from './stats';
import { allocated, cpu, rate, row, TableRow, times } from './table';

/** A noisy picture, so JPEG cannot shrink it much: about 300 KB at 480x320, quality 92. */
function noisyJpeg(width: number, height: number, quality: number): Buffer {
    const data = Buffer.alloc(width * height * 4);
    let seed = 12345;
    for (let i = 0; i < data.length; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff; // not a date: the C library's rand() multiplier
        data[i] = (i & 3) === 3 ? 255 : (seed >> 16) & 0xff;
    }
    return encode({ data, width, height }, quality).data;
}

/** The original server's listing: SCAN the whole keyspace for image hashes, sort, take a page. */
async function scanFirstPage(redis: Redis, pageSize: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor = '0';
    do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', 'image:*', 'COUNT', 1000, 'TYPE', 'hash');
        cursor = next;
        for (const key of keys) ids.push(key.slice('image:'.length));
    } while (cursor !== '0');
    ids.sort().reverse();
    const page = ids.slice(0, pageSize);
    const pipe = redis.pipeline();
    for (const id of page) pipe.hmget(`image:${id}`, 'timestamp', 'mime_type', 'lux');
    await pipe.exec();
    return page;
}

const THUMBNAIL_WIDTH = 320;

/** The same picture as a camera writes it: with the EXIF thumbnail pi-camera asks rpicam-still for. */
function cameraPicture(picture: Buffer, width: number, height: number): Buffer {
    const spec = captureThumbnail({ width, height });
    // Noise is the worst case for its size: lowered in quality as rpicam-still does, to under 60 KB.
    let quality = spec.quality;
    let thumbnail = noisyJpeg(spec.width, spec.height, quality);
    while (thumbnail.length >= 60000) thumbnail = noisyJpeg(spec.width, spec.height, quality -= 5);
    return withExifThumbnail(picture, { jpeg: thumbnail, width: spec.width, height: spec.height }, new Date(), 'bench');
}

/**
 * Storing one picture of kb KB: plain, with the camera's embedded thumbnail, and deriving a
 * THUMBNAIL_WIDTH thumbnail by decoding (slower, so measured fewer times).
 */
async function storeRate(port: number): Promise<{ kb: number; plain: Summary; embedded: Summary; thumbnail: Summary }> {
    const redis = new Redis(port);
    const jpeg = noisyJpeg(480, 320, 92);
    const camera = cameraPicture(jpeg, 480, 320);
    const storing = (picture: Buffer, name: string, thumbnailWidth: number, n: number) => {
        const store = new ImageStore(redis, { keyPrefix: 'rate:', index: `rate-index-${name}`, maxCount: 200, maxBytes: 0, maxAgeMs: 0, thumbnailWidth });
        return measure(n, 1, () => store.store(picture, { camera: 'bench' }));
    };
    const plain = await storing(jpeg, 'plain', 0, 300);
    const embedded = await storing(camera, 'embedded', THUMBNAIL_WIDTH, 1000);
    const thumbnail = await storing(jpeg, 'decoded', THUMBNAIL_WIDTH, 40);
    redis.disconnect();
    return { kb: Math.round(jpeg.length / 1024), plain, embedded, thumbnail };
}

export interface ImagesBench {
    results: { store: Record<string, Summary>; firstPage: Array<{ images: number; index: Summary; scan: Summary }> };
    rows: TableRow[];
}

const SYSTEM = 'Camera gallery';

export async function benchImages(): Promise<ImagesBench> {
    // A Redis of its own: the listing comparison needs a keyspace holding only these images.
    const own = await RedisProcess.start();
    const redis = new Redis(own.port);
    progress('images: storing 300 KB pictures with an embedded thumbnail, decoding one, and with none');
    const rates = await storeRate(own.port);
    await redis.flushall();
    const tiny = noisyJpeg(8, 8, 50);
    const store = new ImageStore(redis, { maxCount: 0, maxBytes: 0, maxAgeMs: 0, thumbnailWidth: 0 });
    const listing: Array<{ images: number; index: Summary; scan: Summary }> = [];
    let stored = 0;
    for (const target of [100, 10000, 100000]) {
        progress(`images: first gallery page with ${target.toLocaleString('en-US')} pictures stored`);
        const writers = Array.from({ length: 8 }, async () => {
            while (stored < target) {
                stored++;
                await store.store(tiny, { camera: 'bench' });
            }
        });
        await Promise.all(writers);
        const index = await measure(target >= 100000 ? 200 : 500, 1, () => listImages(redis, store.keys, { limit: 24 }));
        const scan = await measure(target >= 100000 ? 5 : 20, 1, () => scanFirstPage(redis, 24));
        listing.push({ images: target, index, scan });
    }
    redis.disconnect();
    await own.destroy();
    const picture = `store ${rates.kb} KB JPEG`;
    const withoutThumbnail = 'thumbnail off';
    const withThumbnail = `thumbnail ${THUMBNAIL_WIDTH} px`;
    const embedded = 'store a camera picture with its embedded thumbnail (goal ≥ 500): stores/s';
    const rows = [
        row(SYSTEM, embedded, rate(rates.embedded), `${picture}, decoding it for a ${withThumbnail}`, rate(rates.thumbnail)),
        row(SYSTEM, `${picture}, ${withThumbnail}: p50 / p99`, times(rates.thumbnail), `the same, ${withoutThumbnail}`, times(rates.plain)),
        row(SYSTEM, `${picture}, ${withThumbnail}: CPU per picture (process.cpuUsage user + system, whole process)`,
            cpu(rates.thumbnail), `the same, ${withoutThumbnail}`, cpu(rates.plain)),
        // The picture's own bytes are Buffers, outside the V8 heap, and the thumbnail is made on a
        // worker thread with a heap of its own: this is what storing costs Node-RED's main heap.
        row(SYSTEM, `${picture}, ${withThumbnail}: main thread's V8 heap allocated per picture (not Buffers, not the thumbnail worker's; v8.GCProfiler)`,
            allocated(rates.thumbnail), `the same, ${withoutThumbnail}`, allocated(rates.plain)),
        ...listing.map((l) => row(SYSTEM, `first page of 24, ${l.images.toLocaleString('en-US')} stored, index: p50 / p99`,
            times(l.index), 'SCAN, like the original v0.0.1', times(l.scan))),
    ];
    // The same names as the rows use, so latest.json keeps its keys.
    const storeResults = {
        [`${picture}, ${withoutThumbnail}`]: rates.plain,
        [`${picture}, ${withThumbnail}`]: rates.thumbnail,
        [`${picture} from a camera, embedded thumbnail`]: rates.embedded,
    };
    return { results: { store: storeResults, firstPage: listing }, rows };
}
