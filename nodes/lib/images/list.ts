// Listing for the gallery: pages of the time index, newest first, read with
// ZRANGE BYSCORE REV LIMIT (O(log N + page)), so the first page costs the same with 100 or
// 100,000 images. The cursor is the last id of the previous page: images that share a
// millisecond are ordered by id, so paging never skips or repeats one. A lux range is
// checked against the lux index (ZMSCORE, one read per batch), so the read-only gallery
// user can filter, and it combines with every other filter and with paging.
import type { RedisClient } from '../redis/client-factory';
import { ImageKeys, isImageId, storedMsOfId } from './ids';
import { forgetDangling } from './store';

/** One image as /api/images returns it: the original's string fields, then ours. */
export interface ImageSummary {
    id: string;
    timestamp: string;
    mime_type: string;
    /** As the camera measured it; null when nothing did (the hash then holds UNMEASURED_LUX, or no lux). */
    lux: string | null;
    /** Capture time by the camera's clock, ms. */
    ts_ms: number;
    /** When Redis stored it, by Redis's clock (ms): the gallery's order and its time filters. */
    stored_ms: number;
    /** Capture minus stored time (ms) when the camera's clock was wrong by more than a few minutes. */
    clock_skew_ms: number | null;
    size: number | null;
    width: number | null;
    height: number | null;
    camera: string | null;
    thumbnail: boolean;
}

export interface ListQuery {
    /** The last id of the previous page. */
    cursor?: string;
    limit?: number;
    /** Oldest and newest time stored (Redis's clock, the index's score), unix ms, inclusive. */
    from?: number;
    to?: number;
    camera?: string;
    /** Only measured pictures whose lux is within this range, inclusive. */
    minLux?: number;
    maxLux?: number;
}

export interface ImagePage {
    images: ImageSummary[];
    /** Pass as `cursor` for the next page; undefined on the last page. */
    nextCursor?: string;
}

export const MAX_PAGE = 200;
const FIELDS = ['timestamp', 'mime_type', 'lux', 'ts_ms', 'stored_ms', 'clock_skew_ms', 'size', 'width', 'height', 'camera', 'thumbnail_size'] as const;

function numberOrNull(value: string | null): number | null {
    if (value === null || value === '') return null;
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
}

function summary(id: string, values: Array<string | null>): ImageSummary {
    const [timestamp, mime, lux, tsMs, storedMs, skewMs, size, width, height, camera, thumbSize] = values;
    const seconds = timestamp ?? String(Math.floor(storedMsOfId(id) / 1000));
    return {
        id,
        timestamp: seconds,
        mime_type: mime ?? 'image/jpeg',
        lux: measuredLux(lux) === undefined ? null : lux,
        ts_ms: numberOrNull(tsMs) ?? Number(seconds) * 1000,
        // Legacy pictures have no stored time: they are indexed by their own timestamp.
        stored_ms: numberOrNull(storedMs) ?? storedMsOfId(id),
        clock_skew_ms: numberOrNull(skewMs),
        size: numberOrNull(size),
        width: numberOrNull(width),
        height: numberOrNull(height),
        camera: camera ?? null,
        thumbnail: thumbSize !== null,
    };
}

/** A lux field that is a measurement (a number of at least 0), or undefined. */
function measuredLux(value: string | null | undefined): number | undefined {
    const n = value === null || value === undefined || value.trim() === '' ? NaN : Number(value);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * The reply of a read on an image key, or fallback when the key holds another type: a key
 * that is not one of our hashes is not an image. Any other error (Redis unreachable...)
 * is passed on, so the gallery answers 503 rather than claiming the image does not exist.
 */
export async function orIfWrongType<T>(read: Promise<T>, fallback: T): Promise<T> {
    try {
        return await read;
    } catch (err) {
        if (err instanceof Error && /WRONGTYPE/.test(err.message)) return fallback;
        throw err;
    }
}

/** Reads one image's metadata (id already checked), or undefined when there is no such image. */
export async function readSummary(client: RedisClient, keys: ImageKeys, id: string): Promise<ImageSummary | undefined> {
    const values = await orIfWrongType(client.hmget(keys.image(id), ...FIELDS), []);
    if (values.every((v) => v === null)) return undefined;
    return summary(id, values);
}

export async function listImages(client: RedisClient, keys: ImageKeys, query: ListQuery): Promise<ImagePage> {
    const limit = Math.max(1, Math.min(MAX_PAGE, Math.floor(query.limit ?? 24)));
    const zset = query.camera ? keys.camera(query.camera) : keys.index;
    const cursor = query.cursor && isImageId(query.cursor) ? query.cursor : undefined;
    let max = query.to ?? Infinity;
    if (cursor) max = Math.min(max, storedMsOfId(cursor));
    const luxFilter = query.minLux !== undefined || query.maxLux !== undefined;
    const min = query.from ?? -Infinity;
    const images: ImageSummary[] = [];
    let offset = 0;
    let exhausted = false;
    // Fetch one more than needed to know whether a next page exists; loop only when
    // ties with the cursor or dangling entries were skipped.
    while (images.length <= limit && !exhausted) {
        const want = limit + 1 - images.length;
        // A lux range may skip many entries per match: larger batches, fewer round trips.
        const batch = Math.max(want, luxFilter ? 128 : 16);
        const raw = await client.zrange(zset, bound(max), bound(min, true), 'BYSCORE', 'REV', 'LIMIT', offset, batch, 'WITHSCORES');
        offset += raw.length / 2;
        exhausted = raw.length / 2 < batch;
        let ids: string[] = [];
        for (let i = 0; i < raw.length; i += 2) {
            const id = raw[i];
            // Same millisecond as the cursor: REV order is by id descending; keep only those after it.
            if (cursor && Number(raw[i + 1]) === storedMsOfId(cursor) && id >= cursor) continue;
            ids.push(id);
        }
        if (luxFilter) ids = await withinLux(client, keys, ids, query);
        if (!ids.length) continue;
        const pipeline = client.pipeline();
        ids.forEach((id) => pipeline.hmget(keys.image(id), ...FIELDS));
        const replies = (await pipeline.exec()) ?? [];
        const dangling: string[] = [];
        ids.forEach((id, i) => {
            const [err, values] = replies[i] ?? [];
            const fields = values as Array<string | null> | undefined;
            if (err || !fields || fields.every((v) => v === null)) dangling.push(id);
            else if (images.length <= limit && (!luxFilter || inLuxRange(measuredLux(fields[LUX]), query))) images.push(summary(id, fields));
        });
        // Offsets shift by what was removed from the index under us.
        if (dangling.length) offset -= await forgetDangling(client, keys, dangling).catch(() => 0);
    }
    const hasMore = images.length > limit;
    const page = images.slice(0, limit);
    return { images: page, nextCursor: hasMore ? page[page.length - 1].id : undefined };
}

const LUX = FIELDS.indexOf('lux');

function inLuxRange(lux: number | undefined, query: ListQuery): boolean {
    return lux !== undefined && lux >= (query.minLux ?? -Infinity) && lux <= (query.maxLux ?? Infinity);
}

/**
 * The ids the lux index puts in range, and those it does not know (pictures stored before
 * it existed, or whose hash is gone): their own `lux` field decides once read, and a
 * missing hash is cleaned as dangling.
 */
async function withinLux(client: RedisClient, keys: ImageKeys, ids: string[], query: ListQuery): Promise<string[]> {
    if (!ids.length) return ids;
    const scores = (await client.zmscore(keys.lux, ...ids)) as Array<string | null>;
    return ids.filter((_id, i) => scores[i] === null || inLuxRange(Number(scores[i]), query));
}

function bound(value: number, low = false): string {
    if (value === Infinity) return '+inf';
    if (value === -Infinity) return '-inf';
    return low ? String(Math.ceil(value)) : String(Math.floor(value));
}

/** The camera names that have images (for the gallery's filter). */
export async function listCameras(client: RedisClient, keys: ImageKeys): Promise<string[]> {
    return (await client.smembers(keys.cameras)).sort();
}
