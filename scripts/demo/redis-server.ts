// The demo's private redis-server: loopback only, data (append-only file, fsync on
// every write) in its own folder, so passes sold in one demo run are there in the next.
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import net from 'net';
import path from 'path';
import { isRunning, stopChild } from './child';

export interface RedisServerOptions {
    /** Folder for the AOF files and redis.log; created when missing. */
    dir: string;
    port: number;
    /** The redis-server executable; found on PATH by default. */
    binary?: string;
    startTimeoutMs?: number;
}

export function pingRedis(port: number, host = '127.0.0.1'): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, host);
        socket.setTimeout(500);
        socket.once('connect', () => socket.write('PING\r\n'));
        socket.once('data', (data) => {
            socket.destroy();
            // A server that wants a password answers -NOAUTH: it is up all the same.
            resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
        });
        socket.once('error', () => resolve(false));
        socket.once('timeout', () => {
            socket.destroy();
            resolve(false);
        });
    });
}

export class RedisServer {
    private constructor(private readonly child: ChildProcess, readonly port: number, readonly logFile: string) {}

    get url(): string {
        return `redis://127.0.0.1:${this.port}`;
    }

    get running(): boolean {
        return isRunning(this.child);
    }

    get pid(): number | undefined {
        return this.child.pid;
    }

    static async start(options: RedisServerOptions): Promise<RedisServer> {
        fs.mkdirSync(options.dir, { recursive: true });
        const logFile = path.join(options.dir, 'redis.log');
        const args = [
            '--port', String(options.port), '--bind', '127.0.0.1', '--dir', path.resolve(options.dir),
            // everysec, Redis's default: a crash of Node-RED loses nothing; a crash of Redis
            // or a power cut can lose the writes of the last 1-2 s (Redis holds its AOF writes
            // back while a slow fsync runs, and still answers). 'always' fsyncs in Redis's
            // event loop, and on a VM disk or an SD card one fsync took up to 609 ms in the
            // soak: every gate then answered unavailable.
            '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
            '--daemonize', 'no', '--logfile', logFile,
        ];
        // Its own process group, so a Ctrl-C in the terminal reaches only the launcher,
        // which then stops Node-RED first and Redis last.
        const child = spawn(options.binary ?? 'redis-server', args, { stdio: 'ignore', detached: true });
        const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
        const server = new RedisServer(child, options.port, logFile);
        const deadline = Date.now() + (options.startTimeoutMs ?? 10000);
        while (Date.now() < deadline) {
            const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(r, 50))]);
            if (failed) throw new Error(`could not run redis-server: ${failed.message}`);
            if (await pingRedis(options.port)) return server;
            if (!server.running) throw new Error(`redis-server exited at start: ${tail(logFile)}`);
        }
        await server.stop();
        throw new Error(`redis-server did not answer on port ${options.port}: ${tail(logFile)}`);
    }

    /** SIGTERM makes redis-server flush the AOF and exit cleanly. */
    stop(): Promise<void> {
        return stopChild(this.child, 'SIGTERM', 10000);
    }
}

function tail(file: string): string {
    try {
        return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ') || '(empty log)';
    } catch {
        return '(no log)';
    }
}
