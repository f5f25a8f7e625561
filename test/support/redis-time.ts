// Redis's clock, which the product decides and ages by. Tests take the times they hand to
// the product from here (or from Date.now() for what Node itself does), never from a
// calendar date, and never from Node's clock for what Redis decides: the suite also runs
// with every Node process's clock a year ahead of Redis's (see node-clock-ahead.ts).

/** Redis's TIME, in ms. */
export async function redisNowMs(redis: { time(): Promise<Array<string | number>> }): Promise<number> {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** The Redis-clock ms an image id of ours starts with: when Redis stored it (the index's score). */
export function storedMsOf(id: string): number {
    return Number(id.split('-')[0]);
}

/**
 * Ids as the original capture script makes them (`image:<unix seconds>`, taken from its
 * camera's clock), for pictures taken these many seconds ago by Redis's clock.
 */
export async function captureScriptIds(redis: { time(): Promise<Array<string | number>> }, ...secondsAgo: number[]): Promise<string[]> {
    const now = Math.floor((await redisNowMs(redis)) / 1000);
    return secondsAgo.map((ago) => String(now - ago));
}
