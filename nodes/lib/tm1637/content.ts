// What a message asks the display to show, as four digit bytes plus the text a person would
// read there: integers right-aligned with a minus sign (beyond four digits the overflow
// policy decides), short text left-aligned, raw segment bytes as given, null or '' blank.
import { BLANK, cellText, DIGIT_COUNT, glyph, POINT } from './segments';

export type OverflowPolicy = 'clamp' | 'dashes' | 'error';
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['clamp', 'dashes', 'error'];

/** The largest and smallest integers four digits can show. */
export const MAX_SHOWN = 9999;
export const MIN_SHOWN = -999;

export type DisplayInputCode = 'unknown-character' | 'too-long' | 'overflow' | 'invalid-number' | 'invalid-segments' | 'invalid-payload'
    | 'invalid-brightness' | 'invalid-colon' | 'nothing-to-show';

/** Input the display cannot show; `code` selects the user message, `value` is the offending part. */
export class DisplayInputError extends Error {
    constructor(readonly code: DisplayInputCode, readonly value: string, message: string) {
        super(message);
        this.name = 'DisplayInputError';
    }
}

export interface Content {
    /** One byte per digit, left to right; bit 7 set where the text had a point or colon. */
    segments: number[];
    /** Per digit: the character and, if any, its point or colon, e.g. ['1', '2:', '3', '4']. */
    cells: string[];
}

export function blankContent(): Content {
    return textContent('');
}

export function contentText(content: Content): string {
    return content.cells.join('');
}

/** A value as text for an error message; String() throws for an object without a usable toString. */
export function asText(value: unknown): string {
    try {
        return String(value);
    } catch {
        return Object.prototype.toString.call(value);
    }
}

/** Interprets msg.payload. Throws DisplayInputError for anything the display cannot show. */
export function contentOf(payload: unknown, overflow: OverflowPolicy): Content {
    if (payload === null || payload === '') return blankContent();
    if (typeof payload === 'number') return numberContent(payload, overflow);
    if (typeof payload === 'string') {
        // Integers as text (Redis replies, form fields) are numbers: right-aligned, with the overflow policy.
        return /^\s*-?\d+\s*$/.test(payload) ? numberContent(Number(payload), overflow) : textContent(payload);
    }
    const bytes = segmentBytes(payload);
    if (bytes) return rawContent(bytes);
    throw new DisplayInputError('invalid-payload', typeof payload, `cannot show a ${typeof payload}: send a number, text, up to 4 segment bytes or null`);
}

/** Right-aligned integer; non-integers are rounded to the nearest (Math.round). */
export function numberContent(value: number, overflow: OverflowPolicy): Content {
    if (!Number.isFinite(value)) throw new DisplayInputError('invalid-number', String(value), `${value} is not a number the display can show`);
    let n = Math.round(value) || 0; // no "-0"
    if (n > MAX_SHOWN || n < MIN_SHOWN) {
        if (overflow === 'error') throw new DisplayInputError('overflow', String(n), `${n} does not fit on four digits (${MIN_SHOWN} to ${MAX_SHOWN})`);
        if (overflow === 'dashes') return textContent('----');
        n = n > MAX_SHOWN ? MAX_SHOWN : MIN_SHOWN;
    }
    return textContent(String(n).padStart(DIGIT_COUNT, ' '));
}

/** Left-aligned text; '.' or ':' lights the point (or colon) after the character before it. */
export function textContent(text: string): Content {
    const segments: number[] = [];
    const cells: string[] = [];
    for (const char of text) {
        const last = segments.length - 1;
        if (char === '.' || char === ':') {
            if (last >= 0 && !(segments[last] & POINT)) {
                segments[last] |= POINT;
                cells[last] += char;
            } else {
                segments.push(BLANK | POINT);
                cells.push(` ${char}`);
            }
            continue;
        }
        const byte = glyph(char);
        if (byte === undefined) {
            throw new DisplayInputError('unknown-character', char, `"${char}" cannot be shown on a 7-segment display`);
        }
        segments.push(byte);
        cells.push(char);
    }
    if (segments.length > DIGIT_COUNT) {
        throw new DisplayInputError('too-long', text, `"${text}" needs ${segments.length} digits; the display has ${DIGIT_COUNT}`);
    }
    while (segments.length < DIGIT_COUNT) {
        segments.push(BLANK);
        cells.push(' ');
    }
    return { segments, cells };
}

/** Raw segment bytes (bit0 = a ... bit6 = g, bit7 = point/colon), from the left; missing digits are blank. */
export function rawContent(bytes: number[]): Content {
    const segments = [...bytes];
    while (segments.length < DIGIT_COUNT) segments.push(BLANK);
    return { segments, cells: segments.map(cellText) };
}

/** 1 to 4 bytes from a Buffer, an array of integers or a Buffer turned into JSON; undefined if not bytes at all. */
function segmentBytes(payload: unknown): number[] | undefined {
    let values: unknown[] | undefined;
    if (Buffer.isBuffer(payload)) values = [...payload];
    else if (Array.isArray(payload)) values = payload;
    else if (isJsonBuffer(payload)) values = payload.data;
    if (!values) return undefined;
    if (values.length < 1 || values.length > DIGIT_COUNT) {
        throw new DisplayInputError('invalid-segments', String(values.length), `give 1 to ${DIGIT_COUNT} segment bytes, not ${values.length}`);
    }
    return values.map((v) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
            throw new DisplayInputError('invalid-segments', asText(v), `segment bytes are integers 0 to 255, not ${asText(v)}`);
        }
        return v;
    });
}

function isJsonBuffer(value: unknown): value is { type: 'Buffer'; data: unknown[] } {
    return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer'
        && Array.isArray((value as { data?: unknown }).data);
}
