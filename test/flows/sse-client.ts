// A small Server-Sent Events client for the flow tests, reading the stream the way a
// browser's EventSource does (test/support/sse.ts) but keeping every block, the
// comments included, so a test can check what came first.
import http from 'http';
import { SseBlock, SseFramer } from '../support/sse';

export class SseClient {
    readonly blocks: SseBlock[] = [];
    private readonly framer = new SseFramer();
    private ended = false;

    private constructor(private readonly request: http.ClientRequest, readonly response: http.IncomingMessage) {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => this.framer.take(chunk, (block) => this.blocks.push(block)));
        response.on('end', () => { this.ended = true; });
        response.on('error', () => { this.ended = true; });
    }

    /** Connects and resolves once the response headers are in. */
    static open(url: string, timeoutMs = 5000): Promise<SseClient> {
        return new Promise((resolve, reject) => {
            const request = http.get(url, { headers: { Accept: 'text/event-stream' } }, (response) => {
                request.setTimeout(0);
                resolve(new SseClient(request, response));
            });
            request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
            request.on('error', reject);
        });
    }

    /** The `data` of every `count` event so far, in order. */
    get counts(): string[] {
        return this.blocks.filter((b) => b.event === 'count').map((b) => b.data ?? '');
    }

    /** Waits until check(blocks) holds; fails after timeoutMs, or when the stream ends first. */
    async waitFor(check: (blocks: SseBlock[]) => boolean, what: string, timeoutMs = 5000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (!check(this.blocks)) {
            if (this.ended) throw new Error(`the stream ended before ${what}; got ${JSON.stringify(this.blocks)}`);
            if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.blocks)}`);
            await new Promise((r) => setTimeout(r, 20));
        }
    }

    close(): void {
        this.request.destroy();
    }
}
