// One Redis deployment (standalone, Sentinel or Cluster) as seen by a Node-RED config
// node: a command client shared by every node, a subscriber client made on first need,
// and one connection state that the config node fans out to its users' statuses.
import { EventEmitter } from 'events';
import type { ConnectionOptions as TlsOptions } from 'tls';
import Redis, { Cluster, RedisOptions } from 'ioredis';
import { ClusterKeyspace } from './cluster-keyspace';
import { SubscriberWatch } from './subscriber-watch';

export type RedisMode = 'standalone' | 'sentinel' | 'cluster';
export type RedisClient = Redis | Cluster;
export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'error';

export interface HostPort {
    host: string;
    port: number;
}

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
     * not wait. A write only the primary took is lost when a replica is promoted.
     */
    replicas?: number;
    /** Bound on every command of the command client, in ms: a gate must answer. */
    commandTimeout: number;
    /** How often the command client is pinged to notice a Redis that stopped answering. */
    healthCheckInterval?: number;
    clientName?: string;
}

export const DEFAULT_COMMAND_TIMEOUT = 250;

export type MessageListener = (channel: string, message: string) => void;

/** Parses "host:port, host:port" lists typed into the editor. */
export function parseHostList(text: string | undefined, defaultPort: number): HostPort[] {
    if (!text) return [];
    return text.split(/[\s,]+/).filter(Boolean).map((item) => {
        // host, host:port, [ipv6] or [ipv6]:port
        const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(item);
        if (!match) throw new Error(`not a host[:port]: ${item}`);
        const port = match[3] ? Number(match[3]) : defaultPort;
        if (port < 1 || port > 65535) throw new Error(`bad port in ${item}`);
        return { host: match[1] ?? match[2], port };
    });
}

// Reconnect quickly at first, then every 2 s at most: a Pi on a flaky LAN should be back
// within seconds of Redis returning, without hammering a Redis that is down.
function retryStrategy(times: number): number {
    return Math.min(50 * 2 ** Math.min(times, 6), 2000) + Math.floor(Math.random() * 100);
}

export class RedisConnection extends EventEmitter {
    readonly command: RedisClient;
    /** Where transit decisions go: the command client, or one of their own when they WAIT. */
    readonly decisionClient: RedisClient;
    private sub?: RedisClient;
    private clusterKeyspace?: ClusterKeyspace;
    private _state: ConnectionState = 'connecting';
    private _detail = '';
    private everReady = false;
    private closed = false;
    private healthTimer?: NodeJS.Timeout;
    private failedPings = 0;
    private readonly subscriberWatch = new SubscriberWatch();
    /**
     * Redis's wall clock minus this process's monotonic clock (performance.now), in ms,
     * measured by the health check; undefined until known. Monotonic, so that a host whose
     * wall clock is wrong, or is stepped by NTP between two checks, still computes the
     * right deadline on Redis's clock.
     */
    private clockOffset?: number;
    // Listeners per channel and per pattern: many nodes share one subscriber client,
    // and a channel is unsubscribed only when its last listener goes.
    private readonly subscriptions = { channel: new Map<string, Set<MessageListener>>(), pattern: new Map<string, Set<MessageListener>>() };

    constructor(private readonly settings: ConnectionSettings) {
        super();
        // Decisions must never sit in an offline queue and run minutes later, nor be
        // resent after a reconnect: a command either runs now or fails now.
        const runNowOrFail: RedisOptions = {
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
            autoResendUnfulfilledCommands: false,
            commandTimeout: settings.commandTimeout,
        };
        this.command = this.createClient(runNowOrFail, true);
        // WAIT blocks the socket it is sent on: with no replica able to confirm (after a
        // failover), a PING behind a 150 ms WAIT came back after 203 ms, so the health
        // check, counters and pictures would queue behind every decision and time out.
        // Decisions that wait for replicas get a socket of their own, made up front so
        // that the first one does not meet a socket still connecting.
        this.decisionClient = (settings.replicas ?? 0) > 0 ? this.createClient(runNowOrFail, false) : this.command;
        const interval = settings.healthCheckInterval ?? 1000;
        if (interval > 0) {
            this.healthTimer = setInterval(() => void this.healthCheck(), interval);
            this.healthTimer.unref();
        }
    }

    get state(): ConnectionState {
        return this._state;
    }

    /** Why the state is what it is (an error message), or ''. */
    get detail(): string {
        return this._detail;
    }

    get ready(): boolean {
        return this._state === 'connected';
    }

    get mode(): RedisMode {
        return this.settings.mode;
    }

    /** The database number, as keyspace channel names need it (always 0 in a cluster). */
    get database(): number {
        return this.settings.mode === 'cluster' ? 0 : this.settings.db;
    }

    /** The subscriber client, created on first need; it resubscribes by itself after a reconnect. */
    subscriber(): RedisClient {
        if (!this.sub) {
            const sub = this.createClient({ enableOfflineQueue: true, maxRetriesPerRequest: null }, false);
            sub.on('message', (channel: string, message: string) =>
                this.subscriptions.channel.get(channel)?.forEach((l) => l(channel, message)));
            sub.on('pmessage', (pattern: string, channel: string, message: string) =>
                this.subscriptions.pattern.get(pattern)?.forEach((l) => l(channel, message)));
            // Messages published while the subscriber was reconnecting are lost (pub/sub
            // is fire and forget): users re-read their state when it is back.
            let subscriberReadyBefore = false;
            sub.on('ready', () => {
                if (subscriberReadyBefore) this.emit('subscriber-reconnected');
                subscriberReadyBefore = true;
            });
            this.sub = sub;
        }
        return this.sub;
    }

    /**
     * Listens on a channel (or a glob pattern) through the shared subscriber client.
     * Resolves once Redis has confirmed; the returned function stops listening.
     */
    async listen(kind: 'channel' | 'pattern', name: string, listener: MessageListener): Promise<() => Promise<void>> {
        const sub = this.subscriber();
        const table = this.subscriptions[kind];
        let set = table.get(name);
        if (!set) {
            set = new Set();
            table.set(name, set);
        }
        set.add(listener);
        if (set.size === 1) {
            try {
                await (kind === 'channel' ? sub.subscribe(name) : sub.psubscribe(name));
            } catch (err) {
                // Refused (an ACL without the channel): a retry must subscribe again.
                set.delete(listener);
                if (table.get(name)?.size === 0) table.delete(name);
                throw err;
            }
        }
        return async () => {
            const current = table.get(name);
            if (!current?.delete(listener) || current.size > 0) return;
            table.delete(name);
            if (this.closed) return;
            await (kind === 'channel' ? sub.unsubscribe(name) : sub.punsubscribe(name)).catch(() => undefined);
        };
    }

    /** The channel on which Redis announces changes of a key (keyspace notifications). */
    keyspaceChannel(key: string): string {
        return `__keyspace@${this.database}__:${key}`;
    }

    /**
     * The client that talks to the server sending a key's keyspace notifications, where
     * the notification setting must be made: in a Cluster the primary owning its slot.
     */
    keyspaceServer(key: string): RedisClient {
        return this.command instanceof Cluster ? this.keyspaceHub(this.command).owner(key) : this.command;
    }

    /** Listens to a key's keyspace notifications; in a Cluster on the primary that owns it. */
    listenKeyspace(key: string, listener: MessageListener): Promise<() => Promise<void>> {
        if (this.command instanceof Cluster) return this.keyspaceHub(this.command).listen(key, this.keyspaceChannel(key), listener);
        return this.listen('channel', this.keyspaceChannel(key), listener);
    }

    private keyspaceHub(cluster: Cluster): ClusterKeyspace {
        if (!this.clusterKeyspace) {
            this.clusterKeyspace = new ClusterKeyspace(cluster, (host, port) => {
                const sub = new Redis({ ...this.clientOptions(), host, port, db: undefined, enableOfflineQueue: true, maxRetriesPerRequest: null });
                sub.on('error', () => undefined); // the command client reports the outage
                return sub;
            });
            this.clusterKeyspace.on('subscriber-reconnected', () => this.emit('subscriber-reconnected'));
            this.clusterKeyspace.on('moved', () => this.emit('keyspace-moved'));
        }
        return this.clusterKeyspace;
    }

    async close(): Promise<void> {
        this.closed = true;
        this.clusterKeyspace?.close();
        if (this.healthTimer) clearInterval(this.healthTimer);
        const clients = new Set([this.command, this.decisionClient, this.sub]);
        await Promise.all([...clients].filter((c): c is RedisClient => !!c).map(quitClient));
        this.removeAllListeners();
    }

    private setState(state: ConnectionState, detail = ''): void {
        if (this.closed || (state === this._state && detail === this._detail)) return;
        this._state = state;
        this._detail = detail;
        this.emit('state', state, detail);
    }

    private clientOptions(): RedisOptions {
        const s = this.settings;
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

    private createClient(extra: RedisOptions, primary: boolean): RedisClient {
        const s = this.settings;
        const common: RedisOptions = { ...this.clientOptions(), ...extra };
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
        // An ioredis client without an 'error' listener throws and would take Node-RED down.
        client.on('error', (err: Error) => {
            if (primary) this.onError(err);
        });
        if (client instanceof Cluster) {
            client.connect().catch((err: Error) => {
                if (primary) this.onError(err);
            });
        }
        if (primary) {
            client.on('ready', () => {
                this.everReady = true;
                this.failedPings = 0;
                this.setState('connected');
                void this.healthCheck();
                this.emit('ready');
            });
            // An error (refused, wrong password) stays on show through the retries that
            // follow it, instead of flickering back to "connecting" on every attempt.
            client.on('close', () => {
                if (this._state === 'error') return;
                this.setState(this.everReady ? 'disconnected' : 'connecting');
            });
        }
        return client;
    }

    private onError(err: Error): void {
        const message = (err as NodeJS.ErrnoException).code || err.message;
        if (this._state !== 'connected') this.setState('error', message);
        this.emit('client-error', err);
    }

    /** Replicas a decision must reach before it counts, and how long to wait for them (ms). */
    get replication(): { replicas: number; timeoutMs: number } {
        // WAIT shares the command's time bound with the script sent before it.
        return { replicas: this.settings.replicas ?? 0, timeoutMs: Math.max(5, Math.floor(this.settings.commandTimeout * 0.6)) };
    }

    /**
     * The latest moment, on the Redis server's clock, at which a command sent now may
     * still act: after that its caller has given up waiting. Scripts that charge passes
     * compare it with TIME and do nothing when they run later, which is what happens to
     * commands that sat in a paused server's socket buffer. 0 while the offset is unknown.
     */
    deadline(): number {
        return this.clockOffset === undefined ? 0 : Math.round(performance.now() + this.clockOffset + this.settings.commandTimeout);
    }

    // A paused or half-open Redis keeps the socket up while answering nothing; only a
    // round trip shows it. Three missed checks in a row drop the socket so ioredis
    // reconnects as soon as the server answers again. The round trip is a TIME, which
    // also keeps the offset between the two clocks fresh.
    private async healthCheck(): Promise<void> {
        // Not awaited, so its failure must not become an unhandled rejection (it would stop Node-RED).
        this.subscriberHealthCheck().catch(() => undefined);
        if (this.closed || this.command.status !== 'ready') return;
        try {
            const sent = performance.now();
            const [seconds, micros] = await this.command.time();
            const received = performance.now();
            const serverMs = Number(seconds) * 1000 + Number(micros) / 1000;
            this.clockOffset = serverMs - (sent + received) / 2;
            this.failedPings = 0;
            if (this._state !== 'connected') this.setState('connected');
        } catch (err) {
            this.failedPings += 1;
            this.setState('error', (err as Error).message);
            if (this.failedPings >= 3) {
                this.failedPings = 0;
                // The decision socket crosses the same network: a cut leaves it half-open too.
                new Set([this.command, this.decisionClient]).forEach((client) => client.disconnect(true));
            }
        }
    }

    // The subscribers need their own round trips: a half-open socket leaves one waiting
    // for messages that never come, while the command client may be back on a fresh socket.
    private async subscriberHealthCheck(): Promise<void> {
        if (this.closed) return;
        const pingMs = Math.max(this.settings.commandTimeout, 500);
        if (this.clusterKeyspace) {
            await this.clusterKeyspace.healthCheck(pingMs);
            await this.clusterKeyspace.followSlots();
        }
        if (this.sub) await this.subscriberWatch.check(this.sub, pingMs);
    }
}

async function quitClient(client: RedisClient): Promise<void> {
    if (client.status === 'end') return;
    try {
        await Promise.race([client.quit(), new Promise((r) => setTimeout(r, 500))]);
    } catch {
        // quit fails when the connection is already gone; disconnect below is enough.
    }
    client.disconnect();
}

/** True for errors that mean "Redis did not answer", as opposed to a reply error. */
export function isUnavailableError(err: unknown): boolean {
    if (!(err instanceof Error)) return false;
    // Reply errors are answers (WRONGTYPE, a script error) except these, which mean the
    // server cannot take commands right now.
    if (err.name === 'ReplyError') return /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|NOREPLICAS)\b/.test(err.message);
    return true;
}
