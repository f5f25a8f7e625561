// One running hardware helper (pi_helper.py under python3). It waits for the helper's READY
// or FATAL frame, then sends requests and gives each reply to the oldest request still
// waiting, since the helper answers in order. Once the helper exits, is killed or sends
// something that is not a frame, every request fails with HelperStopped, which tells a
// session to open its device afresh. What the helper prints on stderr only ever reaches
// Node-RED as the last line of such an error; nothing it does can throw in Node-RED.
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import path from 'path';
import { findOnPath, lastLine, terminate } from '../child-process';
import { encodeFrame, Frame, FrameKind, FrameReader } from './frames';
import type { PiHost } from './pi-host';
import { HelperReport, noPython } from './setup-problem';

/** Copied beside this file by scripts/copy-assets.js, with the modules it imports. */
export const HELPER_SCRIPT = path.join(__dirname, 'pi_helper.py');

/** The helper is gone (exited, killed, or talking nonsense): the device must be opened again. */
export class HelperStopped extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'HelperStopped';
    }
}

/** The helper could not open its device; `report` says why. */
export class HelperRefused extends Error {
    constructor(readonly report: HelperReport) {
        super(report.detail);
        this.name = 'HelperRefused';
    }
}

export interface HelperOptions {
    /** How long python3 may take to import its modules and open the device (default 10 s; a Pi Zero is slow). */
    startTimeoutMs?: number;
    /** How long close() waits for the helper to exit by itself before signalling it (default 1 s). */
    closeGraceMs?: number;
}

export interface StartedHelper {
    helper: HelperProcess;
    /** The READY frame's facts, e.g. { backend: 'lgpio', chip: 'gpiochip0', pullUp: true }. */
    ready: Record<string, unknown>;
}

/** Starts the helper; rejects with a SetupProblem without python3, HelperRefused when it cannot open the device. */
export async function startHelper(args: string[], host: PiHost, options: HelperOptions = {}): Promise<StartedHelper> {
    const python = findOnPath('python3', host.searchPath ?? process.env.PATH);
    if (!python) throw noPython();
    const child = spawn(python, [HELPER_SCRIPT, ...args], {
        stdio: 'pipe',
        // No __pycache__ written into node_modules at run time.
        env: { ...(host.env ?? process.env), PYTHONDONTWRITEBYTECODE: '1' },
    });
    const helper = new HelperProcess(child, options.closeGraceMs ?? 1000);
    try {
        return { helper, ready: await helper.started(options.startTimeoutMs ?? 10_000) };
    } catch (err) {
        await helper.close();
        throw err;
    }
}

interface Waiter<T> {
    resolve(value: T): void;
    reject(err: Error): void;
}

export class HelperProcess {
    private readonly reader = new FrameReader();
    private pending: Array<Waiter<Buffer>> = [];
    private greeting: Waiter<Record<string, unknown>> | undefined;
    private greeted = false;
    private failure: Error | undefined;
    private stderr = '';
    private exited = false;
    private readonly gone: Promise<void>;

    constructor(private readonly child: ChildProcessWithoutNullStreams, private readonly closeGraceMs: number) {
        this.gone = new Promise((resolve) => child.once('close', () => {
            this.exited = true;
            resolve();
        }));
        child.stdout.on('data', (chunk: Buffer) => this.reader.push(chunk).forEach((frame) => this.receive(frame)));
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (text: string) => { this.stderr = (this.stderr + text).slice(-2000); });
        child.stdin.on('error', () => undefined); // a dead helper is reported by 'close' below
        child.on('error', (err) => this.fail(new HelperStopped(`cannot run the hardware helper: ${err.message}`)));
        // 'close' rather than 'exit': by then stderr has been read to the end, so the reason is complete.
        child.on('close', (code, signal) => {
            const why = lastLine(this.stderr);
            this.fail(new HelperStopped(`the hardware helper stopped (${signal ?? `exit code ${code}`})${why ? `: ${why}` : ''}`));
        });
    }

    get pid(): number | undefined {
        return this.child.pid;
    }

    /** Why requests fail, once they do. */
    get failed(): Error | undefined {
        return this.failure;
    }

    /** Resolves with the READY frame's facts; rejects with HelperRefused (FATAL) or HelperStopped. */
    started(timeoutMs: number): Promise<Record<string, unknown>> {
        if (this.failure) return Promise.reject(this.failure);
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.fail(new HelperStopped(`the hardware helper did not start within ${timeoutMs / 1000} s`));
                terminate(this.child, this.closeGraceMs);
            }, timeoutMs);
            this.greeting = {
                resolve: (facts) => { clearTimeout(timer); resolve(facts); },
                reject: (err) => { clearTimeout(timer); reject(err); },
            };
        });
    }

    /** Sends one request; resolves with the DONE payload, rejects with the helper's ERROR text or HelperStopped. */
    request(kind: string, payload: Buffer): Promise<Buffer> {
        if (this.failure) return Promise.reject(this.failure);
        const frame = encodeFrame(kind, payload);
        return new Promise((resolve, reject) => {
            this.pending.push({ resolve, reject });
            this.child.stdin.write(frame);
        });
    }

    /** Ends the helper: end of input makes it release the device and exit; SIGTERM, then SIGKILL, if it does not. */
    async close(): Promise<void> {
        this.fail(new Error('the device is closed'));
        if (this.exited || this.child.pid === undefined) return;
        this.child.stdin.end();
        const timer = setTimeout(() => terminate(this.child, this.closeGraceMs), this.closeGraceMs);
        await this.gone;
        clearTimeout(timer);
    }

    private receive(frame: Frame): void {
        if (this.failure) return;
        if (!this.greeted) {
            this.greeted = true;
            const facts = parseJson(frame.payload);
            if (frame.kind === FrameKind.ready && facts) this.greeting?.resolve(facts);
            else if (frame.kind === FrameKind.fatal && facts) this.greeting?.reject(new HelperRefused(facts as unknown as HelperReport));
            else this.protocolError(frame);
            return;
        }
        const waiter = this.pending.shift();
        if (!waiter) this.protocolError(frame);
        else if (frame.kind === FrameKind.done) waiter.resolve(frame.payload);
        else if (frame.kind === FrameKind.error) waiter.reject(new Error(frame.payload.toString('utf8')));
        else {
            this.pending.unshift(waiter);
            this.protocolError(frame);
        }
    }

    private protocolError(frame: Frame): void {
        this.fail(new HelperStopped(`the hardware helper sent an unexpected '${frame.kind}' frame`));
        terminate(this.child, this.closeGraceMs);
    }

    private fail(err: Error): void {
        this.failure ??= err;
        const waiting = [...this.pending, ...(this.greeting ? [this.greeting] : [])];
        this.pending = [];
        this.greeting = undefined;
        waiting.forEach((w) => w.reject(this.failure ?? err));
    }
}

function parseJson(payload: Buffer): Record<string, unknown> | undefined {
    try {
        const value: unknown = JSON.parse(payload.toString('utf8'));
        return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
    } catch {
        return undefined;
    }
}
