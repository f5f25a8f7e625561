// Where a connection's transit decisions (taps and sales) go, and how many replicas must
// hold each before it counts: transit policy, kept out of the Redis connection itself.
import type { RedisClient } from '../redis/client-factory';
import type { RedisConnection } from '../redis/connection';

const clients = new WeakMap<RedisConnection, RedisClient>();

/**
 * The command client, or, when decisions WAIT for replicas, one socket of their own shared
 * by every transit node of the connection. WAIT blocks the socket it is sent on: with no
 * replica able to confirm (after a failover), a PING behind a 150 ms WAIT came back after
 * 203 ms, so the health check, counters and pictures would queue behind every decision
 * and time out. It is made with the first store (at deploy), before the first decision.
 */
export function decisionClient(connection: RedisConnection): RedisClient {
    if (replication(connection).replicas === 0) return connection.command;
    let client = clients.get(connection);
    if (!client) {
        client = connection.separateCommandClient();
        clients.set(connection, client);
    }
    return client;
}

/** Replicas a decision must reach before it counts, and how long to wait for them (ms). */
export function replication(connection: RedisConnection): { replicas: number; timeoutMs: number } {
    const { replicas = 0, commandTimeout } = connection.settings;
    // WAIT shares the command's time bound with the script sent before it.
    return { replicas, timeoutMs: Math.max(5, Math.floor(commandTimeout * 0.6)) };
}
