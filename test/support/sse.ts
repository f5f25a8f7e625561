// Reading a Server-Sent Events stream the way a browser's EventSource does: blocks
// separated by a blank line; `event:`, `data:`, `retry:` fields; lines starting with ':'
// are comments. Shared by the flow tests' client, which keeps every block, and the soak's
// counter watch, which keeps only the last count.

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
