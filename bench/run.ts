// `npm run bench`: every benchmark (the Redis ones against a private redis-server started here), printed
// as one table (each figure beside its comparison) and written to bench/results/:
// latest.json (every figure and the table's rows) and latest.md (the table for the README).
// BENCH_ONLY=peer (or a comma list of transit, counter, peer, offline, images, hardware, audio, memory) runs only
// those parts and prints their rows without touching bench/results; counter runs transit too,
// for its PING floor.
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
import { benchOffline } from './offline';
import { benchOfflineReplay } from './offline-replay';
import { benchPeer } from './peer';
import { progress, RESULTS_DIR, thisMachine } from './stats';
import { markdownTable, textTable } from './table';
import { benchTransit } from './transit';

const PARTS = ['transit', 'counter', 'peer', 'offline', 'images', 'hardware', 'audio', 'memory'] as const;
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

/** A Node.js that runs each Node-RED line: this one for 4.1; for 5, this one if new enough, else test/node24's. */
function nodeFor(line: '4' | '5'): string | undefined {
    const [major, minor] = process.versions.node.split('.').map(Number);
    if (line === '4' || major > 22 || (major === 22 && minor >= 9)) return process.execPath;
    const node24 = path.join(__dirname, '..', '..', 'test', 'node24', 'node_modules', 'node', 'bin', 'node');
    return fs.existsSync(node24) ? node24 : undefined;
}

/** Each line in its own process (Node-RED 5 needs a newer Node.js than 4.1 may run on). */
function benchMemory(): { rows: ReturnType<typeof memoryRows>; results: MemoryLine[] } {
    const results: MemoryLine[] = [];
    for (const line of ['4', '5'] as const) {
        const node = nodeFor(line);
        if (!node) {
            progress(`memory: no Node.js for Node-RED ${line} here (npm ci --prefix test/node24 installs one); skipped`);
            continue;
        }
        progress(`memory: Node-RED ${line}, three fresh Node-REDs, ${process.env.BENCH_MEMORY_SETTLE_S || 90} s each…`);
        const out = execFileSync(node, [path.join(__dirname, 'memory.js'), line], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        results.push(JSON.parse(out.trim().split('\n').pop() as string) as MemoryLine);
    }
    return { rows: results.flatMap(memoryRows), results };
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
    let offline;
    let offlineReplay;
    try {
        if (runs('transit')) transit = await benchTransit(redis.port, n);
        if (runs('counter') && transit) counter = await benchCounter(redis.port, transit.floor);
        if (runs('peer')) peer = await benchPeer(redis.port, n);
        if (runs('offline')) offline = await benchOffline(redis.port);
        if (runs('offline')) offlineReplay = await benchOfflineReplay(redis.port);
    } finally {
        await redis.destroy();
    }
    const images = runs('images') ? await benchImages() : undefined;
    const hardware = runs('hardware') ? await benchHardware() : undefined;
    const audio = runs('audio') ? await benchAudio() : undefined;
    const memory = runs('memory') ? benchMemory() : undefined;
    const rows = [transit, counter, peer, offline, offlineReplay, images, hardware, audio, memory].flatMap((part) => part?.rows ?? []);
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
        transit: transit?.results, counter: counter?.results, peer: peer?.results, offline: offline?.results, offlineReplay: offlineReplay?.results, images: images?.results, hardware: hardware?.results,
        audio: audio?.results, memory: memory?.results,
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
