// The two limits of a node's queue of device requests (sounds, captures), as editor fields:
// maxWait, in seconds, how long after its message a request may still start; maxQueue, how
// many requests may wait behind the one in progress. Checked at deploy with numberSetting.
import { numberSetting } from './settings';

export interface QueueLimits {
    maxWaitMs: number;
    maxWaiting: number;
}

export interface RawQueueLimits {
    maxWait?: string | number;
    maxQueue?: string | number;
}

/** An hour: a request later than that is stale for any device these nodes drive. */
export const MAX_WAIT_SECONDS = 3600;
export const MAX_QUEUE = 1000;

/** Throws an Error naming the bad field; empty fields take the defaults. */
export function parseQueueLimits(raw: RawQueueLimits, defaults: { maxWait: number; maxQueue: number }): QueueLimits {
    const maxWait = numberSetting(raw.maxWait, 'maxWait', { fallback: defaults.maxWait, min: 0.1, max: MAX_WAIT_SECONDS });
    const maxWaiting = numberSetting(raw.maxQueue, 'maxQueue', { fallback: defaults.maxQueue, min: 0, max: MAX_QUEUE, integer: true });
    return { maxWaitMs: Math.round(maxWait * 1000), maxWaiting };
}
