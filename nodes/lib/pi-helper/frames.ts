// The helper's frames (see helper_protocol.py): one kind byte, a 16-bit big-endian payload
// length, the payload.

export const FrameKind = {
    transfer: 'T',
    levels: 'L',
    ready: 'R',
    fatal: 'F',
    done: 'D',
    error: 'E',
} as const;

export const MAX_PAYLOAD = 0xffff;
const HEADER = 3;

export interface Frame {
    kind: string;
    payload: Buffer;
}

export function encodeFrame(kind: string, payload: Buffer): Buffer {
    if (payload.length > MAX_PAYLOAD) throw new RangeError(`a frame carries at most ${MAX_PAYLOAD} bytes, not ${payload.length}`);
    const header = Buffer.alloc(HEADER);
    header.write(kind, 0, 'latin1');
    header.writeUInt16BE(payload.length, 1);
    return Buffer.concat([header, payload]);
}

/** Collects the bytes of a pipe, however it splits them, into whole frames. */
export class FrameReader {
    private pending: Buffer = Buffer.alloc(0);

    push(chunk: Buffer): Frame[] {
        this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
        const frames: Frame[] = [];
        while (this.pending.length >= HEADER) {
            const end = HEADER + this.pending.readUInt16BE(1);
            if (this.pending.length < end) break;
            frames.push({ kind: this.pending.toString('latin1', 0, 1), payload: Buffer.from(this.pending.subarray(HEADER, end)) });
            this.pending = this.pending.subarray(end);
        }
        return frames;
    }
}
