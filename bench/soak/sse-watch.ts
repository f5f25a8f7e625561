// Keeps one /counter/events stream open, as a dashboard page would, and remembers only
// the last count and how many arrived: a soak must not hold every event it receives.
import { openSse, SseBlock, SseConnection } from '../../test/support/sse';

/** How long the soak waits for the stream's headers. */
const CONNECT_TIMEOUT_MS = 10000;

export class CounterWatch {
    lastCount: number | undefined;
    events = 0;
    private connection: SseConnection | undefined;

    private constructor() {}

    static async open(url: string): Promise<CounterWatch> {
        const watch = new CounterWatch();
        watch.connection = await openSse(url, (block) => watch.count(block), CONNECT_TIMEOUT_MS);
        return watch;
    }

    close(): void {
        this.connection?.close();
    }

    private count(block: SseBlock): void {
        if (block.event !== 'count' || block.data === undefined) return;
        this.lastCount = Number(block.data);
        this.events++;
    }
}
