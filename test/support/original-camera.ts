// Stand-ins for Simon Prickett's original camera programs (github.com/simonprickett/redis-pi-camera),
// written from their code, not from ours: what they send to Redis and what they make of
// the replies, so that a test can tell whether our pictures work with them and theirs
// with us. Nothing here imports the package.
import vm from 'vm';
import type Redis from 'ioredis';

/**
 * What pi/capture.py (HEAD) does for one picture (its on_sound callback):
 *
 *     current_timestamp = int(time.time())
 *     redis_key = f"image:{current_timestamp}"
 *     data_to_save["image_data"] = image_data.getvalue()
 *     data_to_save["timestamp"] = current_timestamp
 *     data_to_save["mime_type"] = "image/jpeg"
 *     data_to_save["lux"] = int(image_metadata["Lux"])
 *     pipe = redis_client.pipeline(transaction=False)
 *     pipe.hset(redis_key, mapping = data_to_save)
 *     pipe.expire(redis_key, IMAGE_EXPIRY)
 *     pipe.execute()
 *
 * One HSET with the four fields in that order (redis-py sends the ints as their decimal
 * text), then EXPIRE, pipelined without MULTI; it never publishes. `seconds` is its
 * int(time.time()), `lux` the camera's Lux; its .env example has IMAGE_EXPIRY=300.
 * Returns the key.
 */
export async function captureScriptPicture(redis: Redis, seconds: number, jpeg: Buffer, lux: number, expiry = 300): Promise<string> {
    const key = `image:${seconds}`;
    const replies = await redis.pipeline()
        .hset(key, 'image_data', jpeg, 'timestamp', String(seconds), 'mime_type', 'image/jpeg', 'lux', String(Math.trunc(lux)))
        .expire(key, expiry)
        .exec();
    for (const [err] of replies ?? []) if (err) throw err;
    return key;
}

/**
 * The v0.0.2 Flask app's `/api/images` (server/app.py, get_all_images):
 *
 *     for img in redis_client.scan_iter(match=f"{IMAGE_KEY_PREFIX}:*", _type="HASH"):
 *         all_images.append(img.decode(STRING_ENCODING).removeprefix(f"{IMAGE_KEY_PREFIX}:"))
 *     all_images.sort(reverse=True)
 *
 * IMAGE_KEY_PREFIX is "image". Python sorts str by code point, as JS's default sort does for ASCII.
 */
export async function originalImageIds(redis: Redis): Promise<string[]> {
    const ids: string[] = [];
    let cursor = '0';
    do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', 'image:*', 'TYPE', 'hash');
        cursor = next;
        ids.push(...keys.map((key) => key.slice('image:'.length)));
    } while (cursor !== '0');
    return ids.sort().reverse();
}

/**
 * The v0.0.2 `/api/data/<image_id>` (get_image_data): HMGET of IMAGE_META_DATA_FIELDS
 * [timestamp, mime_type, lux]; 404 when the first is None, otherwise each value is
 * `.decode()`d, which raises on a None: Flask answers 500.
 */
export async function originalImageData(redis: Redis, id: string): Promise<{ status: number; body?: Record<string, string> }> {
    const [timestamp, mimeType, lux] = await redis.hmget(`image:${id}`, 'timestamp', 'mime_type', 'lux');
    if (timestamp === null) return { status: 404 };
    if (mimeType === null || lux === null) return { status: 500 };
    return { status: 200, body: { timestamp, mime_type: mimeType, lux } };
}

/**
 * The title the v0.0.2 page (server/static/app.js) gives a picture, evaluated as its own
 * expression in a fresh context: `new Date(parseInt(imageId * 1000, 10)).toUTCString()`.
 */
export function originalTitle(imageId: string): string {
    return String(vm.runInNewContext('new Date(parseInt(imageId * 1000, 10)).toUTCString()', { imageId }));
}

/** The original's latest index: FT.CREATE idx:images ON HASH PREFIX 1 image: SCHEMA mime_type TAG lux NUMERIC SORTABLE timestamp NUMERIC SORTABLE */
export const IDX_IMAGES = { prefix: 'image:', tag: ['mime_type'], numeric: ['lux', 'timestamp'] } as const;
