// Makes the ioredis clients of one Redis deployment (standalone, Sentinel or Cluster) from
// the config node's settings, each with the reconnect and failover rules every client of
// this package needs, and closes them again.
import type { ConnectionOptions as TlsOptions } from 'tls';
import Redis, { Cluster, RedisOptions } from 'ioredis';
import type { HostPort } from './hosts';

export type RedisMode = 'standalone' | 'sentinel' | 'cluster';
export type RedisClient = Redis | Cluster;

export interface ConnectionSettings {
    mode: RedisMode;
    host: string;
    port: number;
    db: number;
    tls: boolean;
    /** CA, client certificate and key, server name, verification: from a tls-config node. */
    tlsOptions?: TlsOptions;
    username?: string;
    password?: string;
    /** Sentinel mode: the sentinels to ask and the name of the monitored primary. */
    sentinels?: HostPort[];
    sentinelName?: string;
    /** Cluster mode: seed nodes (host/port above is used when this is empty). */
    clusterNodes?: HostPort[];
    /**
     * Replicas that must hold a transit decision before it is acknowledged (WAIT); 0 does
     * not wait. A write only the primary took is lost when a replica is promoted. Read by
     * nodes/lib/transit/decision-client.ts; the connection itself does not use it.
     */
    replicas?: number;
    /** Bound on every command of the command client, in ms: a gate must answer. */
    commandTimeout: number;
    /** How often the command client is pinged to notice a Redis that stopped answering. */
    healthCheckInterval?: number;
    clientName?: string;
}

export const DEFAULT_COMMAND_TIMEOUT = 250;

/**
 * Command clients: decisions must never sit in an offline queue and run minutes later,
 * nor be resent after a reconnect: a command either runs now or fails now.
 */
export function runNowOrFail(settings: ConnectionSettings): RedisOptions {
    return { enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false, commandTimeout: settings.commandTimeout };
}

/** Subscriber clients wait for messages and queue their (re)subscriptions while away. */
export const SUBSCRIBER: RedisOptions = { enableOfflineQueue: true, maxRetriesPerRequest: null };

// Reconnect quickly at first, then every 2 s at most: a Pi on a flaky LAN should be back
// within seconds of Redis returning, without hammering a Redis that is down.
function retryStrategy(times: number): number {
    return Math.min(50 * 2 ** Math.min(times, 6), 2000) + Math.floor(Math.random() * 100);
}

function clientOptions(s: ConnectionSettings): RedisOptions {
    return {
        username: s.username || undefined,
        password: s.password || undefined,
        db: s.db,
        tls: s.tls ? { ...s.tlsOptions } : undefined,
        connectTimeout: 2000,
        keepAlive: 5000,
        retryStrategy,
        connectionName: s.clientName,
        // After a failover an old socket can still reach the demoted primary, which
        // answers writes with READONLY: reconnect, and Sentinel gives the new one.
        reconnectOnError: (err: Error) => /^READONLY\b/.test(err.message),
    };
}

/**
 * A client of the deployment, connecting at once. Every error goes to `onError`: an
 * ioredis client without an 'error' listener throws and would take Node-RED down.
 */
export function createClient(s: ConnectionSettings, extra: RedisOptions, onError: (err: Error) => void): RedisClient {
    const common: RedisOptions = { ...clientOptions(s), ...extra };
    let client: RedisClient;
    if (s.mode === 'cluster') {
        const seeds = s.clusterNodes?.length ? s.clusterNodes : [{ host: s.host, port: s.port }];
        client = new Cluster(seeds, {
            redisOptions: { ...common, db: undefined },
            enableOfflineQueue: extra.enableOfflineQueue,
            clusterRetryStrategy: retryStrategy,
            // Keyspace listeners follow their key's slot to its owner; without a
            // refresh a moved slot would only be noticed by a command that hits it.
            slotsRefreshInterval: 5000,
            // Connected below, so that a failure to connect is seen: ioredis reports seed
            // nodes whose names do not resolve by closing, without an 'error' event.
            lazyConnect: true,
        });
    } else if (s.mode === 'sentinel') {
        // Sentinel leaves a demoted primary writable for seconds after a failover (until
        // it reconfigures it): without the +switch-master notice, decisions keep going
        // to it and are lost when it resyncs from the new primary.
        // A sentinel that accepts and never answers (paused, half-open) must not hold the
        // state at "connecting" for ever: its commands get the same bound as ours.
        client = new Redis({ ...common, sentinels: s.sentinels, name: s.sentinelName || 'mymaster', failoverDetector: true,
            sentinelCommandTimeout: Math.max(s.commandTimeout, 1000) });
    } else {
        client = new Redis({ ...common, host: s.host, port: s.port });
    }
    client.on('error', onError);
    if (client instanceof Cluster) client.connect().catch(onError);
    return client;
}

/**
 * A subscriber on one node of a Cluster (keyspace notifications come only from the primary
 * owning the key). Its errors are dropped: the command client reports the outage.
 */
export function createNodeSubscriber(s: ConnectionSettings, host: string, port: number): Redis {
    const sub = new Redis({ ...clientOptions(s), ...SUBSCRIBER, host, port, db: undefined });
    sub.on('error', () => undefined);
    return sub;
}

/** Closes a client politely (QUIT) if it answers within half a second, else at once. */
export async function quitClient(client: RedisClient): Promise<void> {
    if (client.status === 'end') return;
    try {
        await Promise.race([client.quit(), new Promise((r) => setTimeout(r, 500))]);
    } catch {
        // quit fails when the connection is already gone; disconnect below is enough.
    }
    client.disconnect();
}
