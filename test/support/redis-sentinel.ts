// A private Redis Sentinel deployment for tests: one primary and one replica (both with
// AOF on) and three sentinels monitoring them with a quorum of two, every process on a
// free loopback port with its files in a temporary folder. Tests make the primary fail
// over (SENTINEL FAILOVER, or a SIGKILL of the primary) and ask who the primary is now.
import fs from 'fs';
import path from 'path';
import Redis from 'ioredis';
import { RedisProcess, RedisProcessOptions } from './redis-process';

const SENTINEL_MASTER_NAME = 'mymaster';

/** How quickly the sentinels react: a primary is down after 1 s without an answer. */
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 5000;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (err) {
            lastError = err;
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
}

/** Runs one command on a short-lived connection, so a dead server cannot hang a test. */
async function ask<T>(port: number, ...args: Array<string | number>): Promise<T> {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0,
        enableOfflineQueue: false, connectTimeout: 1000, commandTimeout: 2000, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
        await client.connect();
        return (await client.call(String(args[0]), ...args.slice(1))) as T;
    } finally {
        client.disconnect();
    }
}

/** SENTINEL REPLICAS/SENTINELS answer flat [field, value, ...] lists; this makes them records. */
function records(reply: unknown): Array<Record<string, string>> {
    return (reply as string[][]).map((flat) => {
        const record: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i]] = flat[i + 1];
        return record;
    });
}

/** The log a sentinel writes into its folder (at notice level, for logTails; a relative path: redis-server moves into its --dir). */
const SENTINEL_LOG = 'sentinel.log';

/** Starts a sentinel: a redis-server in sentinel mode, monitoring the primary on `primaryPort`. */
function startSentinel(primaryPort: number): Promise<RedisProcess> {
    return RedisProcess.start(['--sentinel', '--logfile', SENTINEL_LOG, '--loglevel', 'notice'], { config: [
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
    ] });
}

function sentinelLog(sentinel: RedisProcess): string {
    const file = path.join(sentinel.dir, SENTINEL_LOG);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

export class RedisSentinelGroup {
    readonly name = SENTINEL_MASTER_NAME;
    // A run that ends early (a mocha timeout, --exit) must not leave five servers behind,
    // still holding the test run's stderr open.
    private readonly killAll = () => {
        [...this.servers, ...this.sentinels].forEach((s) => s.running && s.signal('SIGKILL'));
    };

    private constructor(readonly servers: RedisProcess[], readonly sentinels: RedisProcess[]) {
        process.once('exit', this.killAll);
    }

    /**
     * Starts the primary, the replica and the three sentinels, and resolves once every
     * sentinel knows the replica (link up) and the two other sentinels, so that a failover
     * can be authorised and has a replica to promote. `filesInMemory` keeps the data
     * servers' AOF on a tmpfs (see RedisProcessOptions), for a test in which a SIGKILLed
     * primary comes back from its AOF and is promoted again.
     */
    static async start(options: Pick<RedisProcessOptions, 'filesInMemory'> = {}): Promise<RedisSentinelGroup> {
        const dataArgs = ['--appendonly', 'yes'];
        const servers: RedisProcess[] = [];
        const sentinels: RedisProcess[] = [];
        let group: RedisSentinelGroup | undefined;
        try {
            const primary = await RedisProcess.start(dataArgs, options);
            servers.push(primary);
            servers.push(await RedisProcess.start([...dataArgs, '--replicaof', '127.0.0.1', String(primary.port)], options));
            for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(primary.port));
            group = new RedisSentinelGroup(servers, sentinels);
            await group.waitUntilSettled(primary.port, 30000);
            return group;
        } catch (err) {
            // The group, once made, also stops listening for the process exit.
            await (group ? group.destroy() : Promise.all([...servers, ...sentinels].map((p) => p.destroy())));
            throw err;
        }
    }

    /** The sentinel list as the config node's editor field takes it. */
    get sentinelList(): string {
        return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
    }

    /** Whether a client of this name (CLIENT SETNAME) is connected to the server on `port`; false if it does not answer. */
    async hasClient(port: number, name: string): Promise<boolean> {
        try {
            const list = await ask<string>(port, 'CLIENT', 'LIST');
            return list.split('\n').some((line) => line.includes(` name=${name} `));
        } catch {
            return false;
        }
    }

    /** The port of the primary according to the first sentinel that answers. */
    async primaryPort(): Promise<number> {
        for (const sentinel of this.sentinels) {
            try {
                const [, port] = await ask<[string, string]>(sentinel.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name);
                return Number(port);
            } catch {
                // try the next sentinel
            }
        }
        throw new Error('no sentinel answered');
    }

    server(port: number): RedisProcess {
        const server = this.servers.find((s) => s.port === port);
        if (!server) throw new Error(`no data server on port ${port}`);
        return server;
    }

    /**
     * Asks a sentinel for a failover (SENTINEL FAILOVER: the primary stays up and is
     * demoted) and resolves with the new primary's port once every sentinel names it
     * and it answers as a primary.
     */
    async failover(timeoutMs = 20000): Promise<number> {
        const old = await this.primaryPort();
        await ask(this.sentinels[0].port, 'SENTINEL', 'FAILOVER', this.name);
        return this.waitForNewPrimary(old, timeoutMs);
    }

    /**
     * SIGKILLs the primary (a crash: nothing flushed, no goodbye) and resolves with the new
     * primary's port once the sentinels have agreed on it. The killed server stays down.
     */
    async killPrimary(timeoutMs = 30000): Promise<number> {
        const old = await this.primaryPort();
        await this.server(old).stop('SIGKILL');
        return this.waitForNewPrimary(old, timeoutMs);
    }

    /** Resolves with the primary's port once every sentinel names one other than `old`. */
    async waitForNewPrimary(old: number, timeoutMs: number): Promise<number> {
        return until(`a primary other than ${old}`, timeoutMs, async () => {
            const named = await this.namedPrimaries();
            const [port] = [...named];
            if (named.size !== 1 || port === old) return undefined;
            const [role] = await ask<[string]>(port, 'ROLE');
            return role === 'master' ? port : undefined;
        });
    }

    /**
     * Resolves with the final primary once the deployment has settled: every sentinel names
     * the same primary, it answers as one, and every running data server follows it. This
     * is not always the first new primary: a restarted old primary can win a second failover
     * when the new one is slow to answer its first pings (seen: 1.1 s against 1 s down-after).
     */
    async settledPrimary(timeoutMs = 60000): Promise<number> {
        let seen = '';
        return until('the deployment to settle on one primary with every server following it', timeoutMs, async () => {
            const named = await this.namedPrimaries();
            const roles = new Map<number, unknown>();
            for (const server of this.servers.filter((s) => s.running)) roles.set(server.port, await ask(server.port, 'ROLE'));
            seen = JSON.stringify({ named: [...named], roles: Object.fromEntries(roles) });
            const [primary] = [...named];
            if (named.size !== 1 || (roles.get(primary) as string[] | undefined)?.[0] !== 'master') return undefined;
            for (const [port, role] of roles) {
                const [kind, , master, state] = role as [string, string, number, string];
                if (port !== primary && !(kind === 'slave' && Number(master) === primary && state === 'connected')) return undefined;
            }
            return primary;
        }).catch((err: Error) => {
            // Sentinel decides when a restarted primary follows the new one; its logs say why it has not.
            throw new Error(`${err.message}; last seen ${seen}\n${this.logTails()}`);
        });
    }

    /** The primary ports the sentinels name (one, once they agree). */
    private async namedPrimaries(): Promise<Set<number>> {
        const named = new Set<number>();
        for (const sentinel of this.sentinels) {
            const [, port] = await ask<[string, string]>(sentinel.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name);
            named.add(Number(port));
        }
        return named;
    }

    /** How many times the sentinels have switched the primary so far (by the first sentinel's log). */
    get switches(): number {
        return sentinelLog(this.sentinels[0]).split('+switch-master').length - 1;
    }

    /** The last lines of every sentinel's log, for a failure message. */
    logTails(lines = 25): string {
        return this.sentinels.map((s) => `sentinel ${s.port}:\n${sentinelLog(s).trimEnd().split('\n').slice(-lines).join('\n')}`).join('\n');
    }

    async destroy(): Promise<void> {
        process.removeListener('exit', this.killAll);
        await Promise.all([...this.sentinels, ...this.servers].map((p) => p.destroy()));
    }

    private async waitUntilSettled(primaryPort: number, timeoutMs: number): Promise<void> {
        const replicaPorts = this.servers.filter((s) => s.port !== primaryPort).map((s) => s.port);
        await until('the replicas to sync', timeoutMs, async () => {
            for (const port of replicaPorts) {
                if (!/master_link_status:up/.test(await ask<string>(port, 'INFO', 'replication'))) return undefined;
            }
            return true;
        });
        await until('the sentinels to know the replica and each other', timeoutMs, async () => {
            for (const sentinel of this.sentinels) {
                const replicas = records(await ask(sentinel.port, 'SENTINEL', 'REPLICAS', this.name));
                const healthy = replicas.filter((r) => r.flags === 'slave' && r['master-link-status'] === 'ok');
                if (healthy.length !== replicaPorts.length) return undefined;
                const peers = records(await ask(sentinel.port, 'SENTINEL', 'SENTINELS', this.name));
                if (peers.filter((p) => p.flags === 'sentinel').length !== this.sentinels.length - 1) return undefined;
                await ask(sentinel.port, 'SENTINEL', 'CKQUORUM', this.name);
            }
            return true;
        });
    }
}
