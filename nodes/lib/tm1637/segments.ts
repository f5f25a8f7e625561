// Seven-segment glyphs as the TM1637 takes them: bit0 segment a (top) ... bit6 g (middle),
// bit7 the point after the digit, which on the common 4-digit clock modules is wired only on
// the second digit, as the colon. Text is turned into one byte per digit here and read back
// into characters (for the simulated display and msg.display.text).

export const DIGIT_COUNT = 4;
/** The digit whose bit 7 is the colon on clock modules. */
export const COLON_DIGIT = 1;
export const POINT = 0x80;
export const BLANK = 0x00;
export const MINUS = 0x40;

export const DIGIT_GLYPHS = [0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f];

/**
 * Characters a 7-segment digit can show recognisably. Where a letter has one glyph, the other
 * case maps to it (a → A, B → b); C/c, H/h, I/i, O/o and U/u have a glyph for each case.
 * K, M, V, W, X and Z have none. Order matters for reading back: the first character wins.
 */
const GLYPHS: Array<[string, number]> = [
    ...DIGIT_GLYPHS.map((byte, digit): [string, number] => [String(digit), byte]),
    [' ', BLANK], ['-', MINUS], ['_', 0x08], ['=', 0x48], ['°', 0x63],
    ['A', 0x77], ['b', 0x7c], ['C', 0x39], ['c', 0x58], ['d', 0x5e], ['E', 0x79], ['F', 0x71], ['G', 0x3d],
    ['H', 0x76], ['h', 0x74], ['I', 0x30], ['i', 0x10], ['J', 0x1e], ['L', 0x38], ['n', 0x54], ['O', 0x3f],
    ['o', 0x5c], ['P', 0x73], ['q', 0x67], ['r', 0x50], ['S', 0x6d], ['t', 0x78], ['U', 0x3e], ['u', 0x1c],
    ['y', 0x6e],
];

const BY_CHAR = new Map(GLYPHS);
const BY_BYTE = new Map<number, string>();
for (const [char, byte] of GLYPHS) if (!BY_BYTE.has(byte)) BY_BYTE.set(byte, char);

/** The glyph for one character, or undefined when a 7-segment digit cannot show it. */
export function glyph(char: string): number | undefined {
    return BY_CHAR.get(char) ?? BY_CHAR.get(char.toUpperCase()) ?? BY_CHAR.get(char.toLowerCase());
}

/** Reads one digit's segments back as a character ('?' for a pattern that is no character). */
export function characterOf(byte: number): string {
    return BY_BYTE.get(byte & ~POINT) ?? '?';
}

/** The mark bit 7 stands for at this position: the colon after the second digit, a point elsewhere. */
function pointMark(position: number): string {
    return position === COLON_DIGIT ? ':' : '.';
}

/** Reads one digit's segments at this position as text: its character, then its point or colon if lit. */
export function cellText(byte: number, position: number): string {
    return characterOf(byte) + (byte & POINT ? pointMark(position) : '');
}

/** Reads four digits' segments as text, e.g. [0, 0x06|0x80, 0x5b, 0x4f] → " 1:23". */
export function textOf(segments: readonly number[]): string {
    return segments.map(cellText).join('');
}
