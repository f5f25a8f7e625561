// The soak's printed lines and its verdicts: one line per interval, then a summary of
// memory (first, last, max, trend after warm-up) and tap latency per interval.
import { median } from '../stats';

export interface IntervalRow {
    /** Seconds since the traffic started, at the end of the interval. */
    elapsedS: number;
    warmUp: boolean;
    /** Node-RED VmRSS at the end of the interval, and the median of the samples taken in it. */
    rssMb: number;
    rssMedianMb: number;
    /** The lowest V8 used heap in Node-RED sampled in the interval (NaN when no sample answered). */
    heapUsedMb: number;
    cpuPercent: number;
    /** The machine's 1-minute load average: other work competing for the CPUs. */
    load: number;
    redisUsedMb: number;
    decisions: number;
    granted: number;
    denied: number;
    tapP50Ms: number;
    tapP99Ms: number;
    tapMaxMs: number;
    /** p99 of the time between the driver's park and answer nodes (Date.now(), so whole ms). */
    tapInNodeRedP99Ms: number;
    sold: number;
    refusedSales: number;
    presses: number;
    pictures: number;
    imagesKept: number;
    streamLength: number;
    monitorLag: number | undefined;
    errors: number;
    errorKinds: Record<string, number>;
}

const COLUMNS: Array<[string, number, (r: IntervalRow) => string]> = [
    ['elapsed', 8, (r) => `${clock(r.elapsedS)}${r.warmUp ? '*' : ' '}`],
    ['RSS MB', 7, (r) => r.rssMb.toFixed(1)],
    ['heap MB', 8, (r) => fixed(r.heapUsedMb)],
    ['CPU %', 6, (r) => r.cpuPercent.toFixed(0)],
    ['load', 5, (r) => r.load.toFixed(1)],
    ['Redis MB', 9, (r) => r.redisUsedMb.toFixed(1)],
    ['taps', 5, (r) => String(r.decisions)],
    ['p50 ms', 7, (r) => fixed(r.tapP50Ms)],
    ['p99 ms', 7, (r) => fixed(r.tapP99Ms)],
    ['in NR', 6, (r) => fixed(r.tapInNodeRedP99Ms)],
    ['sales', 6, (r) => String(r.sold + r.refusedSales)],
    ['presses', 8, (r) => String(r.presses)],
    ['pictures', 9, (r) => `${r.pictures}`],
    ['kept', 5, (r) => String(r.imagesKept)],
    ['stream', 7, (r) => String(r.streamLength)],
    ['errors', 7, (r) => String(r.errors)],
];

function clock(seconds: number): string {
    const s = Math.round(seconds);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function fixed(ms: number): string {
    if (!Number.isFinite(ms)) return '-';
    return ms < 10 ? ms.toFixed(2) : ms.toFixed(0);
}

export function headerLine(): string {
    return COLUMNS.map(([name, width]) => name.padStart(width)).join(' ');
}

export function intervalLine(row: IntervalRow): string {
    const line = COLUMNS.map(([, width, value]) => value(row).padStart(width)).join(' ');
    const kinds = Object.entries(row.errorKinds).map(([kind, n]) => `${kind} ${n}`).join(', ');
    return kinds ? `${line}   (${kinds})` : line;
}

/** Least-squares slope of ys over xs. */
export function slope(xs: number[], ys: number[]): number {
    const n = xs.length;
    if (n < 2) return 0;
    const mx = xs.reduce((a, b) => a + b, 0) / n;
    const my = ys.reduce((a, b) => a + b, 0) / n;
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
        num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
        den += ((xs[i] as number) - mx) ** 2;
    }
    return den === 0 ? 0 : num / den;
}

export interface Series {
    first: number;
    last: number;
    max: number;
    min: number;
}

export function series(values: number[]): Series {
    return {
        first: values[0] ?? NaN,
        last: values[values.length - 1] ?? NaN,
        max: Math.max(...values),
        min: Math.min(...values),
    };
}

export interface Trend {
    /** MB per minute over the intervals after warm-up (one value per interval). */
    slopeMbPerMin: number;
    /** What that slope adds over the measured stretch after warm-up. */
    growthMb: number;
    /** The growth allowed: 5% of the value's median after warm-up, at least 5 MB. */
    allowedMb: number;
    flat: boolean;
    intervals: number;
}

/** How fast value (in MB, one per interval, e.g. the median RSS) grows after warm-up, and whether that is flat. */
export function trendAfterWarmUp(rows: IntervalRow[], intervalS: number, value: (row: IntervalRow) => number): Trend {
    const steady = rows.filter((r) => !r.warmUp);
    const xs = steady.map((r) => r.elapsedS / 60);
    const ys = steady.map(value);
    const perMin = slope(xs, ys);
    const minutes = steady.length * (intervalS / 60);
    const growthMb = perMin * minutes;
    const allowedMb = Math.max(5, 0.05 * median(ys));
    return { slopeMbPerMin: perMin, growthMb, allowedMb, flat: steady.length >= 2 && growthMb <= allowedMb, intervals: steady.length };
}
