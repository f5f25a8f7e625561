// How much memory the soak's Redis may reach however long it runs: what it held before
// the traffic, plus every kind of data at its cap. Pictures are capped by the store's
// maxCount and maxBytes, the event stream by its MAXLEN, tap and sale records by their
// 15-minute TTL, used two hour passes by their 2-hour TTL. Sizes per item come from
// MEMORY USAGE on items the soak made; rates from the traffic it sent.
import type Redis from 'ioredis';
import { imageKeys } from '../../nodes/lib/images/ids';
import { cardKeys } from '../../nodes/lib/transit/keys';
import { TWO_HOUR_MS } from '../../nodes/lib/transit/pass-types';
import { DEFAULT_RECORD_TTL_MS, DEFAULT_STREAM_LENGTH } from '../../nodes/lib/transit/store';
import type { FlowFacts } from './flows';
import type { RedisSample } from './probe';
import { MB } from '../stats';

/** transit:events is trimmed with XADD MAXLEN ~ (TransitStore's default); "~" may keep one more macro node (100 entries). */
export const STREAM_CAP = DEFAULT_STREAM_LENGTH + 100;
/** How long a tap or sale id is remembered (TransitStore's recordTtl default). */
export const RECORD_TTL_S = DEFAULT_RECORD_TTL_MS / 1000;
/** Allocator slack over the sum of MEMORY USAGE estimates. */
const SLACK = 1.1;

export interface BoundInputs extends Pick<FlowFacts, 'imageIndex' | 'imageKeyPrefix' | 'maxCount' | 'maxBytes' | 'stream' | 'passPrefix'> {
    baselineBytes: number;
    /** The soak's last Redis sample, taken once the traffic stopped. */
    last: RedisSample;
    /** Taps plus sales per second, each leaving one record. */
    opsPerSecond: number;
    /** Two hour passes sold per second (each lives up to 2 h after first use). */
    twoHourSalesPerSecond: number;
    /** Cards the driver keeps supplied with a pass. */
    supply: number;
}

export interface RedisBound {
    baselineMb: number;
    pictureBytes: number | undefined;
    picturesAtCap: number;
    picturesMb: number;
    streamEntryBytes: number | undefined;
    streamMb: number;
    recordBytes: number | undefined;
    recordsMb: number;
    passBytes: number | undefined;
    passesMb: number;
    boundMb: number;
}


/** Bytes Redis reports for one key (MEMORY USAGE), or undefined when there is no such key. */
async function keyMemory(redis: Redis, key: string | undefined): Promise<number | undefined> {
    if (!key) return undefined;
    // Every field: by default Redis sizes 5 and extrapolates, which misses a picture's bytes
    // whenever the 5 it takes are the small metadata fields.
    const bytes = await redis.memory('USAGE', key, 'SAMPLES', 0);
    return bytes === null ? undefined : Number(bytes);
}

/** The first key matching pattern, found with SCAN (never KEYS). */
async function findKey(redis: Redis, pattern: string): Promise<string | undefined> {
    let cursor = '0';
    do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length > 0) return keys[0];
        cursor = next;
    } while (cursor !== '0');
    return undefined;
}

export async function redisBound(redis: Redis, inputs: BoundInputs): Promise<RedisBound> {
    const keys = imageKeys(inputs.imageKeyPrefix, inputs.imageIndex);
    const newest = (await redis.zrevrange(keys.index, 0, 0))[0];
    const pictureBytes = await keyMemory(redis, newest === undefined ? undefined : keys.image(newest));
    const storedPerPicture = inputs.last.imageBytes / Math.max(1, inputs.last.images);
    const byBytes = inputs.maxBytes > 0 && storedPerPicture > 0 ? Math.floor(inputs.maxBytes / storedPerPicture) : Infinity;
    const picturesAtCap = Math.min(inputs.maxCount > 0 ? inputs.maxCount : Infinity, byBytes);

    const length = inputs.last.streamLength;
    const streamBytes = await keyMemory(redis, inputs.stream);
    const streamEntryBytes = streamBytes !== undefined && length > 0 ? streamBytes / length : undefined;

    // Patterns for any card's keys, built by the product's own key builder so that they follow its layout.
    const anyCard = cardKeys(inputs.passPrefix, '*');
    const recordBytes = await keyMemory(redis, await findKey(redis, anyCard.record('*')));
    const passBytes = await keyMemory(redis, await findKey(redis, anyCard.pass));
    const passes = inputs.supply + inputs.twoHourSalesPerSecond * (TWO_HOUR_MS / 1000);

    const picturesMb = ((pictureBytes ?? 0) * picturesAtCap) / MB;
    const streamMb = ((streamEntryBytes ?? 0) * STREAM_CAP) / MB;
    const recordsMb = ((recordBytes ?? 0) * inputs.opsPerSecond * RECORD_TTL_S) / MB;
    const passesMb = ((passBytes ?? 0) * passes) / MB;
    const baselineMb = inputs.baselineBytes / MB;
    return {
        baselineMb, pictureBytes, picturesAtCap, picturesMb, streamEntryBytes, streamMb, recordBytes, recordsMb, passBytes, passesMb,
        boundMb: baselineMb + SLACK * (picturesMb + streamMb + recordsMb + passesMb),
    };
}
