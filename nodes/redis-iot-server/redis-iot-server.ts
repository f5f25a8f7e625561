// Config node: owns the ioredis clients for one Redis deployment, shared by every node
// that names it, and closes them when the last of those nodes goes away.
import type { Node, NodeAPI, NodeDef } from 'node-red';
import {
    ConnectionSettings, DEFAULT_COMMAND_TIMEOUT, parseHostList, RedisConnection, RedisMode,
} from '../lib/redis/connection';
import { connectionStatus } from '../common/status';
import type { RedisServerNode, RedisUser } from '../common/types';

interface ServerDef extends NodeDef {
    host: string;
    port: string | number;
    db: string | number;
    tls: boolean;
    mode: RedisMode;
    sentinels: string;
    sentinelName: string;
    clusterNodes: string;
    timeout: string | number;
}

interface ServerCredentials {
    username?: string;
    password?: string;
}

const MODES: RedisMode[] = ['standalone', 'sentinel', 'cluster'];

export function settingsFromConfig(config: ServerDef, creds: ServerCredentials, id: string): ConnectionSettings {
    const port = Number(config.port || 6379);
    const db = Number(config.db || 0);
    const timeout = Number(config.timeout === '' || config.timeout === undefined ? DEFAULT_COMMAND_TIMEOUT : config.timeout);
    const mode = MODES.includes(config.mode) ? config.mode : 'standalone';
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port: ${config.port}`);
    if (!Number.isInteger(db) || db < 0) throw new Error(`invalid database number: ${config.db}`);
    if (!Number.isFinite(timeout) || timeout < 10) throw new Error(`invalid command timeout: ${config.timeout}`);
    return {
        mode,
        host: config.host || '127.0.0.1',
        port,
        db,
        tls: !!config.tls,
        username: creds.username,
        password: creds.password,
        sentinels: mode === 'sentinel' ? parseHostList(config.sentinels, 26379) : undefined,
        sentinelName: config.sentinelName,
        clusterNodes: mode === 'cluster' ? parseHostList(config.clusterNodes, 6379) : undefined,
        commandTimeout: timeout,
        clientName: `node-red:${id}`,
    };
}

export = function register(RED: NodeAPI): void {
    function RedisIotServer(this: Node<ServerCredentials> & RedisServerNode, config: ServerDef) {
        RED.nodes.createNode(this, config);
        const node = this;
        const users = new Map<string, RedisUser>();
        let connection: RedisConnection | undefined;
        let settings: ConnectionSettings | undefined;
        try {
            settings = settingsFromConfig(config, node.credentials || {}, node.id);
        } catch (err) {
            node.error(RED._('redis-iot-server.errors.bad-config', { error: (err as Error).message }));
        }

        const show = (user: RedisUser) => {
            if (!connection) return;
            if (user.onRedisState) user.onRedisState(connection.state, connection.detail);
            else user.status(connectionStatus(RED, connection.state, connection.detail));
        };

        const open = (): RedisConnection => {
            if (!settings) throw new Error(RED._('redis-iot-server.errors.bad-config', { error: 'see the config node' }));
            const conn = new RedisConnection(settings);
            let loggedOutage = false;
            conn.on('state', (state: string) => {
                users.forEach(show);
                if (state === 'connected') loggedOutage = false;
            });
            conn.on('ready', () => users.forEach((user) => user.onRedisReady?.()));
            // One log line per outage, not one per reconnect attempt.
            conn.on('client-error', (err: Error) => {
                if (loggedOutage) return;
                loggedOutage = true;
                node.warn(RED._('redis-iot-server.errors.connection', { error: err.message }));
            });
            return conn;
        };

        Object.defineProperty(node, 'connection', { get: () => connection });

        node.register = (user: RedisUser): RedisConnection => {
            users.set(user.id, user);
            if (!connection) connection = open();
            show(user);
            if (connection.ready) setImmediate(() => user.onRedisReady?.());
            return connection;
        };

        node.deregister = (user: RedisUser, done: () => void): void => {
            users.delete(user.id);
            if (users.size > 0 || !connection) {
                done();
                return;
            }
            const closing = connection;
            connection = undefined;
            closing.close().then(done, done);
        };

        node.on('close', (done: () => void) => {
            const closing = connection;
            connection = undefined;
            users.clear();
            if (closing) closing.close().then(done, done);
            else done();
        });
    }

    RED.nodes.registerType('redis-iot-server', RedisIotServer, {
        credentials: {
            username: { type: 'text' },
            password: { type: 'password' },
        },
    });
};
