// `npm run soak`: every shipped flow in a real Node-RED process against a private
// redis-server with an append-only file (the demo's stack, scripts/demo), under ten times
// the original systems' traffic: 250 taps a minute at the entry gate with sales keeping
// cards supplied, 10 counter presses a second, one picture a second. Every interval it
// prints Node-RED's resident memory, Redis' used_memory and tap decision latency; at the
// end a summary with verdicts, also written to bench/results/soak.json.
import fs from 'fs';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import { REPO_ROOT } from '../scripts/demo/paths';
import { DemoStack, startDemoStack } from '../scripts/demo/stack';
import { freePort } from '../test/support/redis-process';
import { parseArgs, SoakArgs } from './soak/args';
import { FlowFacts, flowFacts, HEAP_PATH, soakFlows } from './soak/flows';
import { NodeRedLog } from './soak/node-red-log';
import { RedisSample, sampleProcess, sampleRedis } from './soak/probe';
import { redisBound } from './soak/redis-bound';
import { headerLine, IntervalRow, intervalLine } from './soak/report';
import { FinalChecks, summariseSoak } from './soak/summary';
import { Recorder } from './soak/tally';
import { Traffic } from './soak/traffic';
import { max, MB, median, percentile, RESULTS_DIR, thisMachine } from './stats';

/** Ten times the original: a gate sees about 25 taps a minute, and a person presses about once a second. */
const TAPS_PER_MINUTE = 250;
const PRESSES_PER_SECOND = 10;
const SAMPLE_EVERY_MS = 2000;

function say(line = ''): void {
    process.stdout.write(`${line}\n`);
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Run {
    args: SoakArgs;
    redis: Redis;
    pid: number;
    facts: FlowFacts;
    stopRequested: () => boolean;
}

/** V8's used heap in Node-RED (through the soak's probe flow); NaN when it cannot say. */
async function heapUsedMb(traffic: Traffic): Promise<number> {
    try {
        const reply = await traffic.request('GET', HEAP_PATH);
        const used = (reply.body as { usedHeapSize?: unknown }).usedHeapSize;
        return typeof used === 'number' ? used / MB : NaN;
    } catch {
        return NaN;
    }
}

async function soak(run: Run, recorder: Recorder, traffic: Traffic) {
    const { args, redis, pid, facts } = run;
    const before = await sampleRedis(redis, facts);
    const startProcess = sampleProcess(pid);
    say(`Node-RED pid ${pid}: RSS ${(startProcess.rssBytes / MB).toFixed(1)} MB before the traffic; ` +
        `Redis used_memory ${(before.usedMemory / MB).toFixed(1)} MB`);
    say(`traffic: ${TAPS_PER_MINUTE} taps/min at the gate, sales keeping cards supplied, ${PRESSES_PER_SECOND} counter presses/s, ` +
        `a picture every ${args.cameraIntervalS} s; ${args.minutes} min, a line every ${args.intervalS} s (* = warm-up)`);
    say();
    say(headerLine());

    await traffic.start();
    const started = performance.now();
    const rows: IntervalRow[] = [];
    const rssSamples: Array<[number, number]> = [];
    let previous: RedisSample = before;
    let previousProcess = startProcess;
    let intervalStart = started;
    const intervals = Math.max(1, Math.round((args.minutes * 60) / args.intervalS));
    for (let i = 1; i <= intervals && !run.stopRequested(); i++) {
        const end = started + i * args.intervalS * 1000;
        const rss: number[] = [];
        const heap: number[] = [];
        let last = previousProcess;
        while (performance.now() < end && !run.stopRequested()) {
            await sleep(Math.min(SAMPLE_EVERY_MS, Math.max(0, end - performance.now())));
            last = sampleProcess(pid);
            rss.push(last.rssBytes / MB);
            rssSamples.push([Math.round((performance.now() - started) / 1000), Math.round((last.rssBytes / MB) * 10) / 10]);
            const used = await heapUsedMb(traffic);
            if (Number.isFinite(used)) heap.push(used);
        }
        const tally = recorder.rotate();
        const sample = await sampleRedis(redis, facts);
        const now = performance.now();
        const row: IntervalRow = {
            elapsedS: (now - started) / 1000,
            warmUp: (i - 1) * args.intervalS < args.warmupS,
            rssMb: last.rssBytes / MB,
            rssMedianMb: median(rss.length ? rss : [last.rssBytes / MB]),
            // The lowest used heap seen in the interval: close to what survives garbage collection.
            heapUsedMb: heap.length ? Math.min(...heap) : NaN,
            cpuPercent: (100 * (last.cpuSeconds - previousProcess.cpuSeconds)) / ((now - intervalStart) / 1000),
            load: os.loadavg()[0] ?? NaN,
            redisUsedMb: sample.usedMemory / MB,
            decisions: tally.decisions,
            granted: tally.granted,
            denied: tally.denied,
            tapP50Ms: percentile(tally.tapLatenciesMs, 0.5),
            tapP99Ms: percentile(tally.tapLatenciesMs, 0.99),
            tapMaxMs: max(tally.tapLatenciesMs),
            tapInNodeRedP99Ms: percentile(tally.tapInNodeRedMs, 0.99),
            sold: tally.sold,
            refusedSales: tally.refusedSales,
            presses: tally.presses,
            pictures: sample.imageSeq - previous.imageSeq,
            imagesKept: sample.images,
            streamLength: sample.streamLength,
            monitorLag: sample.monitorLag,
            errors: tally.errorCount,
            errorKinds: tally.errors,
        };
        previous = sample;
        previousProcess = last;
        intervalStart = now;
        rows.push(row);
        say(intervalLine(row));
    }
    const elapsedS = (performance.now() - started) / 1000;
    await traffic.stop();
    return { rows, rssSamples, elapsedS, before };
}

/**
 * After the traffic: the counter, its event stream and the monitor must have caught up.
 * Also returns the last Redis sample, which the memory bound reads its counts from.
 */
async function finalChecks(run: Run, traffic: Traffic): Promise<{ checks: FinalChecks; last: RedisSample }> {
    const expected = traffic.increments - traffic.decrements;
    const reply = await traffic.request('GET', '/counter');
    const value = (reply.body as { value?: unknown }).value;
    const count = typeof value === 'number' ? value : undefined;
    const deadline = Date.now() + 10000;
    let monitor = await sampleRedis(run.redis, run.facts);
    while (Date.now() < deadline && (traffic.watch?.lastCount !== count || monitor.monitorLag || monitor.monitorPending)) {
        await sleep(250);
        monitor = await sampleRedis(run.redis, run.facts);
    }
    // Unanswered presses may have counted or not: the count must lie between the extremes.
    const low = expected - traffic.unsureDecrements;
    const high = expected + traffic.unsureIncrements;
    const checks: FinalChecks = {
        counter: {
            increments: traffic.increments, decrements: traffic.decrements,
            unsureIncrements: traffic.unsureIncrements, unsureDecrements: traffic.unsureDecrements,
            expected, low, high, count, streamLast: traffic.watch?.lastCount, streamEvents: traffic.watch?.events ?? 0,
            ok: count !== undefined && count >= low && count <= high && traffic.watch?.lastCount === count,
        },
        monitor: { lag: monitor.monitorLag, pending: monitor.monitorPending, ok: monitor.monitorLag === 0 && monitor.monitorPending === 0 },
    };
    return { checks, last: monitor };
}

async function runSoak(args: SoakArgs, stack: DemoStack, log: NodeRedLog, stopRequested: () => boolean): Promise<boolean> {
    const redis = new Redis(stack.redis.port, stack.redis.host, { maxRetriesPerRequest: 2 });
    try {
        const pid = stack.nodeRed.pid;
        if (pid === undefined) throw new Error('Node-RED has no process id');
        const facts = flowFacts(stack.flows);
        const run: Run = { args, redis, pid, facts, stopRequested };
        const recorder = new Recorder();
        log.onError = (line) => recorder.error('Node-RED log [error]', line.slice(0, 300));
        const traffic = new Traffic({
            baseUrl: stack.nodeRed.baseUrl, tapsPerMinute: TAPS_PER_MINUTE, pressesPerSecond: PRESSES_PER_SECOND,
            repeatWindowMs: facts.repeatWindowMs, recorder,
        });
        // Let the flows connect and the first picture land before the traffic starts.
        await sleep(3000);
        const result = await soak(run, recorder, traffic);
        await sleep(1000);
        const { checks, last } = await finalChecks(run, traffic);
        traffic.close();
        const totals = recorder.totals;
        const bound = await redisBound(redis, {
            ...facts, baselineBytes: result.before.usedMemory, last,
            opsPerSecond: (totals.decisions + totals.sold + totals.refusedSales) / result.elapsedS,
            twoHourSalesPerSecond: traffic.twoHourSold / result.elapsedS,
            supply: traffic.riders.supplied,
        });
        const summary = summariseSoak({
            args, rows: result.rows, totals, elapsedS: result.elapsedS, twoHourSold: traffic.twoHourSold, checks, bound, log,
        }, say);
        const out = path.join(RESULTS_DIR, 'soak.json');
        fs.writeFileSync(out, `${JSON.stringify({
            machine: thisMachine(),
            options: { ...args, tapsPerMinute: TAPS_PER_MINUTE, pressesPerSecond: PRESSES_PER_SECOND },
            elapsedS: result.elapsedS,
            intervals: result.rows,
            rssSamplesMb: result.rssSamples,
            summary,
            errorExamples: recorder.examples,
            nodeRedLog: { file: path.relative(REPO_ROOT, log.file), errors: log.errors, warnings: log.warnings, examples: log.examples },
        }, null, 2)}\n`);
        say(`\nwritten to ${path.relative(process.cwd(), out)}; Node-RED's log in ${path.relative(process.cwd(), log.file)}`);
        return summary.verdicts.ok;
    } finally {
        redis.disconnect();
    }
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-soak-'));
    const log = new NodeRedLog(path.join(RESULTS_DIR, 'soak-node-red.log'));
    const starting = new AbortController();
    let stopRequested = false;
    const onSignal = () => {
        if (stopRequested) return;
        stopRequested = true;
        starting.abort();
        say('\nstopping early: the summary covers the intervals so far…');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    say('starting a private Redis (append-only file) and Node-RED with every shipped flow…');
    let stack: DemoStack | undefined;
    try {
        try {
            stack = await startDemoStack({
                repoRoot: REPO_ROOT, stateDir, port: await freePort(), onNodeRedOutput: (text) => log.take(text),
                adjustFlows: (flows) => soakFlows(flows, args.cameraIntervalS), signal: starting.signal,
            });
        } catch (err) {
            // Ctrl-C during start-up: nothing ran, so there is nothing to summarise.
            if (!stopRequested) throw err;
            process.exitCode = 130;
            return;
        }
        const ok = await runSoak(args, stack, log, () => stopRequested);
        process.exitCode = ok ? 0 : 1;
    } finally {
        await stack?.stop();
        await log.close();
        fs.rmSync(stateDir, { recursive: true, force: true });
    }
}

main().catch((err: Error) => {
    process.stderr.write(`soak failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
});
