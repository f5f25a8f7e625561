// Starts a private, real redis-server for tests: on a free loopback port, with its
// files in a temporary folder, so tests never touch a Redis the developer runs.
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import { pingRedis } from '../../scripts/demo/redis-server';

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const address = server.address() as net.AddressInfo;
            server.close(() => resolve(address.port));
        });
    });
}

/** Where a RedisProcess keeps its files in memory: the tmpfs every Linux mounts there. */
const TMPFS = '/dev/shm';
/** statfs's f_type of a tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;

/** Why a RedisProcess cannot keep its files in memory on this machine, or undefined when it can. */
export function noTmpfs(): string | undefined {
    try {
        return fs.statfsSync(TMPFS).type === TMPFS_MAGIC ? undefined : `${TMPFS} is not a tmpfs`;
    } catch (err) {
        return `no ${TMPFS} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
}

/**
 * Skips the running test, saying why, on a machine without a tmpfs: a test that needs its
 * AOF in memory must not quietly run on the disk instead, where it would flake.
 */
export function skipWithoutTmpfs(test: Mocha.Context): void {
    const missing = noTmpfs();
    if (!missing) return;
    console.log(`      skipped: its Redis files must be on a tmpfs, and there is ${missing}`);
    test.skip();
}

export interface RedisProcessOptions {
    /**
     * Keep the files (the AOF) on a tmpfs. With appendfsync everysec Redis acknowledges writes
     * whose write(2) it postpones behind a slow background fsync (up to 2 s on a busy disk),
     * so a SIGKILL can lose them: Redis's documented everysec bound, not the package's. On a
     * tmpfs fsync never lags, and a crash test proves the package's part only. Throws when
     * there is no tmpfs (see noTmpfs) rather than falling back to the disk.
     */
    filesInMemory?: boolean;
    /**
     * The lines of a config file, written into the server's folder and passed before the
     * usual arguments (which win over it). A sentinel needs one: it rewrites it as it learns.
     */
    config?: string[];
}

export class RedisProcess {
    private child?: ChildProcess;
    readonly dir: string;
    private readonly configFile?: string;

    constructor(readonly port: number, private readonly extraArgs: string[] = [], options: RedisProcessOptions = {}) {
        const missing = options.filesInMemory ? noTmpfs() : undefined;
        if (missing) throw new Error(`cannot keep Redis's files in memory: ${missing}`);
        this.dir = fs.mkdtempSync(path.join(options.filesInMemory ? TMPFS : os.tmpdir(), 'redis-iot-test-'));
        if (options.config) {
            this.configFile = path.join(this.dir, 'redis.conf');
            fs.writeFileSync(this.configFile, [...options.config, ''].join('\n'));
        }
    }

    static async start(extraArgs: string[] = [], options: RedisProcessOptions = {}): Promise<RedisProcess> {
        const redis = new RedisProcess(await freePort(), extraArgs, options);
        await redis.start();
        return redis;
    }

    get url(): string {
        return `redis://127.0.0.1:${this.port}`;
    }

    get running(): boolean {
        return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
    }

    async start(): Promise<void> {
        const args = [...(this.configFile ? [this.configFile] : []), '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
            '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning', ...this.extraArgs];
        this.child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
        const deadline = Date.now() + 10000;
        while (Date.now() < deadline) {
            if (await pingRedis(this.port)) return;
            if (!this.running) throw new Error(`redis-server exited (code ${this.child.exitCode}); is it installed?`);
            await new Promise((r) => setTimeout(r, 25));
        }
        this.child.kill('SIGKILL');
        throw new Error(`redis-server did not answer on port ${this.port}`);
    }

    /** Stops the server and waits for the process to be gone (SIGKILL by default, like a crash). */
    async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
        const child = this.child;
        if (!child || !this.running) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        await exited;
    }

    signal(signal: NodeJS.Signals): void {
        this.child?.kill(signal);
    }

    async restart(): Promise<void> {
        await this.stop();
        await this.start();
    }

    async destroy(): Promise<void> {
        if (this.child && this.child.signalCode === 'SIGSTOP') this.child.kill('SIGCONT');
        await this.stop();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** A private redis-server and a client on it, filled in by the mocha hooks of ownRedis(). */
export interface OwnRedis {
    readonly process: RedisProcess;
    readonly client: Redis;
    readonly port: number;
}

export interface OwnRedisOptions {
    /** A fresh server for every test (beforeEach/afterEach), or one for the suite (before/after). */
    perTest: boolean;
    /** Runs before the client and server go, e.g. helper.unload(): Node-RED must not see its Redis vanish. */
    stopFirst?: () => unknown;
}

/**
 * Mocha hooks that start a private redis-server and a client on it, and stop both after.
 * Call inside describe(); read the fields inside hooks and tests, once the hooks have run.
 */
export function ownRedis(options: OwnRedisOptions): OwnRedis {
    const own = {} as { process: RedisProcess; client: Redis; port: number };
    const [setUp, tearDown] = options.perTest ? [beforeEach, afterEach] : [before, after];
    setUp(async function () {
        this.timeout(Math.max(this.timeout(), 20000));
        own.process = await RedisProcess.start();
        own.port = own.process.port;
        own.client = new Redis(own.port);
    });
    tearDown(async function () {
        this.timeout(Math.max(this.timeout(), 20000));
        await options.stopFirst?.();
        own.client?.disconnect();
        await own.process?.destroy();
    });
    return own;
}
