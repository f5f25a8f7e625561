// HTTP details of serving immutable images: validators, conditional requests and byte
// ranges (RFC 9110). Kept free of Express so that they can be tested on their own.

export interface ByteRange {
    start: number;
    /** Inclusive. */
    end: number;
}

/**
 * Parses a Range header for a body of `size` bytes.
 * undefined: no usable Range (absent, not bytes, malformed, or several ranges) → send all;
 * 'unsatisfiable': → 416; otherwise the one range to send with 206.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
    if (!header) return undefined;
    const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header.trim());
    if (!match || (match[1] === '' && match[2] === '')) return undefined;
    if (match[1] === '') {
        // Suffix range: the last n bytes.
        const n = Number(match[2]);
        if (n === 0 || size === 0) return 'unsatisfiable';
        return { start: Math.max(0, size - n), end: size - 1 };
    }
    const start = Number(match[1]);
    const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
    if (!Number.isSafeInteger(start) || start >= size) return 'unsatisfiable';
    if (end < start) return undefined; // syntactically invalid (last < first): ignored, per RFC 9110
    return { start, end };
}

/** True when an If-None-Match header matches the entity tag (weak comparison, or *). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
    if (!ifNoneMatch) return false;
    const bare = (tag: string) => tag.trim().replace(/^W\//, '');
    return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/** An entity tag for an id: ids are never reused, so the id names the bytes. */
export function etagForId(id: string, variant: 'image' | 'thumb'): string {
    return `"${id}${variant === 'thumb' ? '-thumb' : ''}"`;
}

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Parses a time query parameter: unix ms, or an ISO date/time. undefined when absent or invalid. */
export function parseTime(value: unknown): number | undefined {
    if (typeof value !== 'string' || value === '') return undefined;
    const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isFinite(n) ? n : undefined;
}

/** Parses a lux query parameter: a number of at least 0. undefined when absent or invalid. */
export function parseLux(value: unknown): number | undefined {
    if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value)) return undefined;
    return Number(value);
}
