// Server-Sent Events to a set of open responses: the headers, the reconnect delay, one
// frame to every stream, a comment line now and then so proxies keep a quiet stream open,
// and forgetting a stream that closed or failed. Shared by the gallery's image
// announcements and the counter's count stream; each chooses its own retry, heartbeat and
// Cache-Control, so their wire formats stay as they always were.
import type { IncomingMessage, ServerResponse } from 'http';

export interface SseOptions {
    /** How long a browser waits before it reconnects after the stream drops, in ms. */
    retryMs: number;
    /** How often a quiet stream gets a comment line, in ms. */
    heartbeatMs: number;
    /** The comment's text: `: <text>`. */
    heartbeatComment: string;
    /** The Cache-Control header; 'no-cache' unless given. */
    cacheControl?: string;
    /** Called when the last open stream closes (not on close()). */
    onEmpty?: () => void;
}

/** One SSE frame; every line of `data` gets its own `data:` field, as the format wants. */
export function sseFrame(event: string, data: string): string {
    return `event: ${event}\n${data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`).join('\n')}\n\n`;
}

export class SseStreams {
    private readonly clients = new Set<ServerResponse>();
    private heartbeat?: NodeJS.Timeout;

    constructor(private readonly options: SseOptions) {}

    get size(): number {
        return this.clients.size;
    }

    /**
     * Takes over `res` as an event stream. `first` (whole frames) is written after the retry
     * field and before anything sent to all, e.g. the current value.
     */
    open(req: IncomingMessage, res: ServerResponse, first: string[] = []): void {
        res.writeHead(200, {
            'Content-Type': 'text/event-stream; charset=utf-8',
            'Cache-Control': this.options.cacheControl ?? 'no-cache',
            Connection: 'keep-alive',
            // nginx would otherwise buffer the stream and deliver events late.
            'X-Accel-Buffering': 'no',
        });
        const forget = () => this.forget(res);
        req.on('close', forget);
        res.on('close', forget);
        res.on('error', forget);
        this.clients.add(res);
        this.write(res, `retry: ${this.options.retryMs}\n\n`);
        for (const frame of first) this.write(res, frame);
        if (this.clients.has(res)) this.startHeartbeat();
    }

    /** One event to every open stream. */
    send(event: string, data: string): void {
        const frame = sseFrame(event, data);
        for (const res of this.clients) this.write(res, frame);
    }

    /** Ends every stream (the node is closing). */
    close(): void {
        this.stopHeartbeat();
        const open = [...this.clients];
        this.clients.clear();
        for (const res of open) res.end();
    }

    private startHeartbeat(): void {
        if (this.heartbeat) return;
        const comment = `: ${this.options.heartbeatComment}\n\n`;
        this.heartbeat = setInterval(() => this.clients.forEach((res) => this.write(res, comment)), this.options.heartbeatMs);
        this.heartbeat.unref();
    }

    private stopHeartbeat(): void {
        clearInterval(this.heartbeat);
        this.heartbeat = undefined;
    }

    // A stream that has gone is dropped rather than written to; a write never throws.
    private write(res: ServerResponse, text: string): void {
        if (res.writableEnded || res.destroyed) {
            this.forget(res);
            return;
        }
        try {
            res.write(text);
        } catch {
            this.forget(res);
        }
    }

    private forget(res: ServerResponse): void {
        if (!this.clients.delete(res)) return;
        if (this.clients.size > 0) return;
        this.stopHeartbeat();
        this.options.onEmpty?.();
    }
}
