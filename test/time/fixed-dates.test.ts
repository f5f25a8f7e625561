// No test may depend on the date it runs. Times handed to the product come from the clock
// the test runs under (Redis TIME for what Redis decides, Date.now() for what Node does);
// a calendar date written into a test ages until the day the product's retention or expiry
// catches up with it, and main turns red (it did: pictures given a capture time in November
// were evicted by the one-day retention in December). A fixed date that must stay (an
// original picture's id, a parser case) says so in a comment containing "fixed date:" with
// the reason nothing ages it, on its line or in the comment lines just above; a number that
// only looks like a date says "not a date:" and what it is.
import assert from 'assert';
import fs from 'fs';
import path from 'path';

const ROOT = path.join(__dirname, '..', '..', '..');
const SCANNED = ['test', 'bench'];
const MARKER = /fixed date:|not a date:/i;

// fixed date: the bounds of what looks like a date, unix seconds from the first 10-digit
// second (in 2001) to 2100-01-01; nothing is timed by them.
const SECONDS = { min: 1_000_000_000, max: 4_102_444_800 };
// A run of digits (with numeric separators) that is not part of a word, a hex string or a decimal.
const DIGIT_RUN = /(?<![\w.])\d[\d_]*(?![\w])/g;
// A calendar date in those years: ISO text, or Date.UTC / new Date with a year.
const YEAR = '20(?:0[1-9]|[1-9]\\d)';
const CALENDAR = new RegExp(`\\b${YEAR}-[01]\\d-[0-3]\\d(?!\\d)|Date\\.UTC\\(\\s*${YEAR}\\b|new Date\\(\\s*${YEAR}\\s*,`);

/** Why this line holds a fixed date, or undefined when it holds none. */
export function fixedDateIn(line: string): string | undefined {
    for (const [run] of line.matchAll(DIGIT_RUN)) {
        const digits = run.replace(/_/g, '');
        const n = Number(digits);
        if (digits.length === 10 && n >= SECONDS.min && n < SECONDS.max) return `${run} (unix seconds)`;
        if (digits.length === 13 && n >= SECONDS.min * 1000 && n < SECONDS.max * 1000) return `${run} (unix ms)`;
    }
    const calendar = CALENDAR.exec(line);
    return calendar ? `${calendar[0]} (a calendar date)` : undefined;
}

const isComment = (line: string) => /^\s*(\/\/|\*|\/\*)/.test(line);

/** Lines holding a fixed date with no "fixed date:" comment on them or just above them. */
export function unexplainedDates(text: string): Array<{ line: number; found: string }> {
    const lines = text.split('\n');
    const out: Array<{ line: number; found: string }> = [];
    lines.forEach((line, i) => {
        const found = fixedDateIn(line);
        if (!found || MARKER.test(line)) return;
        for (let j = i - 1; j >= 0 && isComment(lines[j]); j--) if (MARKER.test(lines[j])) return;
        out.push({ line: i + 1, found });
    });
    return out;
}

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === 'results' ? [] : sources(p);
        return /\.(ts|js|json)$/.test(e.name) ? [p] : [];
    });
}

describe('test sources hold no unexplained fixed date', function () {
    it('finds epoch times and calendar dates, and only those', function () {
        // fixed date: sample lines for the finder; nothing runs them.
        for (const line of ["timestamp: 1795300000000 + i * 1000", "'1681844748'", "id: '1795300000123-7'", 'at = 1_795_300_000_000',
            "parseTime('2026-01-02T03:04:05Z')", 'new Date(2026, 4, 17)', 'Date.UTC(2026, 0, 2)']) { // fixed date: as above
            assert.ok(fixedDateIn(line), `missed in ${line}`);
        }
        for (const line of ['maxBytes: 104857600', 'Date.UTC(1970, 0, 2)', "'1970-01-02T00:00:00Z'", 'new Date(2000, 0, 2)', "card: 'AB1795300000123'", 'const n = 4102444800', 'x = 999999999', "seq: '000000000018'",
            'min: 1e12, max: 9e12', '0.1795300000', 'port 1700000000000000', "id: 'C0FFEE01'"]) {
            assert.strictEqual(fixedDateIn(line), undefined, `flagged ${line}`);
        }
        // fixed date: sample sources for the finder, as above.
        assert.deepStrictEqual(unexplainedDates('// fixed date: an original id; nothing ages it\nconst ID = \'1681844748\';\n'), []);
        assert.deepStrictEqual(unexplainedDates('const ID = \'1681844748\'; // fixed date: a parser case\n'), []);
        // fixed date: as above.
        assert.deepStrictEqual(unexplainedDates('// an original id\nconst ID = \'1681844748\';\n'), [{ line: 2, found: '1681844748 (unix seconds)' }]);
    });

    it(`in ${SCANNED.join('/ and ')}/`, function () {
        const offenders = SCANNED.flatMap((dir) => sources(path.join(ROOT, dir)))
            .flatMap((file) => unexplainedDates(fs.readFileSync(file, 'utf8'))
                .map(({ line, found }) => `${path.relative(ROOT, file)}:${line}: ${found}`));
        assert.deepStrictEqual(offenders, [], 'derive the time from the clock the test runs under, or say "fixed date:" and why nothing ages it');
    });
});
