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

export class RedisProcess {
    private child?: ChildProcess;
    readonly dir: string;

    constructor(readonly port: number, private readonly extraArgs: string[] = []) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-test-'));
    }

    static async start(extraArgs: string[] = []): Promise<RedisProcess> {
        const redis = new RedisProcess(await freePort(), extraArgs);
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
        const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
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
    /** Extra redis-server arguments. */
    args?: string[];
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
        own.process = await RedisProcess.start(options.args);
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
