// One Redis deployment (standalone, Sentinel or Cluster) as seen by a Node-RED config
// node: a command client shared by every node, a subscriber client made on first need,
// and one connection state that the config node fans out to its users' statuses. The
// parts live beside it: client-factory (the clients), connection-state, pubsub and
// cluster-keyspace (listeners), health (the three-miss rule) and clock (deadlines).
import { EventEmitter } from 'events';
import { Cluster } from 'ioredis';
import { ClusterKeyspace } from './cluster-keyspace';
import { ConnectionSettings, createClient, createNodeSubscriber, quitClient, RedisClient, RedisMode, runNowOrFail, SUBSCRIBER } from './client-factory';
import { ServerClock } from './clock';
import { ConnectionState, ConnectionStateMachine } from './connection-state';
import { MissCounter, SubscriberWatch } from './health';
import { MessageListener, SharedSubscriber } from './pubsub';

export interface ConnectionEvents {
    /** The connection state changed (see connection-state.ts). */
    state: [state: ConnectionState, detail: string];
    /** The command client is ready (again): users resubscribe, replay, re-read. */
    ready: [];
    /** Any error of the command client, for the log (the state shows the outage). */
    'client-error': [error: Error];
    /** A subscriber is back after a reconnect: messages published meanwhile are lost. */
    'subscriber-reconnected': [];
    /** Cluster: a listened key's slot moved to another primary. */
    'keyspace-moved': [];
}

export class RedisConnection extends EventEmitter<ConnectionEvents> {
    readonly command: RedisClient;
    /** Command clients on sockets of their own (see separateCommandClient). */
    private readonly separate: RedisClient[] = [];
    private readonly subscriber: SharedSubscriber;
    private subscriberWatch?: SubscriberWatch;
    private clusterKeyspace?: ClusterKeyspace;
    private readonly stateMachine = new ConnectionStateMachine((state, detail) => this.emit('state', state, detail));
    private readonly clock = new ServerClock();
    private readonly commandMisses: MissCounter;
    private closed = false;
    private healthTimer?: NodeJS.Timeout;

    constructor(readonly settings: Readonly<ConnectionSettings>) {
        super();
        // The separate sockets cross the same network: a cut leaves them half-open too.
        this.commandMisses = new MissCounter(() => [this.command, ...this.separate].forEach((client) => client.disconnect(true)));
        this.command = createClient(settings, runNowOrFail(settings), (err) => this.onError(err));
        this.command.on('ready', () => {
            this.commandMisses.answered();
            this.stateMachine.connected();
            void this.healthCheck();
            this.emit('ready');
        });
        this.command.on('close', () => this.stateMachine.socketClosed());
        this.subscriber = new SharedSubscriber(() => createClient(settings, SUBSCRIBER, () => undefined), () => this.emit('subscriber-reconnected'));
        const interval = settings.healthCheckInterval ?? 1000;
        if (interval > 0) {
            this.healthTimer = setInterval(() => void this.healthCheck(), interval);
            this.healthTimer.unref();
        }
    }

    get state(): ConnectionState {
        return this.stateMachine.state;
    }

    /** Why the state is what it is (an error message), or ''. */
    get detail(): string {
        return this.stateMachine.detail;
    }

    get ready(): boolean {
        return this.state === 'connected';
    }

    get mode(): RedisMode {
        return this.settings.mode;
    }

    /** The database number, as keyspace channel names need it (always 0 in a cluster). */
    get database(): number {
        return this.settings.mode === 'cluster' ? 0 : this.settings.db;
    }

    /**
     * Another command client with the command client's rules, on a socket of its own, for
     * commands that block their socket (WAIT): nothing else waits behind them. Health
     * checked and closed with the connection; its errors show through the command client.
     */
    separateCommandClient(): RedisClient {
        const client = createClient(this.settings, runNowOrFail(this.settings), () => undefined);
        this.separate.push(client);
        return client;
    }

    /**
     * Listens on a channel (or a glob pattern) through the shared subscriber client.
     * Resolves once Redis has confirmed; the returned function stops listening.
     */
    listen(kind: 'channel' | 'pattern', name: string, listener: MessageListener): Promise<() => Promise<void>> {
        const listening = this.subscriber.listen(kind, name, listener);
        this.subscriberWatch ??= new SubscriberWatch(this.subscriber.client());
        return listening;
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

    /**
     * The latest moment, on the Redis server's clock, at which a command sent now may
     * still act: after that its caller has given up waiting (see clock.ts). 0 while the
     * offset between the clocks is unknown.
     */
    deadline(): number {
        return this.clock.deadline(this.settings.commandTimeout);
    }

    /**
     * Redis's clock as this process reckons it (ms), and the last moment it was read from
     * Redis: for decisions taken while Redis is away. Both undefined until first measured.
     */
    serverClock(): { now: number | undefined; lastMeasured: number | undefined } {
        return { now: this.clock.now(), lastMeasured: this.clock.lastMeasured };
    }

    async close(): Promise<void> {
        this.closed = true;
        this.stateMachine.close();
        this.subscriber.close();
        this.clusterKeyspace?.close();
        if (this.healthTimer) clearInterval(this.healthTimer);
        const clients = [this.command, ...this.separate, this.subscriber.made].filter((c): c is RedisClient => !!c);
        await Promise.all(clients.map(quitClient));
        this.removeAllListeners();
    }

    private keyspaceHub(cluster: Cluster): ClusterKeyspace {
        if (!this.clusterKeyspace) {
            this.clusterKeyspace = new ClusterKeyspace(cluster, (host, port) => createNodeSubscriber(this.settings, host, port));
            this.clusterKeyspace.on('subscriber-reconnected', () => this.emit('subscriber-reconnected'));
            this.clusterKeyspace.on('moved', () => this.emit('keyspace-moved'));
        }
        return this.clusterKeyspace;
    }

    private onError(err: Error): void {
        this.stateMachine.clientError((err as NodeJS.ErrnoException).code || err.message);
        this.emit('client-error', err);
    }

    // The command client's round trip is a TIME, which also keeps the offset between the
    // two clocks fresh; three misses in a row drop its socket (see health.ts).
    private async healthCheck(): Promise<void> {
        // Not awaited, so its failure must not become an unhandled rejection (it would stop Node-RED).
        this.subscriberHealthCheck().catch(() => undefined);
        if (this.closed || this.command.status !== 'ready') return;
        try {
            await this.clock.measure(this.command);
            this.commandMisses.answered();
            this.stateMachine.connected();
        } catch (err) {
            this.stateMachine.checkFailed((err as Error).message);
            this.commandMisses.missed();
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
        await this.subscriberWatch?.check(pingMs);
    }
}
