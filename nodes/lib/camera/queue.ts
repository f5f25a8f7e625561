// One capture at a time: only one process can hold a camera, so a second rpicam-still
// started while one runs fails with "Pipeline handler in use". Jobs run in arrival order;
// stop() (the node closing) aborts the running one and drops the waiting ones.
// The queue is bounded, so a trigger that fires faster than the camera can take pictures
// gets an error rather than a picture of a moment long gone: a capture finding maxWaiting
// others already waiting is refused at once ('queue-full'), and one that has not started
// maxWaitMs after it was asked for is refused then ('late').
import { CaptureError } from './errors';
import { DeadlineTimer } from '../deadline-timer';

type Job<T> = (signal: AbortSignal) => Promise<T>;

interface Entry {
    job: Job<unknown>;
    /** performance.now() by which it must start, or Infinity. */
    deadline: number;
    resolve: (value: unknown) => void;
    reject: (err: unknown) => void;
}

export interface CaptureLimits {
    /** A capture not started this long after run() is refused; none when undefined. */
    maxWaitMs?: number;
    /** How many captures may wait behind the running one; no limit when undefined. */
    maxWaiting?: number;
}

export class CaptureQueue {
    private readonly waiting: Entry[] = [];
    private running: { controller: AbortController; finished: Promise<void> } | undefined;
    private stopped = false;
    /** Fires at the deadline of the oldest waiting capture (the earliest: all wait equally long). */
    private readonly deadlines = new DeadlineTimer(() => (this.stopped ? undefined : this.waiting[0]?.deadline), () => this.refuseLate());

    constructor(private readonly limits: CaptureLimits = {}) {}

    /** Captures not yet finished, the running one included. */
    get length(): number {
        return this.waiting.length + (this.running ? 1 : 0);
    }

    run<T>(job: Job<T>): Promise<T> {
        if (this.stopped) return Promise.reject(new CaptureError('stopped'));
        // An idle camera takes a capture whatever the limit: only captures behind another wait.
        if (this.running && this.waiting.length >= (this.limits.maxWaiting ?? Infinity)) {
            return Promise.reject(new CaptureError('queue-full', String(this.waiting.length)));
        }
        const deadline = this.limits.maxWaitMs === undefined ? Infinity : performance.now() + this.limits.maxWaitMs;
        return new Promise<T>((resolve, reject) => {
            this.waiting.push({ job, deadline, resolve: resolve as (value: unknown) => void, reject });
            if (!this.running) this.next();
            else if (this.waiting.length === 1) this.deadlines.arm();
        });
    }

    /** Aborts the running capture, drops the rest; resolves once the running one has ended. */
    async stop(): Promise<void> {
        this.stopped = true;
        this.deadlines.cancel();
        for (const entry of this.waiting.splice(0)) entry.reject(new CaptureError('stopped'));
        const running = this.running;
        if (!running) return;
        running.controller.abort();
        await running.finished;
    }

    private next(): void {
        this.refuseLate();
        const entry = this.waiting.shift();
        this.deadlines.arm();
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

    /** Refuses the waiting captures whose deadline has passed (the oldest come first). */
    private refuseLate(): void {
        const now = performance.now();
        while (this.waiting.length > 0 && this.waiting[0].deadline <= now) {
            this.waiting.shift()?.reject(new CaptureError('late', String((this.limits.maxWaitMs ?? 0) / 1000)));
        }
    }

}
