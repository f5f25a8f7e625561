// The one table `npm run bench` prints: each of our figures beside what it is compared
// with (the original system's way, a floor, a budget or our own other setting) and its
// value, and the ratio ours ÷ value. Written as text to the terminal and as Markdown for
// the README.
import type { Summary } from './stats';

/** µs: CPU time per operation; B: bytes allocated per operation. */
export type Unit = 'ms' | '/s' | 'µs' | 'B' | 'MB' | '';

/** One or two numbers (e.g. p50 / p99) in one unit. */
export interface Figure {
    values: number[];
    unit: Unit;
}

export interface TableRow {
    system: string;
    measurement: string;
    ours: Figure;
    comparedWith: string;
    /** A measured or stated figure, or words when there is no number (e.g. "never"). */
    theirs: Figure | string;
    /** ours ÷ theirs, per value (one value of theirs divides each of ours); null when theirs is words or zero. */
    ratio: number[] | null;
}

export const times = (s: Summary): Figure => ({ values: [s.p50, s.p99], unit: 'ms' });
export const rate = (s: Summary): Figure => ({ values: [s.perSecond], unit: '/s' });
export const ms = (...values: number[]): Figure => ({ values, unit: 'ms' });
export const count = (...values: number[]): Figure => ({ values, unit: '' });
export const megabytes = (...values: number[]): Figure => ({ values, unit: 'MB' });
/** CPU time and V8 heap bytes per operation, as measure() found them (NaN when not measured). */
export const cpu = (s: Summary): Figure => ({ values: [s.cost?.cpuMicros ?? NaN], unit: 'µs' });
export const allocated = (s: Summary): Figure => ({ values: [s.cost?.heapBytes ?? NaN], unit: 'B' });

export function row(system: string, measurement: string, ours: Figure, comparedWith: string, theirs: Figure | string): TableRow {
    let ratio: number[] | null = null;
    if (typeof theirs !== 'string') {
        const pairs = ours.values.map((v, i) => [v, theirs.values[Math.min(i, theirs.values.length - 1)] as number]);
        ratio = pairs.every(([, t]) => t !== 0 && Number.isFinite(t)) ? pairs.map(([v, t]) => (v as number) / (t as number)) : null;
    }
    return { system, measurement, ours, comparedWith, theirs, ratio };
}

function number(value: number, unit: Unit): string {
    if (!Number.isFinite(value)) return '-';
    if (unit === 'ms') {
        if (value < 1) return value.toFixed(3);
        if (value < 10) return value.toFixed(2);
        if (value < 100) return value.toFixed(1);
        return value.toFixed(0);
    }
    if (unit === 'MB') return value.toFixed(1);
    if (unit === 'µs') return value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
    return Math.round(value).toLocaleString('en-US');
}

function formatFigure(figure: Figure | string): string {
    if (typeof figure === 'string') return figure;
    const text = figure.values.map((v) => number(v, figure.unit)).join(' / ');
    return figure.unit ? `${text} ${figure.unit}` : text;
}

function formatRatio(ratio: number[] | null): string {
    if (!ratio) return '-';
    return ratio.map((r) => {
        if (r === 0) return '0';
        return r >= 100 ? `${Math.round(r)}x` : `${r.toPrecision(2)}x`;
    }).join(' / ');
}

const HEADINGS = ['System', 'Measurement', 'Ours', 'Compared with', 'Value', 'Ours ÷ value'];

function cells(r: TableRow): string[] {
    return [r.system, r.measurement, formatFigure(r.ours), r.comparedWith, formatFigure(r.theirs), formatRatio(r.ratio)];
}

/** Fixed-width columns for a terminal; a system's name is shown on its first row only. */
export function textTable(rows: TableRow[]): string {
    const body = rows.map((r, i) => {
        const c = cells(r);
        if (i > 0 && rows[i - 1]?.system === r.system) c[0] = '';
        return c;
    });
    const widths = HEADINGS.map((h, col) => Math.max(h.length, ...body.map((c) => (c[col] as string).length)));
    const line = (c: string[]) => c.map((text, col) => (col === 2 || col === 4 || col === 5
        ? text.padStart(widths[col] as number) : text.padEnd(widths[col] as number))).join('  ').trimEnd();
    return [line(HEADINGS), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function markdownTable(rows: TableRow[]): string {
    const escape = (text: string) => text.replace(/\|/g, '\\|');
    const lines = [
        `| ${HEADINGS.join(' | ')} |`,
        '|---|---|--:|---|--:|--:|',
        ...rows.map((r) => `| ${cells(r).map(escape).join(' | ')} |`),
    ];
    return `${lines.join('\n')}\n`;
}
