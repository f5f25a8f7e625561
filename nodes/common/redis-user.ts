// How a node attaches to its redis-iot-server config node (the MQTT broker pattern):
// register on start, deregister on close, and a clear error when none is configured.
import type { NodeAPI } from 'node-red';
import type { RedisConnection } from '../lib/redis/connection';
import type { RedisServerNode, RedisUser } from './types';

/**
 * The config node's message catalogue, named as Node-RED names it (its node set id,
 * `<package>/<node>`). Each node's RED._ looks in its own catalogue unless told which, so
 * without it the other nodes would show these messages as raw keys.
 */
export const SERVER_CATALOGUE = '@redis-iot/node-red/redis-iot-server';
const serverText = (RED: NodeAPI, key: string) => RED._(`${SERVER_CATALOGUE}:redis-iot-server.${key}`);

export function attachToServer(RED: NodeAPI, node: RedisUser, serverId: string | undefined): RedisConnection | undefined {
    const server = serverId ? (RED.nodes.getNode(serverId) as RedisServerNode | null) : null;
    if (!server || typeof server.register !== 'function') {
        node.status({ fill: 'red', shape: 'ring', text: serverText(RED, 'errors.missing-config') });
        node.error(serverText(RED, 'errors.missing-config'));
        return undefined;
    }
    let connection: RedisConnection;
    try {
        connection = server.register(node);
    } catch (err) {
        // Settings the config node refused (or could not open a client with): show it on this
        // node, whose input then fails with its own "not ready" error, instead of throwing out
        // of the constructor, which leaves the node uncreated and its messages going nowhere.
        node.status({ fill: 'red', shape: 'ring', text: serverText(RED, 'status.bad-settings') });
        node.error((err as Error).message);
        return undefined;
    }
    node.on('close', (_removed: boolean, done: () => void) => server.deregister(node, done));
    return connection;
}

/**
 * Reports that a node's own settings are invalid (once in the log, and as a red status)
 * and keeps that status on show: the connection's state changes must not paint a green
 * "connected" over a node that cannot work. `type` names the node's catalogue, whose
 * `errors.bad-config` message takes the error.
 */
export function showSettingsError(RED: NodeAPI, node: RedisUser, type: string, err: Error): void {
    node.error(RED._(`${type}.errors.bad-config`, { error: err.message }));
    node.status({ fill: 'red', shape: 'ring', text: serverText(RED, 'status.bad-settings') });
    node.onRedisState = () => undefined;
}
