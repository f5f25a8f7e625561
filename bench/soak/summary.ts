// The end of a soak: memory first/last/max and its trend after warm-up, tap latency per
// interval, the checks made once the traffic stopped, and the verdicts, printed and
// returned for bench/results/soak.json.
import type { SoakArgs } from './args';
import { RECORD_TTL_S, RedisBound, STREAM_CAP } from './redis-bound';
import { max, median, min, percentile } from '../stats';
import { IntervalRow, series, trendAfterWarmUp } from './report';
import type { Tally } from './tally';

export interface FinalChecks {
    counter: {
        increments: number;
        decrements: number;
        unsureIncrements: number;
        unsureDecrements: number;
        expected: number;
        low: number;
        high: number;
        count: number | undefined;
        streamLast: number | undefined;
        streamEvents: number;
        ok: boolean;
    };
    monitor: { lag: number | undefined; pending: number | undefined; ok: boolean };
}

export interface SummaryInput {
    args: SoakArgs;
    rows: IntervalRow[];
    totals: Tally;
    elapsedS: number;
    twoHourSold: number;
    checks: FinalChecks;
    bound: RedisBound;
    log: { errors: number; warnings: number };
}

function fmt(n: number | undefined, digits = 1): string {
    return n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

export function summariseSoak(input: SummaryInput, say: (line?: string) => void) {
    const { args, rows, totals, checks, bound } = input;
    const rss = series(rows.map((r) => r.rssMb));
    const trend = trendAfterWarmUp(rows, args.intervalS, (r) => r.rssMedianMb);
    const heap = series(rows.map((r) => r.heapUsedMb));
    const heapTrend = trendAfterWarmUp(rows, args.intervalS, (r) => r.heapUsedMb);
    const redisMb = series(rows.map((r) => r.redisUsedMb));
    const p99 = rows.map((r) => r.tapP99Ms);
    const steadyP99 = rows.filter((r) => !r.warmUp).map((r) => r.tapP99Ms);
    const pictures = rows.reduce((sum, r) => sum + r.pictures, 0);
    const kept = rows[rows.length - 1]?.imagesKept ?? 0;
    const taps = {
        decisions: totals.decisions, granted: totals.granted, denied: totals.denied, denials: totals.denials,
        p50Ms: percentile(totals.tapLatenciesMs, 0.5), p99Ms: percentile(totals.tapLatenciesMs, 0.99), maxMs: max(totals.tapLatenciesMs),
        inNodeRedP50Ms: percentile(totals.tapInNodeRedMs, 0.5), inNodeRedP99Ms: percentile(totals.tapInNodeRedMs, 0.99),
        sentLateP50Ms: percentile(totals.tapSentLateMs, 0.5), sentLateP99Ms: percentile(totals.tapSentLateMs, 0.99),
    };
    const verdicts = {
        rssFlat: trend.flat,
        redisWithinBound: redisMb.max <= bound.boundMb,
        // Steady: no interval after warm-up has a p99 over twice their median.
        p99Steady: steadyP99.length >= 2 && max(steadyP99) <= 2 * median(steadyP99),
        counterConsistent: checks.counter.ok,
        monitorCaughtUp: checks.monitor.ok,
        noErrors: totals.errorCount === 0,
    };
    const ok = Object.values(verdicts).every(Boolean);

    const mark = (good: boolean) => (good ? 'yes' : 'NO');
    const c = checks.counter;
    const range = c.low === c.high ? `${c.expected}`
        : `${c.low}..${c.high} (${c.unsureIncrements} increments and ${c.unsureDecrements} decrements unanswered)`;
    const list = (counts: Record<string, number>) => Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ');
    say();
    say(`Summary: ${fmt(input.elapsedS / 60)} min of traffic, intervals of ${args.intervalS} s, warm-up ${args.warmupS} s (* above)`);
    say(`  Node-RED RSS MB     first ${fmt(rss.first)}, last ${fmt(rss.last)}, max ${fmt(rss.max)}; after warm-up ${fmt(trend.slopeMbPerMin, 2)} MB/min ` +
        `over ${trend.intervals} intervals = ${fmt(trend.growthMb)} MB (allowed ${fmt(trend.allowedMb)}): flat ${mark(trend.flat)}`);
    say(`  Node-RED heap MB    first ${fmt(heap.first)}, last ${fmt(heap.last)}, max ${fmt(heap.max)}; after warm-up ${fmt(heapTrend.slopeMbPerMin, 2)} MB/min ` +
        '(lowest used V8 heap in each interval: what a leak would grow)');
    say(`  Redis used MB       first ${fmt(redisMb.first)}, last ${fmt(redisMb.last)}, max ${fmt(redisMb.max)}; bound ${fmt(bound.boundMb)} ` +
        `= before traffic ${fmt(bound.baselineMb)} + 1.1 x (pictures ${bound.picturesAtCap} x ${fmt((bound.pictureBytes ?? 0) / 1024)} KB = ${fmt(bound.picturesMb)}` +
        ` + stream ${STREAM_CAP.toLocaleString('en-US')} x ${fmt(bound.streamEntryBytes, 0)} B = ${fmt(bound.streamMb)} + ${RECORD_TTL_S / 60} min of tap/sale records x ${fmt(bound.recordBytes, 0)} B = ${fmt(bound.recordsMb)}` +
        ` + passes ${fmt(bound.passesMb)}): within ${mark(verdicts.redisWithinBound)}`);
    say(`  Tap p99 ms          per interval ${p99.map((v) => fmt(v, v < 10 ? 1 : 0)).join(', ')}`);
    say(`                      min ${fmt(min(p99))}, max ${fmt(max(p99))}; after warm-up median ${fmt(median(steadyP99))}, max ${fmt(max(steadyP99))}: ` +
        `steady ${mark(verdicts.p99Steady)}`);
    say(`  Taps                ${taps.decisions} decisions: granted ${taps.granted}, denied ${taps.denied} (${list(taps.denials)}); ` +
        `p50 ${fmt(taps.p50Ms, 2)} ms, p99 ${fmt(taps.p99Ms, 1)} ms, max ${fmt(taps.maxMs, 0)} ms; ` +
        `of which between the driver's nodes in Node-RED p50 ${fmt(taps.inNodeRedP50Ms, 0)} ms, p99 ${fmt(taps.inNodeRedP99Ms, 0)} ms, ` +
        `and sent late by the soak p50 ${fmt(taps.sentLateP50Ms, 1)} ms, p99 ${fmt(taps.sentLateP99Ms, 1)} ms`);
    say(`  Sales               sold ${totals.sold} (two hour ${input.twoHourSold}), refused ${totals.refusedSales}`);
    say(`  Counter             ${totals.presses} presses answered (+${c.increments} -${c.decrements}); count ${c.count}, expected ${range}; ` +
        `event stream's last ${c.streamLast} after ${c.streamEvents} events: consistent ${mark(c.ok)}`);
    say(`  Camera              ${pictures} pictures stored in ${fmt(input.elapsedS, 0)} s (one due every ${args.cameraIntervalS} s); ` +
        `${kept} kept (cap ${bound.picturesAtCap})`);
    say(`  Monitor             lag ${checks.monitor.lag}, pending ${checks.monitor.pending} after the traffic: caught up ${mark(checks.monitor.ok)}`);
    say(`  Errors              ${totals.errorCount}${totals.errorCount ? ` (${list(totals.errors)})` : ''}; ` +
        `Node-RED log: ${input.log.errors} error and ${input.log.warnings} warning lines in all`);
    say(`  Verdict             ${ok ? 'PASS' : `FAIL (${Object.entries(verdicts).filter(([, v]) => !v).map(([k]) => k).join(', ')})`}`);
    return {
        nodeRedRssMb: { ...rss, trend },
        nodeRedHeapUsedMb: { ...heap, trend: heapTrend },
        redisUsedMb: { ...redisMb, bound },
        tapP99MsPerInterval: p99,
        tapP99Ms: { min: min(p99), max: max(p99), steadyMedian: median(steadyP99), steadyMax: max(steadyP99) },
        taps,
        sales: { sold: totals.sold, twoHour: input.twoHourSold, refused: totals.refusedSales },
        counter: checks.counter,
        camera: { pictures, kept, cap: bound.picturesAtCap },
        monitor: checks.monitor,
        errors: { count: totals.errorCount, kinds: totals.errors },
        verdicts: { ...verdicts, ok },
    };
}
