// A small Server-Sent Events client for the flow tests, reading the stream the way a
// browser's EventSource does (test/support/sse.ts) but keeping every block, the
// comments included, so a test can check what came first.
import http from 'http';
import { openSse, SseBlock, SseConnection } from '../support/sse';

export class SseClient {
    private constructor(readonly blocks: SseBlock[], private readonly connection: SseConnection) {}

    /** Connects and resolves once the response headers are in (status 200; any other rejects). */
    static async open(url: string, timeoutMs = 5000): Promise<SseClient> {
        const blocks: SseBlock[] = [];
        return new SseClient(blocks, await openSse(url, (block) => blocks.push(block), timeoutMs));
    }

    get response(): http.IncomingMessage {
        return this.connection.response;
    }

    /** The `data` of every `count` event so far, in order. */
    get counts(): string[] {
        return this.blocks.filter((b) => b.event === 'count').map((b) => b.data ?? '');
    }

    /** Waits until check(blocks) holds; fails after timeoutMs, or when the stream ends first. */
    async waitFor(check: (blocks: SseBlock[]) => boolean, what: string, timeoutMs = 5000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (!check(this.blocks)) {
            if (this.connection.ended) throw new Error(`the stream ended before ${what}; got ${JSON.stringify(this.blocks)}`);
            if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.blocks)}`);
            await new Promise((r) => setTimeout(r, 20));
        }
    }

    close(): void {
        this.connection.close();
    }
}
