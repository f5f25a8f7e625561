// Counts dropped requests by reason and reports them at most once per interval: the first
// drop at once (so the log says when trouble started), later ones as one line with their
// counts when the interval ends. A busy gate dropping a chime per tap must not write a log
// line per tap, yet no drop may go unreported.

export type DropCounts<R extends string> = Record<R, number>;

export class DropReport<R extends string> {
    private pending: DropCounts<R>;
    private timer: NodeJS.Timeout | undefined;

    constructor(
        private readonly reasons: readonly R[],
        private readonly report: (counts: DropCounts<R>, total: number) => void,
        private readonly intervalMs = 5000,
    ) {
        this.pending = this.zero();
    }

    add(reason: R): void {
        this.pending[reason]++;
        if (!this.timer) this.flush();
    }

    /** Reports what is still pending and stops the timer (the node is closing). */
    stop(): void {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.flushPending();
    }

    private flush(): void {
        if (!this.flushPending()) return;
        // Quiet for an interval; whatever is dropped meanwhile is reported when it ends.
        this.timer = setTimeout(() => {
            this.timer = undefined;
            this.flush();
        }, this.intervalMs);
        this.timer.unref();
    }

    private flushPending(): boolean {
        const counts = this.pending;
        const total = this.reasons.reduce((sum, reason) => sum + counts[reason], 0);
        if (total === 0) return false;
        this.pending = this.zero();
        try {
            this.report(counts, total);
        } catch {
            // a log line that fails must not stop the counting
        }
        return true;
    }

    private zero(): DropCounts<R> {
        return Object.fromEntries(this.reasons.map((reason) => [reason, 0])) as DropCounts<R>;
    }
}
