// Runs one capture program and collects its stdout as the JPEG. A program that is still
// running at the time limit is hung (rpicam-apps can hang on a camera fault): it gets
// SIGTERM, then SIGKILL if it ignores that. An abort (the node closing) kills it the same way.
import { spawn } from 'child_process';
import { terminate } from '../child-process';
import { CaptureError, classifyStderr, stderrSummary } from './errors';
import { isJpeg } from '../jpeg';

export interface RunOptions {
    timeoutMs: number;
    /** How long a program may ignore SIGTERM before SIGKILL. */
    killAfterMs?: number;
    signal?: AbortSignal;
}

const DEFAULT_KILL_AFTER_MS = 1000;
const STDERR_KEEP = 8192;

export function runCapture(program: string, args: string[], options: RunOptions): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        if (options.signal?.aborted) {
            reject(new CaptureError('stopped'));
            return;
        }
        const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        const chunks: Buffer[] = [];
        let stderr = '';
        let ended: CaptureError | undefined; // why we killed it, if we did

        const kill = (reason: CaptureError) => {
            if (ended || child.exitCode !== null || child.signalCode !== null) return;
            ended = reason;
            terminate(child, options.killAfterMs ?? DEFAULT_KILL_AFTER_MS);
        };
        const limit = setTimeout(() => kill(new CaptureError('timeout', `no picture after ${options.timeoutMs} ms`)), options.timeoutMs);
        const onAbort = () => kill(new CaptureError('stopped'));
        options.signal?.addEventListener('abort', onAbort, { once: true });

        child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
        child.stderr.on('data', (chunk: Buffer) => {
            stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
        });
        child.on('error', (err) => {
            // spawn failed (not found, not executable): 'close' still follows
            stderr += `\n${err.message}`;
        });
        child.on('close', (code, signal) => {
            clearTimeout(limit);
            options.signal?.removeEventListener('abort', onAbort);
            if (ended) return reject(ended);
            const jpeg = Buffer.concat(chunks);
            if (code !== 0) {
                const detail = stderrSummary(stderr) || `exit ${code ?? signal}`;
                return reject(new CaptureError(classifyStderr(stderr), detail));
            }
            if (!isJpeg(jpeg)) return reject(new CaptureError('not-jpeg', `${jpeg.length} bytes on stdout`));
            resolve(jpeg);
        });
    });
}
