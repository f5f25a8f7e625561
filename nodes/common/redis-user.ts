// The one start of every node that uses a redis-iot-server config node (the MQTT broker
// pattern): check the node's own settings, find the config node and acquire its
// connection, show the connection's state as the node's status, make the node's parts on
// the connection, and on close stop them and release the connection. Whatever fails is
// shown as a red status and logged once; the node's input then refuses every message
// with its `errors.not-ready` words, so Catch nodes see why.
import type { NodeAPI } from 'node-red';
import type { RedisConnection } from '../lib/redis/connection';
import { connectionStatus, showStatus } from './status';
import type { RedisServerNode, RedisUser } from './types';

/**
 * The config node's message catalogue, named as Node-RED names it (its node set id,
 * `<package>/<node>`). Each node's RED._ looks in its own catalogue unless told which, so
 * without it the other nodes would show these messages as raw keys.
 */
export const SERVER_CATALOGUE = '@redis-iot/node-red/redis-iot-server';
const serverText = (RED: NodeAPI, key: string) => RED._(`${SERVER_CATALOGUE}:redis-iot-server.${key}`);

export interface RedisNodeSetup<S, T> {
    /** The node's type: its catalogue holds `errors.bad-config` and `errors.not-ready`. */
    type: string;
    /** The id of the redis-iot-server config node the node names. */
    server: string | undefined;
    /** Checks the node's own settings (before any Redis); a throw refuses them. */
    settings(): S;
    /** Makes the node's parts on the connection; a throw refuses the settings too. */
    build(connection: RedisConnection, settings: S): T;
    /** Stops the parts when the node closes, as the connection is released. */
    stop?(parts: T): Promise<unknown> | void;
}

export interface RedisNode<T> {
    /** The connection, when the config node gave one (even if the settings were refused). */
    readonly connection?: RedisConnection;
    /** What `build` made; undefined without a connection or with refused settings. */
    readonly parts?: T;
    /** The parts, or the node's "cannot work" error for the message being handled. */
    ready(): T;
}

export function startRedisNode<S, T>(RED: NodeAPI, node: RedisUser, setup: RedisNodeSetup<S, T>): RedisNode<T> {
    let problem: Error | undefined;
    let settings: S | undefined;
    try {
        settings = setup.settings();
    } catch (err) {
        problem = err as Error;
    }
    // Kept on the node as well as shown, so that another node (transit-operations) can
    // report this one's connection.
    node.onRedisState = (state, detail) => {
        node.redisState = state;
        showStatus(node, connectionStatus(RED, state, detail));
    };
    const server = serverNode(RED, node, setup.server);
    const connection = server && acquire(RED, node, server);
    let parts: T | undefined;
    node.on('close', (_removed: boolean, done: () => void) => {
        // Released first (and this handler runs before any the parts add): a closing
        // connection skips the UNSUBSCRIBEs that stopping sends, which with Redis down
        // would wait for ever.
        const released = server && connection ? new Promise<void>((resolve) => server.deregister(node, resolve)) : undefined;
        const stopped = parts !== undefined ? setup.stop?.(parts) : undefined;
        Promise.allSettled([released, stopped]).then(() => done());
    });
    if (connection && !problem) {
        try {
            parts = setup.build(connection, settings as S);
        } catch (err) {
            problem = err as Error;
        }
    }
    // Shown after the connection's state, and kept on show: a green "connected" must not be
    // painted over a node that cannot work.
    if (problem) {
        node.error(RED._(`${setup.type}.errors.bad-config`, { error: problem.message }));
        showStatus(node, { fill: 'red', shape: 'ring', text: serverText(RED, 'status.bad-settings') });
        node.onRedisState = (state) => {
            node.redisState = state;
        };
    }
    return {
        connection,
        parts,
        ready(): T {
            if (parts !== undefined) return parts;
            throw new Error(RED._(`${setup.type}.errors.not-ready`, { error: problem?.message ?? 'no Redis server' }));
        },
    };
}

/** The config node the node names, or a red status and a log line saying there is none. */
function serverNode(RED: NodeAPI, node: RedisUser, serverId: string | undefined): RedisServerNode | undefined {
    const server = serverId ? (RED.nodes.getNode(serverId) as RedisServerNode | null) : null;
    if (server && typeof server.register === 'function') return server;
    showStatus(node, { fill: 'red', shape: 'ring', text: serverText(RED, 'errors.missing-config') });
    node.error(serverText(RED, 'errors.missing-config'));
    return undefined;
}

/** Registers the node with its config node, which pushes connection changes to it. */
function acquire(RED: NodeAPI, node: RedisUser, server: RedisServerNode): RedisConnection | undefined {
    try {
        return server.register(node);
    } catch (err) {
        // Settings the config node refused (or could not open a client with): shown on this
        // node, whose input then fails with its own "not ready" error, instead of thrown out
        // of the constructor, which leaves the node uncreated and its messages going nowhere.
        showStatus(node, { fill: 'red', shape: 'ring', text: serverText(RED, 'status.bad-settings') });
        node.error((err as Error).message);
        return undefined;
    }
}
