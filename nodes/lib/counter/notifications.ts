// Keyspace notifications are off by default and forgotten by a Redis restart (CONFIG
// SET is not persisted), so the counter asserts them on every (re)connect, adding only
// the classes it needs to whatever the server already has.
import type { RedisClient } from '../redis/connection';

/** K: keyspace channel; $: string commands (INCRBY, SET); g: generic (DEL, EXPIRE, RENAME); x: expired. */
export const NEEDED_CLASSES = ['K', '$', 'g', 'x'];

/** 'A' stands for every class but K, E, m, n (Redis docs, keyspace notifications). */
const ALIAS_A = 'g$lshzxetd';

export function missingClasses(current: string): string[] {
    const expanded = current.includes('A') ? current + ALIAS_A : current;
    return NEEDED_CLASSES.filter((c) => !expanded.includes(c));
}

export function mergedFlags(current: string): string {
    return current + missingClasses(current).join('');
}

export type NotificationSetup =
    | { ok: true; changed: boolean; flags: string }
    /** The server refused CONFIG (managed Redis, ACL): notifications cannot be relied on. */
    | { ok: false; reason: string };

export async function ensureKeyspaceNotifications(client: RedisClient): Promise<NotificationSetup> {
    let current: string;
    try {
        const reply = (await client.config('GET', 'notify-keyspace-events')) as string[];
        current = reply[1] ?? '';
    } catch (err) {
        return refused(err);
    }
    if (missingClasses(current).length === 0) return { ok: true, changed: false, flags: current };
    const flags = mergedFlags(current);
    try {
        await client.config('SET', 'notify-keyspace-events', flags);
    } catch (err) {
        return refused(err);
    }
    return { ok: true, changed: true, flags };
}

function refused(err: unknown): NotificationSetup {
    // The server answered "no" (NOPERM, unknown command on managed Redis). Anything else,
    // a timeout or a lost connection, is for the caller to retry.
    if (!(err instanceof Error) || err.name !== 'ReplyError') throw err;
    return { ok: false, reason: err.message };
}
