// One capture at a time: only one process can hold a camera, so a second rpicam-still
// started while one runs fails with "Pipeline handler in use". Jobs run in arrival order;
// stop() (the node closing) aborts the running one and drops the waiting ones.
import { CaptureError } from './errors';

type Job<T> = (signal: AbortSignal) => Promise<T>;

interface Entry {
    job: Job<unknown>;
    resolve: (value: unknown) => void;
    reject: (err: unknown) => void;
}

export class CaptureQueue {
    private readonly waiting: Entry[] = [];
    private running: { controller: AbortController; finished: Promise<void> } | undefined;
    private stopped = false;

    /** Captures not yet finished, the running one included. */
    get length(): number {
        return this.waiting.length + (this.running ? 1 : 0);
    }

    run<T>(job: Job<T>): Promise<T> {
        if (this.stopped) return Promise.reject(new CaptureError('stopped'));
        return new Promise<T>((resolve, reject) => {
            this.waiting.push({ job, resolve: resolve as (value: unknown) => void, reject });
            if (!this.running) this.next();
        });
    }

    /** Aborts the running capture, drops the rest; resolves once the running one has ended. */
    async stop(): Promise<void> {
        this.stopped = true;
        for (const entry of this.waiting.splice(0)) entry.reject(new CaptureError('stopped'));
        const running = this.running;
        if (!running) return;
        running.controller.abort();
        await running.finished;
    }

    private next(): void {
        const entry = this.waiting.shift();
        if (!entry) return;
        const controller = new AbortController();
        let outcome: Promise<unknown>;
        try {
            outcome = entry.job(controller.signal);
        } catch (err) {
            outcome = Promise.reject(err);
        }
        // Free the queue before settling, so whoever awaited this capture sees the true length.
        const settle = (report: () => void) => {
            this.running = undefined;
            report();
            if (!this.stopped) this.next();
        };
        const finished = outcome.then((value) => settle(() => entry.resolve(value)), (err) => settle(() => entry.reject(err)));
        this.running = { controller, finished };
    }
}
