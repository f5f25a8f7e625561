// The demo as `npm start` runs it (scripts/demo: private Redis, user dir, Node-RED),
// started once: every shipped flow must deploy with all its node types present, the
// dashboard must answer, and a rider must be able to buy a pass on the Sales terminal
// page, get through the Entry gate page and see both on the Monitor page.
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { RedisServer } from '../../scripts/demo/redis-server';
import { DemoStack, startDemoStack } from '../../scripts/demo/stack';
import { freePort, RedisProcess } from '../support/redis-process';
import { launchChromiumOrSkip } from './chromium';

interface NodeSet {
    id: string;
    types: string[];
    enabled: boolean;
    err?: string;
}

const CARD = '04A1B2C3';
const STRANGER = '04D5E6F7';

function processGone(pid: number | undefined): boolean {
    if (pid === undefined) return true;
    try {
        process.kill(pid, 0);
        return false;
    } catch {
        return true;
    }
}

async function getJson<T>(url: string): Promise<T> {
    const response = await fetch(url, { headers: { Accept: 'application/json', 'Node-RED-API-Version': 'v2' } });
    assert.strictEqual(response.status, 200, `GET ${url}`);
    return (await response.json()) as T;
}

describe('demo stack (npm start)', function () {
    this.timeout(120000);
    let stack: DemoStack;
    let stateDir: string;
    let log = '';

    before(async function () {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-demo-'));
        stack = await startDemoStack({
            repoRoot: REPO_ROOT, stateDir, port: await freePort(), onNodeRedOutput: (text) => { log += text; },
        });
    });

    after(async function () {
        await stack?.stop();
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it('runs its own Redis, with an append-only file, under the state dir', async function () {
        assert.ok(stack.redisServer, 'a private redis-server was started');
        const redis = new Redis(stack.redisServer.port, '127.0.0.1', { lazyConnect: true });
        try {
            await redis.connect();
            assert.deepStrictEqual(await redis.config('GET', 'appendonly'), ['appendonly', 'yes']);
            assert.deepStrictEqual(await redis.config('GET', 'dir'), ['dir', fs.realpathSync(path.join(stateDir, 'redis'))]);
        } finally {
            redis.disconnect();
        }
    });

    it('deploys every shipped flow, pointed at the demo Redis', async function () {
        const { flows } = await getJson<{ flows: Array<{ id: string; type: string; port?: number }> }>(`${stack.nodeRed.baseUrl}/flows`);
        assert.deepStrictEqual(flows.map((n) => n.id).sort(), stack.flows.map((n) => n.id).sort());
        const server = flows.find((n) => n.id === 'redis-iot-local');
        assert.strictEqual(Number(server?.port), stack.redisServer?.port);
        assert.match(log, /Started flows/);
        assert.doesNotMatch(log, /Waiting for missing types/);
    });

    it('has every node type the flows use installed and enabled', async function () {
        const sets = await getJson<NodeSet[]>(`${stack.nodeRed.baseUrl}/nodes`);
        const available = new Set(sets.filter((s) => s.enabled && !s.err).flatMap((s) => s.types));
        const missing = [...new Set(stack.flows.map((n) => n.type))]
            .filter((type) => !['tab', 'group'].includes(type) && !available.has(type));
        assert.deepStrictEqual(missing, []);
        const broken = sets.filter((s) => s.err && /redis-iot|dashboard|pi-gpio/.test(s.id)).map((s) => `${s.id}: ${s.err}`);
        assert.deepStrictEqual(broken, []);
    });

    it('serves the editor and the dashboard', async function () {
        for (const url of [stack.nodeRed.editorUrl, stack.nodeRed.dashboardUrl, `${stack.nodeRed.dashboardUrl}/sales`]) {
            const response = await fetch(url);
            await response.arrayBuffer();
            assert.strictEqual(response.status, 200, url);
        }
    });

    describe('in a browser', function () {
        let browser: Browser;
        let page: Page;
        const widget = (id: string) => page.locator(`#nrdb-ui-widget-${id}`);
        const open = async (pagePath: string, firstWidget: string) => {
            await page.goto(`${stack.nodeRed.dashboardUrl}${pagePath}`);
            await widget(firstWidget).waitFor({ timeout: 20000 });
        };
        const waitForText = (id: string, text: RegExp, timeout = 15000) =>
            page.locator(`#nrdb-ui-widget-${id}`, { hasText: text }).waitFor({ timeout });

        before(async function () {
            browser = await launchChromiumOrSkip(this);
            page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        });

        after(async function () {
            await browser?.close();
        });

        it('takes a typed card id on the Sales terminal page, and cancels its sale', async function () {
            await open('/sales', 'sales-card-input');
            const input = widget('sales-card-input').locator('input');
            await input.fill('ab:cd:ef:01');
            await input.press('Enter');
            await waitForText('sales-prompt-text', /select/i);
            await widget('sales-ui-cancel').locator('button').click();
            await waitForText('sales-result-text', /No sale for card ABCDEF01: the sale was cancelled/);
        });

        it('sells a ten trip pass on the Sales terminal page', async function () {
            await open('/sales', 'sales-card-a');
            await widget('sales-card-a').locator('button').click();
            await waitForText('sales-prompt-text', /select/i);
            await widget('sales-ui-ten').locator('button').click();
            await waitForText('sales-prompt-text', /confirm/i);
            await widget('sales-card-a').locator('button').click();
            await waitForText('sales-result-text', new RegExp(`Sold a ten trip pass \\(10 trips\\) to card ${CARD}`));
        });

        it('lets the card through on the Entry gate page: green, then red again', async function () {
            await open('/gate', 'gate-card-a');
            const light = widget('gate-light-template').locator('.transit-light');
            await page.locator('#nrdb-ui-widget-gate-light-template .transit-light[data-red="1"]').waitFor({ timeout: 10000 });
            await widget('gate-card-a').locator('button').click();
            await waitForText('gate-decision-text', new RegExp(`Granted: card ${CARD}, ten trip pass, 9 of 10 trips left`));
            assert.strictEqual(await light.getAttribute('data-green'), '1');
            await page.locator('#nrdb-ui-widget-gate-light-template .transit-light[data-red="1"][data-green="0"]').waitFor({ timeout: 8000 });
        });

        it('refuses a card without a pass and flashes red four times', async function () {
            // Record every change of the red lamp from here on.
            await page.evaluate(() => {
                const light = document.querySelector('#nrdb-ui-widget-gate-light-template .transit-light') as HTMLElement;
                const changes: string[] = [];
                (window as unknown as { redChanges: string[] }).redChanges = changes;
                new MutationObserver(() => {
                    const red = light.getAttribute('data-red') ?? '';
                    if (changes[changes.length - 1] !== red) changes.push(red);
                }).observe(light, { attributes: true, attributeFilter: ['data-red'] });
            });
            await widget('gate-card-b').locator('button').click();
            await waitForText('gate-decision-text', new RegExp(`Denied: card ${STRANGER}, no valid pass`));
            await page.waitForTimeout(5500);
            const changes = await page.evaluate(() => (window as unknown as { redChanges: string[] }).redChanges);
            // dark, then four times on/off, then solid red: ends on, with four "on" flashes before that.
            assert.deepStrictEqual(changes, ['0', '1', '0', '1', '0', '1', '0', '1', '0', '1']);
        });

        it('rests on yellow while Redis is away, and on red again once it is back', async function () {
            const lit = (lamps: string) => page.locator(`#nrdb-ui-widget-gate-light-template .transit-light${lamps}`);
            await lit('[data-red="1"][data-yellow="0"]').waitFor({ timeout: 10000 });
            const away = stack.redisServer as RedisServer;
            await away.stop();
            await lit('[data-red="0"][data-yellow="1"]').waitFor({ timeout: 15000 });
            // The same port and data folder, as after a restart of the demo's Redis.
            stack.redisServer = await RedisServer.start({ dir: path.join(stateDir, 'redis'), port: away.port });
            await lit('[data-red="1"][data-yellow="0"]').waitFor({ timeout: 20000 });
        });

        it('shows the sale, the journey and the refusal on the Monitor page', async function () {
            await open('/monitor', 'monitor-table');
            await waitForText('monitor-table', new RegExp(`Card ${CARD} was issued a ten trip pass`));
            await waitForText('monitor-table', new RegExp(`Card ${CARD} started a journey`));
            await waitForText('monitor-table', new RegExp(`Card ${STRANGER} tried to start a journey without a valid pass`));
            const firstRow = await widget('monitor-table').locator('tbody tr').first().innerText();
            assert.match(firstRow, new RegExp(STRANGER), 'newest event first');
        });
    });

    describe('on Ctrl-C', function () {
        it('stops Node-RED, then Redis, and leaves no process behind', async function () {
            const pids = [stack.nodeRed.pid, stack.redisServer?.pid];
            await stack.stop();
            assert.strictEqual(stack.nodeRed.running, false);
            assert.strictEqual(stack.redisServer?.running, false);
            assert.deepStrictEqual(pids.map(processGone), [true, true]);
            assert.match(log, /Stopped flows/);
        });
    });
});

describe('demo stack with REDIS_URL', function () {
    this.timeout(120000);
    let redis: RedisProcess;
    let stack: DemoStack | undefined;
    let stateDir: string;

    before(async function () {
        redis = await RedisProcess.start();
        // Set after start: RedisProcess checks readiness with a PING that a password would refuse.
        const admin = new Redis(redis.port, '127.0.0.1');
        await admin.config('SET', 'requirepass', 'demo-secret');
        admin.disconnect();
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-demo-url-'));
    });

    after(async function () {
        await stack?.stop();
        await redis?.destroy();
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it('starts no Redis of its own and logs in to the given one with its password', async function () {
        stack = await startDemoStack({
            repoRoot: REPO_ROOT, stateDir, port: await freePort(), redisUrl: `redis://:demo-secret@127.0.0.1:${redis.port}/0`,
            onNodeRedOutput: () => undefined,
        });
        assert.strictEqual(stack.redisServer, undefined);
        assert.strictEqual(fs.existsSync(path.join(stateDir, 'redis')), false);
        const client = new Redis(redis.port, '127.0.0.1', { password: 'demo-secret', lazyConnect: true });
        try {
            await client.connect();
            // The transit nodes name their connection node-red:<node id>.
            const deadline = Date.now() + 15000;
            let clients = '';
            while (Date.now() < deadline && !/name=node-red:/.test(clients)) {
                clients = String(await client.client('LIST'));
                await new Promise((r) => setTimeout(r, 200));
            }
            assert.match(clients, /name=node-red:/);
        } finally {
            client.disconnect();
        }
    });
});
