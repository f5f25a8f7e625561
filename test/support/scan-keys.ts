// Keys of a test's Redis found with SCAN, never KEYS: SCAN does not block the server, so a
// check stays safe however many keys a test (or a soak run) has written.
import type Redis from 'ioredis';

/** Every key matching `pattern` (a Redis glob), in no particular order. */
export async function scanKeys(redis: Redis, pattern = '*'): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        found.push(...keys);
        cursor = next;
    } while (cursor !== '0');
    return found;
}
