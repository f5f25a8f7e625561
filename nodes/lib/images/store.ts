// Writes images for the redis-image-store node: checks the bytes, takes the camera's
// embedded thumbnail or derives one, then hands everything to the one store script (write + expiry + index + retention +
// announcement). Also adopts images written by the original capture script.
import { numberSetting } from '../settings';
import type { RedisClient } from '../redis/client-factory';
import { scriptCommands } from '../redis/lua';
import { checkImage, checkJpegClaim, ImageInputError, ImageMime, pngSize } from './content';
import { checkCamera, DEFAULT_INDEX, DEFAULT_KEY_PREFIX, ImageKeys, imageKeys, isLegacyId } from './ids';
import { ADOPT_SCRIPT, CACHE_THUMBNAIL_SCRIPT, FORGET_DANGLING_SCRIPT, STORE_SCRIPT } from './scripts';
import { DecodeQueueFull, thumbnailOffThread } from '../off-thread/jpeg-work';
import { DEFAULT_THUMBNAIL_WIDTH, embeddedThumbnail } from './thumbnail';

export interface RetentionSettings {
    /** Most images kept (0: no limit). */
    maxCount: number;
    /** Most bytes kept, images plus thumbnails (0: no limit). */
    maxBytes: number;
    /** Oldest image kept, in ms (0: no limit); also each hash's TTL backstop. */
    maxAgeMs: number;
}

export interface ImageStoreSettings extends Partial<RetentionSettings> {
    keyPrefix?: string;
    index?: string;
    /** Largest accepted image in bytes (0: no limit besides maxBytes). */
    maxImageSize?: number;
    /** Thumbnail width in px (0: no thumbnails). */
    thumbnailWidth?: number;
    /** Redis Cluster: use the hash-tagged key layout (see imageKeys). */
    cluster?: boolean;
    /** The Redis-clock moment after which a store sent now must not act (0: none). */
    deadline?: () => number;
}

/** Metadata for one image, as a flow gives it in msg.image. */
export interface ImageMetadata {
    camera?: unknown;
    /** Scene brightness the camera measured: a finite number of at least 0 (anything else: not measured). */
    lux?: unknown;
    /** Capture time by the camera's clock, unix ms (a Date is accepted too); kept as metadata. */
    timestamp?: unknown;
}

export interface StoredImage {
    id: string;
    mimeType: ImageMime;
    size: number;
    width?: number;
    height?: number;
    thumbnailSize?: number;
    /**
     * Set when a JPEG was stored without the thumbnail it should have had, because too many
     * decodes were waiting (see MAX_WAITING_DECODES); the gallery makes it when it is first shown.
     */
    thumbnailSkipped?: true;
    camera: string;
    /**
     * Capture time minus Redis's time at storing, in ms, when the camera's clock is more
     * than CLOCK_SKEW_LIMIT_MS away from Redis's (negative: behind); absent otherwise.
     */
    clockSkewMs?: number;
}

interface ImageCommands {
    imageStore(...args: Array<string | number | Buffer>): Promise<[string, number]>;
    imageForgetDangling(...args: Array<string | number>): Promise<number>;
    imageAdopt(...args: Array<string | number>): Promise<number>;
    imageCacheThumbnail(...args: Array<string | number | Buffer>): Promise<number>;
}

// defineCommand: EVALSHA with a fallback to EVAL when Redis has forgotten the script.
const imageCommands = scriptCommands<ImageCommands>({
    imageStore: { numberOfKeys: 7, lua: STORE_SCRIPT },
    imageForgetDangling: { numberOfKeys: 4, lua: FORGET_DANGLING_SCRIPT },
    imageAdopt: { numberOfKeys: 4, lua: ADOPT_SCRIPT },
    imageCacheThumbnail: { numberOfKeys: 1, lua: CACHE_THUMBNAIL_SCRIPT },
});

function captureMs(timestamp: unknown): number {
    const ms = timestamp instanceof Date ? timestamp.getTime() : typeof timestamp === 'number' ? timestamp : NaN;
    // 13 digits of ms; anything else (seconds, junk, absent) means "none given": the
    // picture's capture time is then Redis's time at storing.
    return Number.isSafeInteger(ms) && ms >= 1e12 && ms < 1e13 ? ms : 0;
}

/**
 * The lux argument of the store script: a whole number, as the original capture script
 * stores `int(image_metadata["Lux"])`, or '' when nothing measured it (the script then
 * writes UNMEASURED_LUX). A lux is never negative: a negative value is no measurement.
 */
function luxArgument(lux: unknown): string {
    const value = typeof lux === 'string' && /^\d+(\.\d+)?$/.test(lux.trim()) ? Number(lux) : lux;
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? String(Math.trunc(value)) : '';
}

export class ImageStore {
    readonly keys: ImageKeys;
    readonly retention: RetentionSettings;
    readonly maxImageSize: number;
    readonly thumbnailWidth: number;
    private readonly deadline: () => number;

    constructor(private readonly client: RedisClient, settings: ImageStoreSettings = {}) {
        this.deadline = settings.deadline ?? (() => 0);
        this.keys = imageKeys(settings.keyPrefix ?? DEFAULT_KEY_PREFIX, settings.index || DEFAULT_INDEX, settings.cluster);
        this.retention = {
            maxCount: nonNegative(settings.maxCount ?? 1000, 'maxCount'),
            maxBytes: nonNegative(settings.maxBytes ?? 100 * 1024 * 1024, 'maxBytes'),
            maxAgeMs: nonNegative(settings.maxAgeMs ?? 86400 * 1000, 'maxAge'),
        };
        this.maxImageSize = nonNegative(settings.maxImageSize ?? 5 * 1024 * 1024, 'maxImageSize');
        this.thumbnailWidth = nonNegative(settings.thumbnailWidth ?? DEFAULT_THUMBNAIL_WIDTH, 'thumbnailWidth');
    }

    /** Checks and stores one image; nothing is written when the input is refused. */
    async store(payload: unknown, meta: ImageMetadata = {}): Promise<StoredImage> {
        const limit = Math.min(this.maxImageSize || Infinity, this.retention.maxBytes || Infinity);
        const mimeType = checkImage(payload, Number.isFinite(limit) ? limit : 0);
        const bytes = payload as Buffer;
        let camera: string;
        try {
            camera = checkCamera(meta.camera);
        } catch (err) {
            throw new ImageInputError((err as Error).message, 'bad-metadata');
        }
        const fields: Array<string | Buffer> = ['image_data', bytes, 'mime_type', mimeType, 'size', String(bytes.length)];
        let width: number | undefined;
        let height: number | undefined;
        let thumbnail: Buffer | undefined;
        let thumbnailSkipped: true | undefined;
        if (mimeType === 'image/jpeg') {
            ({ width, height, thumbnail, thumbnailSkipped } = await this.jpegFacts(bytes));
        } else {
            // The signature alone is not a PNG: its header chunk comes right after it.
            const size = pngSize(bytes);
            if (!size || size.width < 1 || size.height < 1) throw new ImageInputError('msg.payload starts like a PNG but has no image header', 'not-an-image');
            ({ width, height } = size);
        }
        if (width !== undefined && height !== undefined) fields.push('width', String(width), 'height', String(height));
        if (thumbnail) fields.push('thumbnail', thumbnail, 'thumbnail_size', String(thumbnail.length));
        const stored = bytes.length + (thumbnail?.length ?? 0);
        const k = this.keys;
        const [id, skew] = await imageCommands(this.client).imageStore(
            k.index, k.seq, k.bytes, k.sizes, k.cameras, k.camera(camera), k.lux,
            k.keyPrefix, camera, captureMs(meta.timestamp), this.retention.maxCount, this.retention.maxBytes, this.retention.maxAgeMs, stored, this.deadline(),
            luxArgument(meta.lux),
            ...fields,
        );
        const clockSkewMs = Number(skew) || undefined;
        return { id: String(id), mimeType, size: bytes.length, width, height, thumbnailSize: thumbnail?.length, ...(thumbnailSkipped ? { thumbnailSkipped } : {}), camera, clockSkewMs };
    }

    /**
     * A JPEG's size and thumbnail. A camera's embedded thumbnail is kept as it is, with no
     * decoding (microseconds, where decoding takes tens of milliseconds); other JPEGs are
     * decoded on the worker thread, one at a time, and stored without a thumbnail when too
     * many already wait.
     */
    private async jpegFacts(bytes: Buffer): Promise<{ width?: number; height?: number; thumbnail?: Buffer; thumbnailSkipped?: true }> {
        // Checked here too, where its refusal keeps its own code; it is also the size
        // whenever the picture is not decoded.
        const claimed = checkJpegClaim(bytes);
        const notDecodable = (reason: string) => new ImageInputError(`msg.payload starts like a JPEG but cannot be decoded: ${reason}`, 'not-an-image');
        if (this.thumbnailWidth === 0) {
            // No thumbnail to make: the size is the frame header's, with no decoding.
            if (!claimed) throw notDecodable('no frame header');
            return claimed;
        }
        const embedded = claimed && embeddedThumbnail(bytes, claimed, this.thumbnailWidth);
        if (embedded) return { ...claimed, thumbnail: embedded };
        try {
            const made = await thumbnailOffThread(bytes, this.thumbnailWidth);
            return { width: made.width, height: made.height, thumbnail: made.bytes };
        } catch (err) {
            if (!(err instanceof DecodeQueueFull)) throw notDecodable((err as Error).message);
            if (!claimed) throw notDecodable('no frame header');
            return { ...claimed, thumbnailSkipped: true };
        }
    }

    /** Indexes images written by the original capture script; returns how many were new. */
    async adoptLegacy(): Promise<number> {
        return adoptLegacy(this.client, this.keys);
    }
}

function nonNegative(value: number, what: string): number {
    return Math.floor(numberSetting(value, what, { min: 0 }) as number);
}

/**
 * SCANs for `<prefix><10-digit id>` hashes (the original's keys) and adds them to the index.
 * O(keyspace), so it runs at start and on demand only, never per request.
 */
export async function adoptLegacy(client: RedisClient, keys: ImageKeys): Promise<number> {
    // The original's keys are spread over every slot of a Cluster: no script could index them.
    if (keys.cluster) return 0;
    let cursor = '0';
    let adopted = 0;
    do {
        const [next, found] = await client.scan(cursor, 'MATCH', `${keys.keyPrefix}*`, 'COUNT', 1000, 'TYPE', 'hash');
        cursor = next;
        adopted += await adoptIds(client, keys, found.map((key) => key.slice(keys.keyPrefix.length)));
    } while (cursor !== '0');
    return adopted;
}

/**
 * Indexes these pictures of the original capture script (others are ignored) and announces
 * each one that was new; returns how many were.
 */
export async function adoptIds(client: RedisClient, keys: ImageKeys, ids: string[]): Promise<number> {
    const legacy = ids.filter(isLegacyId);
    if (keys.cluster || !legacy.length) return 0;
    return Number(await imageCommands(client).imageAdopt(keys.index, keys.bytes, keys.sizes, keys.lux, keys.keyPrefix, ...legacy));
}

/** Removes index entries whose image hash no longer exists. */
export async function forgetDangling(client: RedisClient, keys: ImageKeys, ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    return Number(await imageCommands(client).imageForgetDangling(keys.index, keys.bytes, keys.sizes, keys.cameras, keys.keyPrefix, ...ids));
}

/** Saves a thumbnail derived later (legacy images) unless the image is gone by now. */
export async function cacheThumbnail(client: RedisClient, keys: ImageKeys, id: string, thumbnail: Buffer): Promise<void> {
    await imageCommands(client).imageCacheThumbnail(keys.image(id), thumbnail, thumbnail.length);
}
