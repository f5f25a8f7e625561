// `npm run bench`: every benchmark (the Redis ones against a private redis-server started here), printed
// as one table (each figure beside its comparison) and written to bench/results/:
// latest.json (every figure and the table's rows) and latest.md (the table for the README).
// BENCH_ONLY=peer (or a comma list of transit, counter, peer, images, hardware) runs only
// those parts and prints their rows without touching bench/results; counter runs transit too,
// for its PING floor.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { RedisProcess } from '../test/support/redis-process';
import { benchCounter } from './counter';
import { benchHardware } from './hardware';
import { benchImages } from './images';
import { benchPeer } from './peer';
import { progress, RESULTS_DIR, thisMachine } from './stats';
import { markdownTable, textTable } from './table';
import { benchTransit } from './transit';

const PARTS = ['transit', 'counter', 'peer', 'images', 'hardware'] as const;
type Part = typeof PARTS[number];

/** The parts BENCH_ONLY names, or undefined for all of them. */
function onlyParts(): Set<Part> | undefined {
    const asked = process.env.BENCH_ONLY?.split(',').map((p) => p.trim()).filter(Boolean);
    if (!asked?.length) return undefined;
    const unknown = asked.filter((p) => !(PARTS as readonly string[]).includes(p));
    if (unknown.length) throw new Error(`BENCH_ONLY names ${unknown.join(', ')}; the parts are ${PARTS.join(', ')}`);
    const parts = new Set(asked as Part[]);
    if (parts.has('counter')) parts.add('transit');
    return parts;
}

async function main(): Promise<void> {
    const n = Number(process.env.BENCH_OPS || 5000);
    const only = onlyParts();
    const runs = (part: Part) => !only || only.has(part);
    const started = performance.now();
    const machine = { ...thisMachine(), loadAverageAtStart: os.loadavg()[0] };
    progress(`measuring (${machine.cpus} CPUs, load average ${machine.loadAverageAtStart?.toFixed(1)}; a few minutes)…`);
    const redis = await RedisProcess.start();
    let transit;
    let counter;
    let peer;
    try {
        if (runs('transit')) transit = await benchTransit(redis.port, n);
        if (runs('counter') && transit) counter = await benchCounter(redis.port, transit.floor);
        if (runs('peer')) peer = await benchPeer(redis.port, n);
    } finally {
        await redis.destroy();
    }
    const images = runs('images') ? await benchImages() : undefined;
    const hardware = runs('hardware') ? await benchHardware() : undefined;
    const rows = [transit, counter, peer, images, hardware].flatMap((part) => part?.rows ?? []);
    const seconds = (performance.now() - started) / 1000;

    console.log(`\n${textTable(rows)}\n`);
    console.log('Ours ÷ value: below 1 is better for times (ms) and memory (MB), above 1 for rates (/s); p50 / p99 pairs are divided pairwise.');
    if (only) {
        console.log(`\nBENCH_ONLY=${[...only].join(',')}: bench/results left as they were (${seconds.toFixed(0)} s)`);
        return;
    }

    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const json = path.join(RESULTS_DIR, 'latest.json');
    const results = {
        machine: { ...machine, loadAverageAtEnd: os.loadavg()[0], seconds },
        transit: transit?.results, counter: counter?.results, peer: peer?.results, images: images?.results, hardware: hardware?.results,
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
