// JPEG decoding off Node-RED's event loop, for pictures without an embedded thumbnail
// (uploads, the original camera's). jpeg-js is pure JavaScript (no native build on a Pi),
// but a 320 px thumbnail decoded from a camera-sized picture takes 50-150 ms on a 2-core
// x86 VM and several times that on a Pi;
// on the main thread that delay lands on every other node, and a gate in the same Node-RED
// misses its 250 ms answer. One worker thread runs the jobs in order. It has a V8 heap of
// its own (tens of MB), so it starts with the first job and ends after IDLE_MS without one;
// the next job starts a fresh one. It never keeps the process alive, and a worker that dies
// fails only what it held.
import path from 'path';
import { Worker } from 'worker_threads';
import type { Thumbnail } from '../images/thumbnail';
import { OneAtATime } from './one-at-a-time';
import { asBuffer } from './view';

interface Job { source: Uint8Array; maxWidth: number }

export type JpegJob = Job & { id: number };

export interface JpegReply {
    id: number;
    result?: Thumbnail;
    error?: string;
}

type Pending = { resolve: (r: NonNullable<JpegReply['result']>) => void; reject: (e: Error) => void };

interface Thread {
    worker: Worker;
    /** Jobs sent to this worker and not answered yet: a new worker never answers an old one's. */
    pending: Map<number, Pending>;
    idle?: NodeJS.Timeout;
}

/**
 * How long a worker with nothing to do waits for the next job before it ends. Short: an idle
 * worker holds its heap. Given a 1280 x 720 test card every 5 s (when the simulated camera
 * still ran here), a worker kept alive held the process 49 MB above its start, one ended 2 s
 * after each picture 23 MB (Node.js 20). A fresh worker costs about 50 ms and 70 ms of CPU
 * more per picture (its code not yet compiled); work arriving faster keeps the one worker.
 */
export const IDLE_MS = 2_000;
let idleMs = IDLE_MS;
let current: Thread | undefined;
let nextId = 0;
let started = 0;
let alive = 0;
let jobs = 0;

function gone(thread: Thread, err: Error): void {
    if (current === thread) current = undefined;
    clearTimeout(thread.idle);
    for (const p of thread.pending.values()) p.reject(err);
    thread.pending.clear();
}

/** Ends the worker after idleMs with no job; its exit is then the usual 'exit' path. */
function endWhenIdle(thread: Thread): void {
    clearTimeout(thread.idle);
    thread.idle = setTimeout(() => {
        if (thread.pending.size) return;
        if (current === thread) current = undefined;
        void thread.worker.terminate();
    }, idleMs);
    // A waiting worker is no reason for Node-RED (or a test run) to stay up.
    thread.idle.unref();
}

/**
 * The worker's own V8 heap, capped: left to V8's defaults its young generation alone took
 * tens of MB while the simulated camera's pictures were made here every 5 s, which a 512 MB
 * Pi cannot spare (bench/memory.ts: Node-RED's RSS with every system capturing went from 186
 * to 154 MB on Node-RED 4.1). The old generation keeps room for decoding the largest picture
 * a camera takes, and for its thumbnail's encoder, which holds the bytes in a plain array
 * (test/lib/off-thread).
 */
export const WORKER_LIMITS = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 4 } as const;

function start(): Thread {
    const worker = new Worker(path.join(__dirname, 'jpeg-thread.js'), { resourceLimits: WORKER_LIMITS });
    worker.unref();
    started += 1;
    alive += 1;
    const thread: Thread = { worker, pending: new Map() };
    worker.on('message', (reply: JpegReply) => {
        const p = thread.pending.get(reply.id);
        if (!p) return;
        thread.pending.delete(reply.id);
        if (reply.result) p.resolve(reply.result);
        else p.reject(new Error(reply.error ?? 'JPEG worker failed'));
        if (!thread.pending.size) endWhenIdle(thread);
    });
    // A crashed worker fails what it held; the next job starts a fresh one.
    worker.on('error', (err) => gone(thread, err));
    worker.on('exit', (code) => {
        alive -= 1;
        gone(thread, new Error(`JPEG worker stopped (exit ${code})`));
    });
    return thread;
}

function submit(job: Job): Promise<NonNullable<JpegReply['result']>> {
    const thread = current ?? (current = start());
    clearTimeout(thread.idle);
    const id = ++nextId;
    jobs += 1;
    return new Promise((resolve, reject) => {
        thread.pending.set(id, { resolve, reject });
        thread.worker.postMessage({ ...job, id });
    });
}

/**
 * Decodes waiting for their turn, beyond the one running. Each decode of a camera-sized
 * picture takes up to a few hundred MB in the worker, so only one is sent there at a time;
 * the waiting ones hold only the caller's own Buffer. More than this is a flood (uploads
 * faster than a Pi decodes them): the caller goes on without a thumbnail.
 */
export const MAX_WAITING_DECODES = 8;
const decodes = new OneAtATime(MAX_WAITING_DECODES);

/** Thrown by thumbnailOffThread, without decoding, when MAX_WAITING_DECODES decodes already wait. */
export class DecodeQueueFull extends Error {
    constructor() {
        super(`${MAX_WAITING_DECODES} thumbnails are already waiting to be made`);
        this.name = 'DecodeQueueFull';
    }
}

/**
 * jpegThumbnail on the worker thread, one decode at a time: same result, same errors for a
 * broken JPEG; DecodeQueueFull when too many wait.
 */
export async function thumbnailOffThread(source: Buffer, maxWidth: number): Promise<Thumbnail> {
    const made = await decodes.run(() => submit({ source, maxWidth }), () => new DecodeQueueFull());
    return { bytes: asBuffer(made.bytes), width: made.width, height: made.height };
}

/** The worker's life so far, for tests and the benchmark: workers started, not yet exited, and jobs sent. */
export function jpegWorkerState(): { started: number; alive: number; jobs: number; threadId: number | undefined } {
    return { started, alive, jobs, threadId: current?.worker.threadId };
}

/** Sets how long an idle worker waits (IDLE_MS by default); for tests. */
export function setJpegWorkerIdleMs(ms: number): void {
    idleMs = ms;
}
