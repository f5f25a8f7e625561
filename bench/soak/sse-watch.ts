// Keeps one /counter/events stream open, as a dashboard page would, and remembers only
// the last count and how many arrived: a soak must not hold every event it receives.
import http from 'http';
import { SseBlock, SseFramer } from '../../test/support/sse';

export class CounterWatch {
    lastCount: number | undefined;
    events = 0;
    ended = false;
    private readonly framer = new SseFramer();

    private constructor(private readonly request: http.ClientRequest) {}

    static open(url: string): Promise<CounterWatch> {
        return new Promise((resolve, reject) => {
            const request = http.get(url, { headers: { Accept: 'text/event-stream' } }, (response) => {
                request.setTimeout(0);
                if (response.statusCode !== 200) {
                    request.destroy();
                    reject(new Error(`${url} answered HTTP ${response.statusCode}`));
                    return;
                }
                response.setEncoding('utf8');
                response.on('data', (chunk: string) => watch.framer.take(chunk, (block) => watch.count(block)));
                response.on('end', () => { watch.ended = true; });
                response.on('error', () => { watch.ended = true; });
                resolve(watch);
            });
            const watch = new CounterWatch(request);
            request.setTimeout(10000, () => request.destroy(new Error(`no answer from ${url} within 10 s`)));
            request.on('error', reject);
        });
    }

    close(): void {
        this.request.destroy();
    }

    private count(block: SseBlock): void {
        if (block.event !== 'count' || block.data === undefined) return;
        this.lastCount = Number(block.data);
        this.events++;
    }
}
