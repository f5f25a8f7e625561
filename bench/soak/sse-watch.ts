// Keeps one /counter/events stream open, as a dashboard page would, and remembers only
// the last count and how many arrived: a soak must not hold every event it receives.
import http from 'http';

export class CounterWatch {
    lastCount: number | undefined;
    events = 0;
    ended = false;
    private buffer = '';

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
                response.on('data', (chunk: string) => watch.take(chunk));
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

    private take(chunk: string): void {
        this.buffer += chunk;
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) !== -1) {
            const block = this.buffer.slice(0, end).split('\n');
            this.buffer = this.buffer.slice(end + 2);
            if (!block.includes('event: count')) continue;
            const data = block.find((line) => line.startsWith('data:'));
            if (data === undefined) continue;
            this.lastCount = Number(data.slice('data:'.length).trim());
            this.events++;
        }
    }
}
