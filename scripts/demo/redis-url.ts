// REDIS_URL → the fields of a redis-iot-server config node (host, port, db, tls) and
// its credentials (username, password), e.g. redis://user:secret@10.0.0.5:6379/2.
import type { ConnectionSettings } from '../../nodes/lib/redis/client-factory';

/** Where a Redis is and how to log in: the address part of a config node's settings. */
export type RedisTarget = Pick<ConnectionSettings, 'host' | 'port' | 'db' | 'tls' | 'username' | 'password'>;

export function parseRedisUrl(text: string): RedisTarget {
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        throw new Error(`REDIS_URL is not a URL: ${text}`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
        throw new Error(`REDIS_URL must start with redis:// or rediss://, got ${url.protocol}//`);
    }
    const port = url.port ? Number(url.port) : 6379;
    const dbText = url.pathname.replace(/^\//, '');
    const db = dbText === '' ? 0 : Number(dbText);
    if (!Number.isInteger(db) || db < 0) throw new Error(`REDIS_URL has an invalid database number: ${dbText}`);
    return {
        // URL keeps the brackets of an IPv6 literal; ioredis wants the bare address.
        host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
        port,
        db,
        tls: url.protocol === 'rediss:',
        username: url.username ? decodeURIComponent(url.username) : undefined,
        password: url.password ? decodeURIComponent(url.password) : undefined,
    };
}

/** The URL again, with the password hidden, for log lines. */
export function describeRedisTarget(target: RedisTarget): string {
    const auth = target.username || target.password ? `${target.username ?? ''}${target.password ? ':***' : ''}@` : '';
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    return `${target.tls ? 'rediss' : 'redis'}://${auth}${host}:${target.port}/${target.db}`;
}
