// Reading a Server-Sent Events stream the way a browser's EventSource does: blocks
// separated by a blank line; `event:`, `data:`, `retry:` fields; lines starting with ':'
// are comments. Shared by the flow tests' client, which keeps every block, and the soak's
// counter watch, which keeps only the last count. It loads nothing of Node-RED, so the
// soak can use it without pulling the test helper into its process.
import http from 'http';

export interface SseBlock {
    event?: string;
    data?: string;
    retry?: number;
    comment?: string;
}

/** Cuts the stream's text into blocks as chunks arrive, holding back an unfinished one. */
export class SseFramer {
    private buffer = '';

    take(chunk: string, onBlock: (block: SseBlock) => void): void {
        this.buffer += chunk;
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) !== -1) {
            const text = this.buffer.slice(0, end);
            this.buffer = this.buffer.slice(end + 2);
            onBlock(parseBlock(text));
        }
    }
}

export function parseBlock(text: string): SseBlock {
    const block: SseBlock = {};
    for (const line of text.split('\n')) {
        if (line.startsWith(':')) {
            block.comment = line.slice(1).trim();
            continue;
        }
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        // One space after the colon belongs to the syntax, not the value.
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') block.event = value;
        else if (field === 'data') block.data = block.data === undefined ? value : `${block.data}\n${value}`;
        else if (field === 'retry') block.retry = Number(value);
    }
    return block;
}

/** An open event stream: its response (status and headers), whether it has ended, and a way to close it. */
export interface SseConnection {
    readonly response: http.IncomingMessage;
    /** True once the server ended the stream or it failed. */
    readonly ended: boolean;
    close(): void;
}

/**
 * Connects as an EventSource would and resolves once a 200 answer's headers are in; each
 * block then goes to onBlock as it arrives. Rejects on any other status, or when no
 * answer comes within timeoutMs (the stream itself may then stay quiet for as long as it likes).
 */
export function openSse(url: string, onBlock: (block: SseBlock) => void, timeoutMs: number): Promise<SseConnection> {
    return new Promise((resolve, reject) => {
        const request = http.get(url, { headers: { Accept: 'text/event-stream' } }, (response) => {
            request.setTimeout(0);
            if (response.statusCode !== 200) {
                request.destroy();
                reject(new Error(`${url} answered HTTP ${response.statusCode}`));
                return;
            }
            const framer = new SseFramer();
            let ended = false;
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => framer.take(chunk, onBlock));
            response.on('end', () => { ended = true; });
            response.on('error', () => { ended = true; });
            resolve({
                response,
                get ended() { return ended; },
                close: () => request.destroy(),
            });
        });
        request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
        request.on('error', reject);
    });
}
