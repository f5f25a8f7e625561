// Two kinds of failure with different cures: a PiccError is ordinary radio trouble with
// a card (no answer, collision, bad BCC/CRC) and just means "no card read this poll";
// a ChipError means the reader itself is not answering, so it is reported and re-initialised.

export type PiccErrorKind = 'timeout' | 'collision' | 'bcc' | 'crc' | 'protocol';

export class PiccError extends Error {
    constructor(readonly kind: PiccErrorKind, message: string) {
        super(message);
        this.name = 'PiccError';
    }
}

export class ChipError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'ChipError';
    }
}

export function isPiccError(err: unknown, kind?: PiccErrorKind): err is PiccError {
    return err instanceof PiccError && (kind === undefined || err.kind === kind);
}
