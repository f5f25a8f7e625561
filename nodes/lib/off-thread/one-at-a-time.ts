// Runs tasks one at a time, in the order they came, with a bounded line of waiting ones:
// a task that would make the line longer is refused at once rather than queued.

export class OneAtATime {
    private running = false;
    private readonly waiting: Array<() => void> = [];

    constructor(private readonly maxWaiting: number) {}

    /** Tasks waiting now, not counting the running one. */
    get waitingCount(): number {
        return this.waiting.length;
    }

    /** Runs task when its turn comes; throws refusal() (without running it) when the line is full. */
    async run<T>(task: () => Promise<T>, refusal: () => Error): Promise<T> {
        if (this.running) {
            if (this.waiting.length >= this.maxWaiting) throw refusal();
            // The finishing task hands its turn over directly, so none can jump the line.
            await new Promise<void>((resolve) => this.waiting.push(resolve));
        }
        this.running = true;
        try {
            return await task();
        } finally {
            const next = this.waiting.shift();
            if (next) next();
            else this.running = false;
        }
    }
}
