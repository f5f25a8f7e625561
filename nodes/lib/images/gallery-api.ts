// The gallery's HTTP handlers (Express request/response types only; the node registers
// them on Node-RED's httpNode). Every image read goes through the id check first, so a
// malformed id, a path trick or a key that is not an image never reaches Redis as a key.
import crypto from 'crypto';
import type { Request, Response } from 'express';
import type { RedisClient } from '../redis/client-factory';
import { sniffMime } from './content';
import { ImageKeys, isImageId, isLegacyId } from './ids';
import { etagForId, etagMatches, IMMUTABLE, parseLux, parseRange, parseTime } from './http';
import { listCameras, listImages, orIfWrongType, readSummary } from './list';
import { cacheThumbnail } from './store';
import { DEFAULT_THUMBNAIL_WIDTH, embeddedThumbnail } from './thumbnail';
import { jpegSize } from '../jpeg';
import { thumbnailOffThread } from '../off-thread/jpeg-work';
import { SseStreams } from '../http/sse';

export interface GalleryOptions {
    pageSize: number;
    thumbnailWidth?: number;
    /** Called with unexpected errors (Redis down...), for the node's log. */
    onError?: (err: Error) => void;
}

// Larger legacy pictures are served as they are rather than decoded on the event loop.
const MAX_DERIVE_BYTES = 8 * 1024 * 1024;

export class GalleryApi {
    // `event: image` / `data: <id>` to every open page, a `: keep-alive` comment every 25 s.
    private readonly streams = new SseStreams({ retryMs: 10000, heartbeatMs: 25000, heartbeatComment: 'keep-alive', cacheControl: 'no-cache, no-transform' });
    // Thumbnails of legacy images are derived one at a time. The worker thread already decodes
    // one job at a time; this chain keeps a page full of legacy thumbnails from queueing
    // ahead of the thumbnails the store makes for new pictures in that same worker.
    private deriving: Promise<unknown> = Promise.resolve();

    constructor(private readonly client: RedisClient, private readonly keys: ImageKeys, private readonly options: GalleryOptions) {}

    /** Tells every open page about a new image (the id only; the page fetches the rest). */
    announce(id: string): void {
        if (isImageId(id)) this.streams.send('image', id);
    }

    close(): void {
        this.streams.close();
    }

    events = (req: Request, res: Response): void => this.streams.open(req, res);

    images = async (req: Request, res: Response): Promise<void> => {
        const q = req.query;
        const limit = Number(typeof q.limit === 'string' && /^\d+$/.test(q.limit) ? q.limit : this.options.pageSize);
        const camera = typeof q.camera === 'string' && q.camera !== '' && q.camera.length <= 64 ? q.camera : undefined;
        try {
            const page = await listImages(this.client, this.keys, {
                cursor: typeof q.cursor === 'string' ? q.cursor : undefined,
                limit, // listImages clamps it
                from: parseTime(q.from),
                to: parseTime(q.to),
                camera,
                minLux: parseLux(q.minLux),
                maxLux: parseLux(q.maxLux),
            });
            const body = JSON.stringify(page.images);
            const etag = `W/"${crypto.createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`;
            res.setHeader('Cache-Control', 'no-cache');
            res.setHeader('ETag', etag);
            res.setHeader('Access-Control-Expose-Headers', 'X-Next-Cursor, Link');
            if (page.nextCursor) {
                res.setHeader('X-Next-Cursor', page.nextCursor);
                const next = new URLSearchParams({ ...stringParams(q), cursor: page.nextCursor });
                res.setHeader('Link', `<${req.baseUrl}${req.path}?${next.toString()}>; rel="next"`);
            }
            if (etagMatches(req.get('If-None-Match'), etag)) {
                res.status(304).end();
                return;
            }
            res.type('application/json').send(body);
        } catch (err) {
            this.fail(res, err);
        }
    };

    cameras = async (_req: Request, res: Response): Promise<void> => {
        try {
            res.setHeader('Cache-Control', 'no-cache');
            res.json(await listCameras(this.client, this.keys));
        } catch (err) {
            this.fail(res, err);
        }
    };

    /** One image's metadata (the original v0.0.1 route), for pages told about a new id. */
    data = async (req: Request, res: Response): Promise<void> => {
        const id = req.params.id;
        try {
            const found = isImageId(id) ? await readSummary(this.client, this.keys, id) : undefined;
            if (!found) return notFound(res, id);
            res.setHeader('Cache-Control', 'no-cache');
            res.json(found);
        } catch (err) {
            this.fail(res, err);
        }
    };

    image = async (req: Request, res: Response): Promise<void> => {
        const id = req.params.id;
        if (!isImageId(id)) return notFound(res, id);
        try {
            const key = this.keys.image(id);
            if (await this.answeredUnchanged(req, res, key, id, 'image')) return;
            const [bytes, mime] = await this.fields(key, 'image_data', 'mime_type');
            if (!bytes) return notFound(res, id);
            sendBytes(req, res, id, 'image', bytes, mime?.toString());
        } catch (err) {
            this.fail(res, err);
        }
    };

    thumb = async (req: Request, res: Response): Promise<void> => {
        const id = req.params.id;
        if (!isImageId(id)) return notFound(res, id);
        try {
            const key = this.keys.image(id);
            if (await this.answeredUnchanged(req, res, key, id, 'thumb')) return;
            const [thumbnail] = await this.fields(key, 'thumbnail');
            if (thumbnail) return sendBytes(req, res, id, 'thumb', thumbnail, 'image/jpeg');
            const [bytes] = await this.fields(key, 'image_data');
            if (!bytes) return notFound(res, id);
            sendBytes(req, res, id, 'thumb', await this.derive(id, bytes), undefined);
        } catch (err) {
            this.fail(res, err);
        }
    };

    // An image without a thumbnail (the original's, one stored while too many decodes waited,
    // or a PNG): a JPEG gets one, its embedded EXIF thumbnail or one made by decoding, cached
    // once; a PNG, or a JPEG too big to decode here, is served as it is, and so is a JPEG
    // while the decode queue is full (it gets its thumbnail on a later request).
    private derive(id: string, bytes: Buffer): Promise<Buffer> {
        if (sniffMime(bytes) !== 'image/jpeg') return Promise.resolve(bytes);
        const width = this.options.thumbnailWidth ?? DEFAULT_THUMBNAIL_WIDTH;
        const size = jpegSize(bytes);
        const embedded = size && embeddedThumbnail(bytes, size, width);
        if (!embedded && bytes.length > MAX_DERIVE_BYTES) return Promise.resolve(bytes);
        const task = this.deriving.then(async () => {
            const made = embedded ?? (await thumbnailOffThread(bytes, width)).bytes;
            await cacheThumbnail(this.client, this.keys, id, made).catch(() => undefined);
            return made;
        }).catch(() => bytes);
        this.deriving = task;
        return task;
    }

    /**
     * A fast 304 (or 404) for a conditional request on an id that can never change: only
     * the picture's existence is checked, its bytes are not read. Legacy ids can be
     * overwritten by the original's one-second collisions, so they always take the full path.
     */
    private async answeredUnchanged(req: Request, res: Response, key: string, id: string, variant: 'image' | 'thumb'): Promise<boolean> {
        if (isLegacyId(id) || !etagMatches(req.get('If-None-Match'), etagForId(id, variant))) return false;
        if (await this.hasField(key, 'image_data')) notModified(res, etagForId(id, variant));
        else notFound(res, id);
        return true;
    }

    private async hasField(key: string, field: string): Promise<boolean> {
        return (await orIfWrongType(this.client.hexists(key, field), 0)) === 1;
    }

    private fields(key: string, ...names: string[]): Promise<Array<Buffer | null>> {
        return orIfWrongType(this.client.hmgetBuffer(key, ...names), names.map(() => null));
    }

    private fail(res: Response, err: unknown): void {
        this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
        if (!res.headersSent) res.status(503).type('text/plain').send('The image store is unavailable.');
    }
}

function stringParams(query: Request['query']): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(query)) if (typeof v === 'string') out[k] = v;
    return out;
}

function notFound(res: Response, id: unknown): void {
    // The original's text; plain text and nosniff, so an id can never become markup.
    res.status(404).set('X-Content-Type-Options', 'nosniff').type('text/plain')
        .send(`Image ${typeof id === 'string' ? id.slice(0, 64) : ''} not found.`);
}

function notModified(res: Response, etag: string): void {
    res.status(304).set({ ETag: etag, 'Cache-Control': IMMUTABLE }).end();
}

function sendBytes(req: Request, res: Response, id: string, variant: 'image' | 'thumb', bytes: Buffer, storedMime: string | undefined): void {
    const mime = storedMime === 'image/jpeg' || storedMime === 'image/png' ? storedMime : sniffMime(bytes) ?? 'application/octet-stream';
    // The original's one-second ids can be overwritten (its collision bug), so their tag
    // is taken from the bytes and they are revalidated; our ids name their bytes forever.
    const legacy = isLegacyId(id);
    const etag = legacy ? `"${id}-${crypto.createHash('sha1').update(bytes).digest('base64url').slice(0, 16)}${variant === 'thumb' ? '-thumb' : ''}"` : etagForId(id, variant);
    res.set({
        ETag: etag,
        'Cache-Control': legacy ? 'no-cache' : IMMUTABLE,
        'Accept-Ranges': 'bytes',
        'X-Content-Type-Options': 'nosniff',
        'Content-Type': mime,
    });
    if (etagMatches(req.get('If-None-Match'), etag)) {
        res.status(304).end();
        return;
    }
    const ifRange = req.get('If-Range');
    const range = ifRange && ifRange !== etag ? undefined : parseRange(req.get('Range'), bytes.length);
    if (range === 'unsatisfiable') {
        res.status(416).set('Content-Range', `bytes */${bytes.length}`).end();
        return;
    }
    if (range) {
        res.status(206).set({ 'Content-Range': `bytes ${range.start}-${range.end}/${bytes.length}`, 'Content-Length': String(range.end - range.start + 1) });
        res.end(bytes.subarray(range.start, range.end + 1));
        return;
    }
    res.status(200).set('Content-Length', String(bytes.length)).end(bytes);
}
