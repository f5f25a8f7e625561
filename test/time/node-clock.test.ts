// The shifted clock that scripts/test.sh gives every Node process when
// TEST_NODE_CLOCK_AHEAD_DAYS is set (node-clock-ahead.ts): this file proves that a shifted
// run really runs shifted, in this process, its workers and its child processes, while
// Redis keeps the machine's clock; and that the shim behaves like Date.
import assert from 'assert';
import { execFileSync } from 'child_process';
import path from 'path';
import { Worker } from 'worker_threads';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { redisNowMs } from '../support/redis-time';
import { DAY_MS } from '../support/wall-clock';

const SHIM = path.join(__dirname, '..', 'support', 'node-clock-ahead.js');
const expectedAheadMs = Number(process.env.TEST_NODE_CLOCK_AHEAD_DAYS ?? 0) * DAY_MS;

function nowInWorker(): Promise<number> {
    return new Promise((resolve, reject) => {
        const worker = new Worker("require('worker_threads').parentPort.postMessage(Date.now())", { eval: true });
        worker.once('message', resolve);
        worker.once('error', reject);
    });
}

describe('the Node clock of the test run', function () {
    let redis: Redis;
    before(() => {
        redis = new Redis(sharedRedis().port);
    });
    after(() => redis.quit());

    it(`is ${expectedAheadMs / DAY_MS} days ahead of Redis's in this process, its workers and its child processes`, async function () {
        const nodeClocks = {
            process: Date.now(),
            worker: await nowInWorker(),
            child: Number(execFileSync(process.execPath, ['-e', 'console.log(Date.now())'], { encoding: 'utf8' })),
        };
        const redisNow = await redisNowMs(redis);
        for (const [where, now] of Object.entries(nodeClocks)) {
            const aheadMs = now - redisNow;
            assert.ok(Math.abs(aheadMs - expectedAheadMs) < 5000, `${where}: ${(aheadMs / DAY_MS).toFixed(3)} days ahead of Redis`);
        }
    });

    it('is shifted by a shim that behaves like Date', function () {
        const script = `
            const real = ${Date.now()};
            const out = {
                ahead: Date.now() - real,
                newDate: new Date().getTime() - real,
                called: typeof Date(),
                calledYear: new Date(Date()).getFullYear() - new Date(real).getFullYear(),
                given: new Date(86400000).toISOString(),
                parts: new Date(2000, 0, 2).getDate(),
                utc: Date.UTC(1970, 0, 2),
                parse: Date.parse('1970-01-02T00:00:00Z'),
                instance: new Date() instanceof Date && Object.prototype.toString.call(new Date()) === '[object Date]',
                json: JSON.stringify(new Date(0)),
            };
            console.log(JSON.stringify(out));`;
        const env = { ...process.env, TEST_NODE_CLOCK_AHEAD_DAYS: '400', NODE_OPTIONS: '' };
        const out = JSON.parse(execFileSync(process.execPath, ['--require', SHIM, '-e', script], { encoding: 'utf8', env }));
        // The child's clock is 400 days ahead of the machine's; `real` was read here, under this run's shift.
        const ahead = 400 * DAY_MS - expectedAheadMs;
        const { ahead: shifted, newDate, calledYear, ...rest } = out;
        assert.ok(Math.abs(shifted - ahead) < 5000 && Math.abs(newDate - ahead) < 5000, JSON.stringify(out));
        assert.ok(calledYear >= 0 && calledYear <= 2, `Date() reads the shifted clock: ${calledYear} years on`);
        assert.deepStrictEqual(rest, { called: 'string', given: '1970-01-02T00:00:00.000Z', parts: 2, utc: DAY_MS, parse: DAY_MS, instance: true, json: '"1970-01-01T00:00:00.000Z"' });
    });
});
