// Redis's clock, which the product decides and ages by. Tests take the times they hand to
// the product from here (or from Date.now() for what Node itself does), never from a
// calendar date, and never from Node's clock for what Redis decides: the suite also runs
// with every Node process's clock a year ahead of Redis's (see node-clock-ahead.ts).

/** Redis's TIME, in ms. */
export async function redisNowMs(redis: { time(): Promise<Array<string | number>> }): Promise<number> {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/**
 * The Redis-clock ms an image id of ours names: when Redis stored it (the index's score).
 * Ids are `<10-digit seconds>.<3-digit ms><12-digit seq>`; earlier releases' `<ms>-<seq>` too.
 */
export function storedMsOf(id: string): number {
    const decimal = /^(\d{10})\.(\d{3})\d{12}$/.exec(id);
    return decimal ? Number(decimal[1]) * 1000 + Number(decimal[2]) : Number(id.split('-')[0]);
}

/**
 * Ids as the original capture script makes them (`image:<unix seconds>`, taken from its
 * camera's clock), for pictures taken these many seconds ago by Redis's clock.
 */
export async function captureScriptIds(redis: { time(): Promise<Array<string | number>> }, ...secondsAgo: number[]): Promise<string[]> {
    const now = Math.floor((await redisNowMs(redis)) / 1000);
    return secondsAgo.map((ago) => String(now - ago));
}
