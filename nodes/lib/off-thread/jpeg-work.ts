// JPEG decoding and encoding off Node-RED's event loop. jpeg-js is pure JavaScript (no
// native build on a Pi), but a 320 px thumbnail of a camera picture or a simulated test
// card takes 50-150 ms on a 2-core x86 VM and several times that on a Pi; on the main
// thread that delay lands on every other node, and a gate in the same Node-RED misses its
// 250 ms answer. One shared worker thread, started on first use and never keeping the
// process alive, runs the jobs in order; a worker that dies fails only what it held.
import path from 'path';
import { Worker } from 'worker_threads';
import type { TestCardOptions } from '../camera/test-card';
import type { Thumbnail } from '../images/thumbnail';
import { asBuffer } from './view';

type Job =
    | { kind: 'thumbnail'; source: Uint8Array; maxWidth: number }
    | { kind: 'test-card'; options: TestCardOptions };

export type JpegJob = Job & { id: number };

export interface JpegReply {
    id: number;
    result?: Thumbnail | { bytes: Uint8Array };
    error?: string;
}

type Pending = { resolve: (r: NonNullable<JpegReply['result']>) => void; reject: (e: Error) => void };

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();

function failAll(err: Error): void {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
}

function thread(): Worker {
    if (!worker) {
        const w = new Worker(path.join(__dirname, 'jpeg-thread.js'));
        w.unref();
        w.on('message', (reply: JpegReply) => {
            const p = pending.get(reply.id);
            if (!p) return;
            pending.delete(reply.id);
            if (reply.result) p.resolve(reply.result);
            else p.reject(new Error(reply.error ?? 'JPEG worker failed'));
        });
        // A crashed worker fails what it held; the next job starts a fresh one.
        const gone = (err: Error) => {
            if (worker === w) worker = undefined;
            failAll(err);
        };
        w.on('error', gone);
        w.on('exit', (code) => gone(new Error(`JPEG worker stopped (exit ${code})`)));
        worker = w;
    }
    return worker;
}

function submit(job: Job): Promise<NonNullable<JpegReply['result']>> {
    const id = ++nextId;
    return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        thread().postMessage({ ...job, id });
    });
}

/** jpegThumbnail on the worker thread: same result, same errors for a broken JPEG. */
export async function thumbnailOffThread(source: Buffer, maxWidth: number): Promise<Thumbnail> {
    const made = await submit({ kind: 'thumbnail', source, maxWidth }) as Thumbnail;
    return { bytes: asBuffer(made.bytes), width: made.width, height: made.height };
}

/** makeTestCard on the worker thread. */
export async function testCardOffThread(options: TestCardOptions): Promise<Buffer> {
    const made = await submit({ kind: 'test-card', options }) as { bytes: Uint8Array };
    return asBuffer(made.bytes);
}
