// Config node: owns the ioredis clients for one Redis deployment, shared by every node
// that names it, and closes them when the last of those nodes goes away.
import type { ConnectionOptions as TlsOptions } from 'tls';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { ConnectionSettings } from '../lib/redis/client-factory';
import { RedisConnection } from '../lib/redis/connection';
import { ServerConfig, ServerCredentials, settingsFromConfig, tlsChoice } from '../lib/redis/settings';
import type { NodeConstructorAny, RedisServerNode, RedisUser } from '../common/types';

/** What this node uses of Node-RED's core tls-config node (05-tls.js). */
interface TlsConfigNode extends Node {
    valid?: boolean;
    addTLSOptions(options: TlsOptions): TlsOptions;
}

export = function register(RED: NodeAPI): void {
    // The certificates of the tls-config node the config names, if it names one. A named
    // node that is missing or could not read its files is an error: connecting without
    // the client certificate or CA it was meant to add would fail later, less clearly.
    function tlsOptionsOf(config: ServerConfig): TlsOptions | undefined {
        const { enabled, configId } = tlsChoice(config);
        if (!enabled || !configId) return undefined;
        const tlsNode = RED.nodes.getNode(configId) as TlsConfigNode | null;
        if (!tlsNode || typeof tlsNode.addTLSOptions !== 'function') throw new Error(RED._('redis-iot-server.errors.tls-missing', { id: configId }));
        if (tlsNode.valid === false) throw new Error(RED._('redis-iot-server.errors.tls-invalid', { id: configId }));
        return tlsNode.addTLSOptions({});
    }

    function RedisIotServer(this: Node<ServerCredentials> & RedisServerNode, config: ServerConfig & NodeDef) {
        RED.nodes.createNode(this, config);
        const node = this;
        const users = new Map<string, RedisUser>();
        let connection: RedisConnection | undefined;
        let settings: ConnectionSettings | undefined;
        try {
            settings = settingsFromConfig(config, node.credentials || {}, node.id, tlsOptionsOf(config));
        } catch (err) {
            node.error(RED._('redis-iot-server.errors.bad-config', { error: (err as Error).message }));
        }

        const show = (user: RedisUser) => {
            if (connection) user.onRedisState?.(connection.state, connection.detail);
        };

        const open = (valid: ConnectionSettings): RedisConnection => {
            const conn = new RedisConnection(valid);
            let loggedOutage = false;
            conn.on('state', (state) => {
                users.forEach(show);
                if (state === 'connected') loggedOutage = false;
            });
            conn.on('ready', () => users.forEach((user) => user.onRedisReady?.()));
            // One log line per outage, not one per reconnect attempt.
            conn.on('client-error', (err) => {
                if (loggedOutage) return;
                loggedOutage = true;
                node.warn(RED._(`redis-iot-server.errors.${resetForWantOfCertificate(err) ? 'connection-no-client-cert' : 'connection'}`, { error: err.message }));
            });
            return conn;
        };

        // A TLS server that requires client certificates (Redis's default) lets a client
        // without one finish its side of the handshake, then resets the connection (or,
        // when the client reads it in time, sends an alert): the error says only that, so
        // the log says what is probably missing.
        const resetForWantOfCertificate = (err: Error): boolean =>
            !!settings?.tls && !settings.tlsOptions?.cert
            && ['ECONNRESET', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'].includes((err as NodeJS.ErrnoException).code ?? '');

        Object.defineProperty(node, 'connection', { get: () => connection });

        node.register = (user: RedisUser): RedisConnection => {
            // The user cannot start without a connection; startRedisNode shows why on it.
            if (!settings) throw new Error(RED._('redis-iot-server.errors.bad-config', { error: 'see the config node' }));
            users.set(user.id, user);
            if (!connection) connection = open(settings);
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
