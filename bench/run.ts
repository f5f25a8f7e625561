// `npm run bench`: every benchmark against a private redis-server started here, with
// the figures printed as a table and written to bench/results/latest.json.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { RedisProcess } from '../test/support/redis-process';
import { benchCounter } from './counter';
import { benchImages } from './images';
import { benchTransit } from './transit';

async function main(): Promise<void> {
    const n = Number(process.env.BENCH_OPS || 5000);
    const redis = await RedisProcess.start();
    const results: Record<string, unknown> = {
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, date: new Date().toISOString() },
    };
    try {
        results.transit = await benchTransit(redis.port, n);
        results.counter = await benchCounter(redis.port);
        results.images = await benchImages();
    } finally {
        await redis.destroy();
    }
    const out = path.join(__dirname, '..', '..', 'bench', 'results', 'latest.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
}

main().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
});
