// The keyspace notification classes the counter needs, asserted on every (re)connect
// through the shared setter (../redis/keyspace-events.ts), which keeps anyone else's.
import type { RedisClient } from '../redis/client-factory';
import * as events from '../redis/keyspace-events';

export type { NotificationSetup } from '../redis/keyspace-events';

/** K: keyspace channel; $: string commands (INCRBY, SET); g: generic (DEL, EXPIRE, RENAME); x: expired. */
export const NEEDED_CLASSES = ['K', '$', 'g', 'x'];

export function missingClasses(current: string): string[] {
    return events.missingClasses(current, NEEDED_CLASSES);
}

export function mergedFlags(current: string): string {
    return events.mergedFlags(current, NEEDED_CLASSES);
}

export function ensureKeyspaceNotifications(client: RedisClient): Promise<events.NotificationSetup> {
    return events.ensureKeyspaceEvents(client, NEEDED_CLASSES);
}
