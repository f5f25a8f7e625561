// Keyspace notifications are off by default and forgotten by a Redis restart (CONFIG
// SET is not persisted), so the nodes that rely on them (the counter, the image store and
// gallery) assert them on every (re)connect, each adding only the classes it needs to
// whatever the server already has. CONFIG GET then SET is not atomic: two nodes that set
// their classes at once would drop each other's, so the calls on one client run one after
// another, and each reads the setting back and adds its classes again if they were lost
// to another process.
import type { RedisClient } from './client-factory';

/** 'A' stands for every class but K, E, m, n (Redis docs, keyspace notifications). */
const ALIAS_A = 'g$lshzxetd';
const ATTEMPTS = 3;

export function missingClasses(current: string, needed: readonly string[]): string[] {
    const expanded = current.includes('A') ? current + ALIAS_A : current;
    return needed.filter((c) => !expanded.includes(c));
}

export function mergedFlags(current: string, needed: readonly string[]): string {
    return current + missingClasses(current, needed).join('');
}

export type NotificationSetup =
    | { ok: true; changed: boolean; flags: string }
    /** The server refused CONFIG (managed Redis, ACL): notifications cannot be relied on. */
    | { ok: false; reason: string };

const queues = new WeakMap<object, Promise<unknown>>();

export function ensureKeyspaceEvents(client: RedisClient, needed: readonly string[]): Promise<NotificationSetup> {
    const run = (queues.get(client) ?? Promise.resolve()).catch(() => undefined).then(() => setFlags(client, needed));
    queues.set(client, run);
    return run;
}

async function setFlags(client: RedisClient, needed: readonly string[]): Promise<NotificationSetup> {
    let changed = false;
    for (let attempt = 0; ; attempt++) {
        let current: string;
        try {
            const reply = (await client.config('GET', 'notify-keyspace-events')) as string[];
            current = reply[1] ?? '';
        } catch (err) {
            return refused(err);
        }
        if (missingClasses(current, needed).length === 0 || attempt === ATTEMPTS) return { ok: true, changed, flags: current };
        try {
            await client.config('SET', 'notify-keyspace-events', mergedFlags(current, needed));
        } catch (err) {
            return refused(err);
        }
        changed = true;
    }
}

function refused(err: unknown): NotificationSetup {
    // The server answered "no" (NOPERM, unknown command on managed Redis). Anything else,
    // a timeout or a lost connection, is for the caller to retry.
    if (!(err instanceof Error) || err.name !== 'ReplyError') throw err;
    return { ok: false, reason: err.message };
}
