import assert from 'assert/strict';
import { contentOf, contentText, DisplayInputError, numberContent, OverflowPolicy, textContent } from '../../../nodes/lib/tm1637/content';
import { characterOf, DIGIT_GLYPHS, glyph, textOf } from '../../../nodes/lib/tm1637/segments';

const shown = (payload: unknown, overflow: OverflowPolicy = 'clamp') => contentText(contentOf(payload, overflow));

function failsWith(code: string, fn: () => unknown): void {
    assert.throws(fn, (err: unknown) => err instanceof DisplayInputError && err.code === code);
}

describe('tm1637 segments and content', () => {
    it('uses the datasheet glyphs: bit0 = segment a ... bit6 = g', () => {
        assert.deepEqual(DIGIT_GLYPHS, [0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f]);
        assert.deepEqual(['A', 'b', 'C', 'd', 'E', 'F', '-', ' '].map(glyph), [0x77, 0x7c, 0x39, 0x5e, 0x79, 0x71, 0x40, 0x00]);
    });

    it('maps a letter with one glyph from either case, and keeps both where there are two', () => {
        assert.equal(glyph('a'), glyph('A'));
        assert.equal(glyph('B'), glyph('b'));
        assert.notEqual(glyph('c'), glyph('C'));
        assert.notEqual(glyph('h'), glyph('H'));
        for (const impossible of ['K', 'm', 'W', 'x', 'Z', '?', '#']) assert.equal(glyph(impossible), undefined, impossible);
    });

    it('reads glyphs back as characters, digits first where a letter looks the same', () => {
        for (const char of '0123456789AbCcdEFGHhIiJLnoPqrtUuy-_ ') assert.equal(characterOf(glyph(char) as number), char);
        assert.equal(characterOf(glyph('O') as number), '0');
        assert.equal(characterOf(glyph('S') as number), '5');
        assert.equal(characterOf(0x49), '?');
        assert.equal(textOf([0x00, 0x06 | 0x80, 0x5b, 0x4f | 0x80]), ' 1:23.');
    });

    it('right-aligns integers with a minus sign', () => {
        assert.deepEqual(numberContent(42, 'clamp').segments, [0x00, 0x00, 0x66, 0x5b]);
        assert.equal(shown(0), '   0');
        assert.equal(shown(-5), '  -5');
        assert.equal(shown(9999), '9999');
        assert.equal(shown(-999), '-999');
    });

    it('rounds non-integers to the nearest integer, never showing -0', () => {
        assert.equal(shown(2.5), '   3');
        assert.equal(shown(41.7), '  42');
        assert.equal(shown(-0.4), '   0');
    });

    it('applies the overflow policy beyond four digits', () => {
        assert.equal(shown(10000), '9999');
        assert.equal(shown(123456789), '9999');
        assert.equal(shown(-1000), '-999');
        assert.equal(shown(10000, 'dashes'), '----');
        assert.equal(shown(-1000, 'dashes'), '----');
        failsWith('overflow', () => contentOf(10000, 'error'));
        failsWith('overflow', () => contentOf('-1000', 'error'));
        assert.equal(shown(9999, 'error'), '9999');
    });

    it('refuses numbers that are not numbers', () => {
        failsWith('invalid-number', () => contentOf(NaN, 'clamp'));
        failsWith('invalid-number', () => contentOf(Infinity, 'clamp'));
    });

    it('treats integer strings as numbers', () => {
        assert.equal(shown('42'), '  42');
        assert.equal(shown(' -7 '), '  -7');
        assert.equal(shown('0042'), '  42');
        assert.equal(shown('12345'), '9999');
    });

    it('left-aligns short text; a colon or point lights bit 7 of the character before it', () => {
        assert.equal(shown('HOLd'), 'HOLd');
        assert.deepEqual(contentOf('HOLd', 'clamp').segments, [0x76, 0x3f, 0x38, 0x5e]);
        assert.equal(shown('Err'), 'Err ');
        assert.deepEqual(contentOf('12:34', 'clamp').segments, [0x06, 0x5b | 0x80, 0x4f, 0x66]);
        assert.equal(shown('12:34'), '12:34');
        assert.deepEqual(textContent('1.5').segments, [0x06 | 0x80, 0x6d, 0, 0]);
        assert.deepEqual(textContent('.5').segments, [0x80, 0x6d, 0, 0]);
        assert.deepEqual(textContent('1..').segments, [0x86, 0x80, 0, 0]);
    });

    it('refuses text a 7-segment display cannot show, or that needs more than four digits', () => {
        failsWith('unknown-character', () => contentOf('OK', 'clamp'));
        assert.throws(() => contentOf('Wow', 'clamp'), /"W" cannot be shown/);
        failsWith('too-long', () => contentOf('HELLO', 'clamp'));
        failsWith('too-long', () => contentOf('12:345', 'clamp'));
        assert.equal(shown('8.8.8.8.'), '8.8.8.8.', 'the text keeps the marks as typed');
    });

    it('takes 1 to 4 raw segment bytes from a Buffer, an array or a Buffer as JSON', () => {
        const hell = contentOf(Buffer.from([0x76, 0x79, 0x38, 0x38]), 'clamp');
        assert.deepEqual(hell.segments, [0x76, 0x79, 0x38, 0x38]);
        assert.equal(contentText(hell), 'HELL');
        assert.deepEqual(contentOf([0x40], 'clamp').segments, [0x40, 0, 0, 0]);
        assert.deepEqual(contentOf({ type: 'Buffer', data: [0x3f, 0x86] }, 'clamp').segments, [0x3f, 0x86, 0, 0]);
        assert.equal(shown([0x3f, 0x86]), '01:  ');
        failsWith('invalid-segments', () => contentOf([1, 2, 3, 4, 5], 'clamp'));
        failsWith('invalid-segments', () => contentOf([], 'clamp'));
        failsWith('invalid-segments', () => contentOf([256], 'clamp'));
        failsWith('invalid-segments', () => contentOf(['3f'], 'clamp'));
    });

    it('blanks the display for null or an empty string, and refuses other types', () => {
        assert.deepEqual(contentOf(null, 'clamp').segments, [0, 0, 0, 0]);
        assert.equal(shown(''), '    ');
        failsWith('invalid-payload', () => contentOf(true, 'clamp'));
        failsWith('invalid-payload', () => contentOf({ value: 1 }, 'clamp'));
    });
});
