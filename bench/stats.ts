// Latency summaries for the benchmarks and the soak, and what both write beside their
// figures: the machine they ran on and the folder the results go to.
import os from 'os';
import path from 'path';
import { REPO_ROOT } from '../scripts/demo/paths';
import { Cost, startCost } from './cost';

/** bench/results in the repository (not under dist/), where npm run bench and npm run soak write. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

/** Bytes in a megabyte, as the bench's memory figures count them. */
export const MB = 1024 * 1024;

/** The machine a run's figures come from, written beside them. */
export function thisMachine(): { cpus: number; model: string | undefined; node: string; date: string } {
    return { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, date: new Date().toISOString() };
}

export interface Summary {
    ops: number;
    perSecond: number;
    p50: number;
    p99: number;
    /** What each operation cost this process (see cost.ts); measure() gives it, a summary of timings alone does not. */
    cost?: Cost;
}

/** The value at rank floor(q * n) of the sorted values (the last for q near 1); NaN for none. */
export function percentile(values: number[], q: number): number {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export function median(values: number[]): number {
    return percentile(values, 0.5);
}

/** Math.max without spreading: a day's taps are too many arguments for one call. -Infinity for none. */
export function max(values: number[]): number {
    return values.reduce((m, v) => (v > m ? v : m), -Infinity);
}

/** Math.min without spreading; Infinity for none. */
export function min(values: number[]): number {
    return values.reduce((m, v) => (v < m ? v : m), Infinity);
}

export function summarise(latenciesMs: number[], elapsedMs: number): Summary {
    const ops = latenciesMs.length;
    return { ops, perSecond: (ops / elapsedMs) * 1000, p50: percentile(latenciesMs, 0.5), p99: percentile(latenciesMs, 0.99) };
}

/**
 * Runs `op` n times with `concurrency` in flight and records each one's latency and its
 * cost (CPU, heap allocated), after a tenth as many unrecorded runs so that JIT warm-up
 * and first connections are not counted.
 */
export async function measure(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<Summary> {
    for (let i = 0; i < Math.ceil(n / 10); i++) await op(n + i);
    const latencies: number[] = [];
    let next = 0;
    const cost = startCost();
    const started = performance.now();
    const worker = async () => {
        while (next < n) {
            const i = next++;
            const t0 = performance.now();
            await op(i);
            latencies.push(performance.now() - t0);
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsed = performance.now() - started;
    return { ...summarise(latencies, elapsed), cost: cost.stop(n) };
}

/** What is being measured now, on stderr, so that stdout holds only the table. */
export function progress(text: string): void {
    process.stderr.write(`  ${text}\n`);
}
