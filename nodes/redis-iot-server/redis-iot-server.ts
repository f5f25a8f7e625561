// Config node: owns the ioredis clients for one Redis deployment, shared by every node
// that names it, and closes them when the last of those nodes goes away.
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { ConnectionSettings, RedisConnection } from '../lib/redis/connection';
import { ServerConfig, ServerCredentials, settingsFromConfig } from '../lib/redis/settings';
import { connectionStatus } from '../common/status';
import type { NodeConstructorAny, RedisServerNode, RedisUser } from '../common/types';

export = function register(RED: NodeAPI): void {
    function RedisIotServer(this: Node<ServerCredentials> & RedisServerNode, config: ServerConfig & NodeDef) {
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

    RED.nodes.registerType('redis-iot-server', RedisIotServer as unknown as NodeConstructorAny, {
        credentials: {
            username: { type: 'text' },
            password: { type: 'password' },
        },
    });
};
