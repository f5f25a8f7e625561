// Turns the config node's editor fields and credentials into connection settings,
// refusing values that would otherwise fail later in less obvious ways.
import type { ConnectionOptions as TlsOptions } from 'tls';
import { ConnectionSettings, DEFAULT_COMMAND_TIMEOUT, RedisMode } from './client-factory';
import { parseHostList } from './hosts';
import { integerSetting, MAX_TIMER_MS, numberSetting } from '../settings';

export interface ServerConfig {
    host: string;
    port: string | number;
    db: string | number;
    /**
     * The id of a core tls-config node (CA, client certificate and key). Flows written
     * before that existed hold a boolean here: true meant TLS with the system's CAs.
     */
    tls?: boolean | string;
    /** The editor's "Use TLS" box; absent in older flows, where `tls` alone decides. */
    usetls?: boolean;
    mode: RedisMode;
    sentinels: string;
    sentinelName: string;
    clusterNodes: string;
    timeout: string | number;
    /** Replicas that must hold a transit decision before it is acknowledged (empty: 0). */
    replicas?: string | number;
}

export interface ServerCredentials {
    username?: string;
    password?: string;
}

export interface TlsChoice {
    enabled: boolean;
    /** The tls-config node to take certificates from; none means the system's CAs. */
    configId?: string;
}

/**
 * Whether the config asks for TLS, and with which tls-config node. `tls: true` always
 * means TLS (older flows, and tools that point a flow at a rediss:// URL write it); a
 * tls-config id counts unless the "Use TLS" box was explicitly cleared.
 */
export function tlsChoice(config: Pick<ServerConfig, 'tls' | 'usetls'>): TlsChoice {
    const configId = typeof config.tls === 'string' && config.tls.trim() !== '' ? config.tls.trim() : undefined;
    if (config.tls === true) return { enabled: true };
    if (config.usetls === true) return { enabled: true, configId };
    if (config.usetls === undefined && configId) return { enabled: true, configId };
    return { enabled: false };
}

const MODES: RedisMode[] = ['standalone', 'sentinel', 'cluster'];

export function settingsFromConfig(config: ServerConfig, creds: ServerCredentials, id: string, tlsOptions?: TlsOptions): ConnectionSettings {
    // A port of 0, like an empty one, has always meant 6379: flows for Sentinel or Cluster,
    // where the port field is not used, leave it at 0.
    const port = numberSetting(config.port || undefined, 'port', { fallback: 6379, min: 1, max: 65535, integer: true });
    const db = numberSetting(config.db, 'database number', { fallback: 0, min: 0, integer: true });
    const timeout = numberSetting(config.timeout, 'command timeout', { fallback: DEFAULT_COMMAND_TIMEOUT, min: 10, max: MAX_TIMER_MS });
    const mode = MODES.includes(config.mode) ? config.mode : 'standalone';
    const replicas = integerSetting(config.replicas, 0, 0, 16, 'number of replicas');
    const tls = tlsChoice(config).enabled;
    const sentinels = mode === 'sentinel' ? parseHostList(config.sentinels, 26379) : undefined;
    if (sentinels && sentinels.length === 0) throw new Error('sentinel mode needs at least one sentinel');
    return {
        mode,
        host: config.host || '127.0.0.1',
        port,
        db,
        tls,
        tlsOptions: tls ? tlsOptions : undefined,
        username: creds.username,
        password: creds.password,
        sentinels,
        sentinelName: config.sentinelName,
        clusterNodes: mode === 'cluster' ? parseHostList(config.clusterNodes, 6379) : undefined,
        commandTimeout: timeout,
        replicas,
        clientName: `node-red:${id}`,
    };
}
