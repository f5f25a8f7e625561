// `npm run bench`: every benchmark (the Redis ones against a private redis-server started here), printed
// as one table (each figure beside its comparison) and written to bench/results/:
// latest.json (every figure and the table's rows) and latest.md (the table for the README).
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { RedisProcess } from '../test/support/redis-process';
import { benchAudio } from './audio';
import { benchCounter } from './counter';
import { benchHardware } from './hardware';
import { benchImages } from './images';
import { MemoryLine, memoryRows } from './memory';
import { progress, RESULTS_DIR, thisMachine } from './stats';
import { markdownTable, textTable } from './table';
import { benchTransit } from './transit';

/** A Node.js that runs each Node-RED line: this one for 4.1; for 5, this one if new enough, else test/node24's. */
function nodeFor(line: '4' | '5'): string | undefined {
    const [major, minor] = process.versions.node.split('.').map(Number);
    if (line === '4' || major > 22 || (major === 22 && minor >= 9)) return process.execPath;
    const node24 = path.join(__dirname, '..', '..', 'test', 'node24', 'node_modules', 'node', 'bin', 'node');
    return fs.existsSync(node24) ? node24 : undefined;
}

/** Each line in its own process (Node-RED 5 needs a newer Node.js than 4.1 may run on). */
function benchMemory(): MemoryLine[] {
    const lines: MemoryLine[] = [];
    for (const line of ['4', '5'] as const) {
        const node = nodeFor(line);
        if (!node) {
            progress(`memory: no Node.js for Node-RED ${line} here (npm ci --prefix test/node24 installs one); skipped`);
            continue;
        }
        progress(`memory: Node-RED ${line}, three fresh Node-REDs, ${process.env.BENCH_MEMORY_SETTLE_S || 90} s each…`);
        const out = execFileSync(node, [path.join(__dirname, 'memory.js'), line], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        lines.push(JSON.parse(out.trim().split('\n').pop() as string) as MemoryLine);
    }
    return lines;
}

async function main(): Promise<void> {
    const n = Number(process.env.BENCH_OPS || 5000);
    const started = performance.now();
    const machine = { ...thisMachine(), loadAverageAtStart: os.loadavg()[0] };
    progress(`measuring (${machine.cpus} CPUs, load average ${machine.loadAverageAtStart?.toFixed(1)}; a few minutes)…`);
    const redis = await RedisProcess.start();
    let transit;
    let counter;
    try {
        transit = await benchTransit(redis.port, n);
        counter = await benchCounter(redis.port, transit.floor);
    } finally {
        await redis.destroy();
    }
    const images = await benchImages();
    const hardware = await benchHardware();
    const audio = await benchAudio();
    const memory = process.env.BENCH_MEMORY === '0' ? [] : benchMemory();
    const rows = [...transit.rows, ...counter.rows, ...images.rows, ...hardware.rows, ...audio.rows, ...memory.flatMap(memoryRows)];
    const seconds = (performance.now() - started) / 1000;

    console.log(`\n${textTable(rows)}\n`);
    console.log('Ours ÷ value: below 1 is better for times (ms), above 1 for rates (/s); p50 / p99 pairs are divided pairwise.');

    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const json = path.join(RESULTS_DIR, 'latest.json');
    const results = {
        machine: { ...machine, loadAverageAtEnd: os.loadavg()[0], seconds },
        transit: transit.results, counter: counter.results, images: images.results, hardware: hardware.results, audio: audio.results, memory,
        table: rows,
    };
    fs.writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
    const md = path.join(RESULTS_DIR, 'latest.md');
    fs.writeFileSync(md, markdownTable(rows));
    console.log(`\nwritten to ${path.relative(process.cwd(), json)} and ${path.relative(process.cwd(), md)} (${seconds.toFixed(0)} s)`);
}

main().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
});
