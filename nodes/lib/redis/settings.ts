// Turns the config node's editor fields and credentials into connection settings,
// refusing values that would otherwise fail later in less obvious ways.
import { ConnectionSettings, DEFAULT_COMMAND_TIMEOUT, parseHostList, RedisMode } from './connection';

export interface ServerConfig {
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

export interface ServerCredentials {
    username?: string;
    password?: string;
}

const MODES: RedisMode[] = ['standalone', 'sentinel', 'cluster'];

export function settingsFromConfig(config: ServerConfig, creds: ServerCredentials, id: string): ConnectionSettings {
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
