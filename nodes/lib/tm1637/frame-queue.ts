// Serialises writes to one display and coalesces bursts: one value is written at a time,
// and while it is on its way only the latest value submitted waits; each value it replaces
// is settled at once as 'superseded'. A source changing thousands of times a second thus
// costs one frame in flight plus one waiting, never a queue, and frames never interleave.

export type Outcome = 'written' | 'superseded' | 'dropped';

interface Job<T> {
    value: T;
    resolve: (outcome: Outcome) => void;
    reject: (err: Error) => void;
}

export class FrameQueue<T> {
    private waiting: Job<T> | undefined;
    private writing = false;
    private idleWaiters: Array<() => void> = [];
    private closed = false;

    constructor(private readonly write: (value: T) => Promise<void>) {}

    /** True while a value is being written or waits to be. */
    get busy(): boolean {
        return this.writing || this.waiting !== undefined;
    }

    /**
     * Resolves 'written' once `value` is out, 'superseded' if a later value replaced it
     * before its turn, 'dropped' if the queue closed first; rejects if its write failed.
     */
    submit(value: T): Promise<Outcome> {
        if (this.closed) return Promise.resolve('dropped');
        return new Promise((resolve, reject) => {
            this.waiting?.resolve('superseded');
            this.waiting = { value, resolve, reject };
            if (!this.writing) void this.drain();
        });
    }

    /** Resolves when nothing is being written or waiting. */
    idle(): Promise<void> {
        if (!this.busy) return Promise.resolve();
        return new Promise((resolve) => this.idleWaiters.push(resolve));
    }

    /** Drops the waiting value and takes no more; resolves once the write in flight (if any) is done. */
    close(): Promise<void> {
        this.closed = true;
        this.waiting?.resolve('dropped');
        this.waiting = undefined;
        return this.idle();
    }

    private async drain(): Promise<void> {
        this.writing = true;
        while (this.waiting) {
            const job = this.waiting;
            this.waiting = undefined;
            try {
                await this.write(job.value);
                job.resolve('written');
            } catch (err) {
                job.reject(err instanceof Error ? err : new Error(String(err)));
            }
        }
        this.writing = false;
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        waiters.forEach((wake) => wake());
    }
}
