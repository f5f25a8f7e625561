// `npm run bench`: every benchmark (the Redis ones against a private redis-server started here), printed
// as one table (each figure beside its comparison) and written to bench/results/:
// latest.json (every figure and the table's rows) and latest.md (the table for the README).
import fs from 'fs';
import os from 'os';
import path from 'path';
import { RedisProcess } from '../test/support/redis-process';
import { benchAudio } from './audio';
import { benchCounter } from './counter';
import { benchHardware } from './hardware';
import { benchImages } from './images';
import { progress, RESULTS_DIR, thisMachine } from './stats';
import { markdownTable, textTable } from './table';
import { benchTransit } from './transit';

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
    const rows = [...transit.rows, ...counter.rows, ...images.rows, ...hardware.rows, ...audio.rows];
    const seconds = (performance.now() - started) / 1000;

    console.log(`\n${textTable(rows)}\n`);
    console.log('Ours ÷ value: below 1 is better for times (ms), above 1 for rates (/s); p50 / p99 pairs are divided pairwise.');

    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const json = path.join(RESULTS_DIR, 'latest.json');
    const results = {
        machine: { ...machine, loadAverageAtEnd: os.loadavg()[0], seconds },
        transit: transit.results, counter: counter.results, images: images.results, hardware: hardware.results, audio: audio.results,
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
