// The demo as `npm start` runs it (scripts/demo: private Redis, user dir, Node-RED),
// started once: every shipped flow must deploy with all its node types present, the
// dashboard must answer, a rider must be able to buy a pass on the Sales terminal page,
// get through the Entry gate page and see both on the Monitor page, staff must be able to
// block and unblock the card on the Cards page and see the gate follow and the Operations
// page count it (after a restart of Node-RED too), and the counter must
// stay in step across its HTTP routes, its event stream, two dashboard pages and a plain
// Redis client changing the key, as the original web app and Pi script do.
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { LOGIN_FILE, loginNotice } from '../../scripts/demo/login';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { RedisServer } from '../../scripts/demo/redis-server';
import { NodeRedProcess } from '../../scripts/demo/node-red';
import { DemoStack, startDemoStack } from '../../scripts/demo/stack';
import { waitFor } from '../support/flow';
import { redisNowMs } from '../support/redis-time';
import { DAY_MS } from '../support/wall-clock';
import { freePort, RedisProcess } from '../support/redis-process';
import { launchChromiumOrSkip } from './chromium';
import { chartSeries } from './dashboard-chart';
import { joinDashboardSocket } from './dashboard-socket';
import { ImageStore } from '../../nodes/lib/images/store';
import { makeTestCard } from '../../nodes/lib/camera/test-card';
import { SseClient } from './sse-client';
import { captureScriptPicture } from '../support/original-camera';

interface NodeSet {
    id: string;
    types: string[];
    enabled: boolean;
    err?: string;
}

const CARD = '04A1B2C3';
const STRANGER = '04D5E6F7';
/** The original counter's key, which the Counter flow shares with it. */
const COUNTER_KEY = 'mycounter';

function processGone(pid: number | undefined): boolean {
    if (pid === undefined) return true;
    try {
        process.kill(pid, 0);
        return false;
    } catch {
        return true;
    }
}

interface CounterAnswer {
    key: string;
    value: number;
}

/** A request to the Counter flow's HTTP interface: status, headers and the JSON body. */
async function counterRequest(url: string, method: 'GET' | 'POST'): Promise<{ status: number; headers: Headers; body: unknown }> {
    const response = await fetch(url, { method, signal: AbortSignal.timeout(5000) });
    return { status: response.status, headers: response.headers, body: await response.json() };
}

async function getJson<T>(url: string): Promise<T> {
    const response = await fetch(url, { headers: { Accept: 'application/json', 'Node-RED-API-Version': 'v2' } });
    assert.strictEqual(response.status, 200, `GET ${url}`);
    return (await response.json()) as T;
}

/** Dashboard 2.0 widgets by id on whichever browser page `current` gives, and pages opened by path. */
function dashboardWidgets(current: () => Page, dashboardUrl: () => string) {
    const widget = (id: string) => current().locator(`#nrdb-ui-widget-${id}`);
    return {
        widget,
        open: async (pagePath: string, firstWidget: string) => {
            await current().goto(`${dashboardUrl()}${pagePath}`);
            await widget(firstWidget).waitFor({ timeout: 20000 });
        },
        waitForText: (id: string, text: RegExp, timeout = 15000) =>
            current().locator(`#nrdb-ui-widget-${id}`, { hasText: text }).waitFor({ timeout }),
    };
}

describe('demo stack (npm start)', function () {
    this.timeout(120000);
    let stack: DemoStack;
    let stateDir: string;
    let log = '';
    /** A plain client on the demo's Redis, standing in for the original counter's web app and Pi script. */
    let redis: Redis;

    before(async function () {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-demo-'));
        stack = await startDemoStack({
            repoRoot: REPO_ROOT, stateDir, port: await freePort(), onNodeRedOutput: (text) => { log += text; },
        });
        redis = new Redis(stack.redis.port, stack.redis.host, { maxRetriesPerRequest: 1 });
    });

    after(async function () {
        redis?.disconnect();
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

    it('asks for no login on loopback, as before', async function () {
        assert.deepStrictEqual(stack.login, { kind: 'open' });
        assert.deepStrictEqual(loginNotice(stack.login), []);
        assert.strictEqual(fs.existsSync(path.join(stateDir, LOGIN_FILE)), false, 'no password was made');
        // The editor's login endpoint offers no login form, and the API it loads answers as is.
        assert.deepStrictEqual(await getJson<unknown>(`${stack.nodeRed.baseUrl}/auth/login`), {});
        await getJson<unknown>(`${stack.nodeRed.baseUrl}/settings`);
        assert.strictEqual((await joinDashboardSocket(stack.nodeRed.dashboardUrl)).joined, true);
    });

    it('serves the editor and the dashboard', async function () {
        for (const url of [stack.nodeRed.editorUrl, stack.nodeRed.dashboardUrl, `${stack.nodeRed.dashboardUrl}/sales`,
            `${stack.nodeRed.dashboardUrl}/counter`]) {
            const response = await fetch(url);
            await response.arrayBuffer();
            assert.strictEqual(response.status, 200, url);
        }
    });

    it('captures with the simulated camera, stores in Redis and lists it in the gallery API', async function () {
        const base = stack.nodeRed.editorUrl.replace(/\/$/, '');
        // The camera flow takes its first picture 2 s after deploy, then every 30 s.
        let images: Array<{ id: string; camera: string; mime_type: string; width: string }> = [];
        await waitFor(async () => {
            images = await (await fetch(`${base}/gallery/api/images`)).json() as typeof images;
            return images.some((i) => i.camera === 'camera');
        }, 20000, 'a picture from the camera flow');
        const captured = images.find((i) => i.camera === 'camera');
        assert.ok(captured, 'a picture from the camera flow');
        assert.strictEqual(captured.mime_type, 'image/jpeg');
        const picture = await fetch(`${base}/gallery/api/image/${captured.id}`);
        assert.strictEqual(picture.status, 200);
        const bytes = Buffer.from(await picture.arrayBuffer());
        assert.deepStrictEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
        assert.strictEqual(String(bytes.length), (await redis.hget(`image:${captured.id}`, 'size')));
    });

    describe('the counter over HTTP', function () {
        const url = (route: string) => `${stack.nodeRed.baseUrl}${route}`;
        const streams: SseClient[] = [];
        const stream = async () => {
            const client = await SseClient.open(url('/counter/events'));
            streams.push(client);
            return client;
        };

        afterEach(function () {
            streams.splice(0).forEach((client) => client.close());
        });

        it('answers GET /counter with the count in the Redis key mycounter, as JSON', async function () {
            await redis.set(COUNTER_KEY, '41');
            const answer = await counterRequest(url('/counter'), 'GET');
            assert.strictEqual(answer.status, 200);
            assert.match(String(answer.headers.get('content-type')), /^application\/json/);
            assert.strictEqual(answer.headers.get('cache-control'), 'no-store');
            assert.deepStrictEqual(answer.body, { key: COUNTER_KEY, value: 41 });
        });

        it('changes the count on POST and answers with the new value', async function () {
            await redis.set(COUNTER_KEY, '41');
            for (const [route, value] of [['increment', 42], ['increment', 43], ['decrement', 42], ['reset', 0]] as const) {
                const answer = await counterRequest(url(`/counter/${route}`), 'POST');
                assert.deepStrictEqual([answer.status, answer.body], [200, { key: COUNTER_KEY, value } satisfies CounterAnswer], route);
            }
            assert.strictEqual(await redis.exists(COUNTER_KEY), 0, 'reset deletes the key, as the original did');
            await counterRequest(url('/counter/increment'), 'POST');
            assert.strictEqual(await redis.get(COUNTER_KEY), '1');
        });

        it('refuses GET on the routes that change the count (405, Allow: POST) and changes nothing', async function () {
            await redis.set(COUNTER_KEY, '7');
            for (const route of ['increment', 'decrement', 'reset']) {
                const answer = await counterRequest(url(`/counter/${route}`), 'GET');
                assert.strictEqual(answer.status, 405, `GET /counter/${route}`);
                assert.strictEqual(answer.headers.get('allow'), 'POST');
            }
            assert.strictEqual(await redis.get(COUNTER_KEY), '7');
        });

        it('streams Server-Sent Events: the current count first, then every change, to every client', async function () {
            const first = await stream();
            assert.strictEqual(first.response.statusCode, 200);
            assert.match(String(first.response.headers['content-type']), /^text\/event-stream/);
            assert.strictEqual(first.response.headers['cache-control'], 'no-cache');
            await first.waitFor((blocks) => blocks.some((b) => b.event === 'count'), 'a first count');
            // A change by a plain Redis client, like the original web app's INCRBY.
            await redis.set(COUNTER_KEY, '70');
            await first.waitFor(() => first.counts.includes('70'), 'the count set by another client');

            // Two clients at once (the original keyed its clients by Date.now(), so one of
            // two arriving in the same millisecond never heard of a change again).
            const [second, third] = await Promise.all([stream(), stream()]);
            for (const client of [second, third]) {
                await client.waitFor(() => client.counts.length > 0, 'the current count on connecting');
                assert.strictEqual(client.counts[0], '70', 'the first event is the current count');
                assert.strictEqual(client.blocks.find((b) => b.retry !== undefined)?.retry, 5000);
            }
            await redis.incrby(COUNTER_KEY, 3);
            for (const client of [first, second, third]) await client.waitFor(() => client.counts.includes('73'), 'the change to 73');
            assert.deepStrictEqual(first.blocks.filter((b) => b.event !== undefined).map((b) => b.event), first.counts.map(() => 'count'));

            // A client that went away is forgotten; the others carry on.
            second.close();
            await new Promise((r) => setTimeout(r, 100));
            await counterRequest(url('/counter/increment'), 'POST');
            for (const client of [first, third]) await client.waitFor(() => client.counts.includes('74'), 'the change to 74');
        });

        it('answers 503 at once while Redis is away, instead of leaving the request hanging', async function () {
            const away = stack.redisServer as RedisServer;
            await away.stop();
            try {
                for (const [route, method] of [['/counter', 'GET'], ['/counter/increment', 'POST']] as const) {
                    const started = Date.now();
                    const answer = await counterRequest(url(route), method);
                    assert.strictEqual(answer.status, 503, `${method} ${route}`);
                    assert.strictEqual((answer.body as { error: string }).error, 'the counter is unavailable');
                    assert.ok(Date.now() - started < 2000, `answered within 2 s, not after ${Date.now() - started} ms`);
                }
            } finally {
                // The same port and data folder, as after a restart of the demo's Redis.
                stack.redisServer = await RedisServer.start({ dir: path.join(stateDir, 'redis'), port: away.port });
            }
            await waitFor(async () => (await counterRequest(url('/counter'), 'GET')).status === 200, 15000,
                'the counter to answer again once Redis is back');
        });

        it('keeps quiet streams open with a comment line (the 15 s heartbeat)', async function () {
            // The counter node's own timer, since the stream moved out of a function node and
            // its inject: up to 15 s.
            this.timeout(30000);
            const client = await stream();
            await client.waitFor(() => client.counts.length > 0, 'the current count');
            await client.waitFor((blocks) => blocks.some((b) => b.comment === 'heartbeat'), 'a heartbeat comment', 17000);
        });
    });

    describe('in a browser', function () {
        let browser: Browser;
        let page: Page;
        const { widget, open, waitForText } = dashboardWidgets(() => page, () => stack.nodeRed.dashboardUrl);

        before(async function () {
            browser = await launchChromiumOrSkip(this);
            page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        });

        after(async function () {
            await browser?.close();
        });

        it('keeps two Counter pages in step: a click on one updates the other, and Reset asks first', async function () {
            const contexts = await Promise.all([1, 2].map(() => browser.newContext({ viewport: { width: 1000, height: 700 } })));
            try {
                const [a, b] = await Promise.all(contexts.map((context) => context.newPage()));
                const shows = (on: Page, value: number) =>
                    on.locator(`#nrdb-ui-widget-counter-number .redis-counter-value[data-value="${value}"]`).waitFor({ timeout: 20000 });
                const button = (on: Page, id: string) => on.locator(`#nrdb-ui-widget-counter-ui-${id} button`);
                const dialog = (on: Page) => on.locator('.nrdb-ui-notification', { hasText: 'Reset the count to 0?' });

                await redis.set(COUNTER_KEY, '20');
                for (const on of [a, b]) await on.goto(`${stack.nodeRed.dashboardUrl}/counter`);
                await Promise.all([shows(a, 20), shows(b, 20)]);

                await button(a, 'increment').click();
                await shows(b, 21);
                await button(b, 'decrement').click();
                await shows(a, 20);

                // Reset asks first, only in the browser that asked; Cancel changes nothing.
                await button(a, 'reset').click();
                await dialog(a).waitFor({ timeout: 5000 });
                await dialog(a).getByRole('button', { name: 'Cancel' }).click();
                await dialog(a).waitFor({ state: 'hidden', timeout: 5000 });
                assert.strictEqual(await dialog(b).count(), 0, 'the other page is not asked');
                await button(a, 'increment').click();
                await Promise.all([shows(a, 21), shows(b, 21)]);
                await a.waitForTimeout(300);
                assert.strictEqual(await redis.get(COUNTER_KEY), '21', 'Cancel did not reset');

                await button(a, 'reset').click();
                await dialog(a).getByRole('button', { name: 'Reset' }).click();
                await Promise.all([shows(a, 0), shows(b, 0)]);
                assert.strictEqual(await redis.exists(COUNTER_KEY), 0);

                // A change from outside Node-RED (the original's Pi script) shows on both pages.
                await redis.incrby(COUNTER_KEY, 5);
                await Promise.all([shows(a, 5), shows(b, 5)]);
            } finally {
                await Promise.all(contexts.map((context) => context.close()));
            }
        });

        it('takes a typed card id on the Sales terminal page, and cancels its sale', async function () {
            await open('/sales', 'sales-card-input');
            const input = widget('sales-card-input').locator('input');
            await input.fill('ab:cd:ef:01');
            await input.press('Enter');
            await waitForText('sales-prompt-text', /select/i);
            await widget('sales-ui-cancel').locator('button').click();
            await waitForText('sales-result-text', /No sale for card ABCDEF01: the sale was cancelled/);
            // The prompt line no longer asks for a pass, so the next test's wait for "select" is a fresh prompt.
            await waitForText('sales-prompt-text', /Transaction cancelled/);
        });

        it('sells a ten trip pass on the Sales terminal page', async function () {
            await open('/sales', 'sales-card-a');
            await widget('sales-card-a').locator('button').click();
            await waitForText('sales-prompt-text', /select/i);
            // The pass buttons are the terminal's catalogue, sent to the button group at start.
            const passes = widget('sales-ui-passes').locator('button');
            await passes.first().waitFor({ timeout: 10000 });
            assert.deepStrictEqual(await passes.allInnerTexts(), ['Single trip', 'Ten trip', 'Two hour']);
            await passes.filter({ hasText: 'Ten trip' }).click();
            await waitForText('sales-prompt-text', /confirm/i);
            await widget('sales-card-a').locator('button').click();
            await waitForText('sales-result-text', new RegExp(`Sold a ten trip pass \\(10 trips\\) to card ${CARD}`));
            // The choice is cleared, so the next rider can press the same button again (a button
            // group sends nothing for a click on the button already chosen).
            await widget('sales-card-b').locator('button').click();
            await waitForText('sales-prompt-text', /select/i);
            await passes.filter({ hasText: 'Ten trip' }).click();
            await waitForText('sales-prompt-text', /confirm/i);
            await widget('sales-ui-cancel').locator('button').click();
            await waitForText('sales-result-text', new RegExp(`No sale for card ${STRANGER}: the sale was cancelled`));
        });

        it('lets the card through on the Entry gate page: green, then red again', async function () {
            await open('/gate', 'gate-card-a');
            await page.locator('#nrdb-ui-widget-gate-light-template .transit-light[data-red="1"]').waitFor({ timeout: 10000 });
            await widget('gate-card-a').locator('button').click();
            await waitForText('gate-decision-text', new RegExp(`Granted: card ${CARD}, ten trip pass, 9 of 10 trips left`));
            // The lamps follow the text by a step of the flow's timeline (a delay node), so wait for them.
            await page.locator('#nrdb-ui-widget-gate-light-template .transit-light[data-red="0"][data-green="1"]').waitFor({ timeout: 5000 });
            await page.locator('#nrdb-ui-widget-gate-light-template .transit-light[data-red="1"][data-green="0"]').waitFor({ timeout: 8000 });
        });

        it('refuses a card without a pass and flashes red four times', async function () {
            // From the resting light (solid red), record every change of the red lamp.
            await page.locator('#nrdb-ui-widget-gate-light-template .transit-light[data-red="1"][data-green="0"]').waitFor({ timeout: 10000 });
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
            // Four flashes take about 4 s; wait for the tenth change (or give up after 10 s), then a moment for any stray one.
            await page.waitForFunction(() => (window as unknown as { redChanges: string[] }).redChanges.length >= 10, undefined, { timeout: 10000 }).catch(() => undefined);
            await page.waitForTimeout(1000);
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

        it('shows a new picture in the open gallery without a reload, its metadata as text', async function () {
            const gallery = await browser.newPage({ viewport: { width: 1280, height: 900 } });
            try {
                await gallery.goto(`${stack.nodeRed.editorUrl.replace(/\/$/, '')}/gallery`);
                await gallery.locator('#live-state', { hasText: /live/i }).waitFor({ timeout: 15000 });
                // A camera whose name is markup, stored the way the camera flow stores pictures.
                const hostile = '<img src=x onerror="window.__xss=1"><b>cam</b>';
                const store = new ImageStore(redis, { keyPrefix: 'image:', index: 'image-index', thumbnailWidth: 64 });
                const { id } = await store.store(makeTestCard({ width: 320, height: 240, quality: 80, time: new Date() }), { camera: hostile });
                const card = gallery.locator(`#grid .card[data-id="${id}"]`);
                await card.waitFor({ timeout: 15000 });
                assert.strictEqual(await card.locator('.caption span').first().innerText(), hostile);
                assert.strictEqual(await card.locator('b').count(), 0, 'no markup from the metadata');
                await card.locator('img').evaluate((img) => (img as unknown as { decode(): Promise<void> }).decode());
                assert.strictEqual(await gallery.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
                assert.strictEqual(await card.locator('.clock-note').count(), 0, 'a right clock is not remarked on');
                // A Pi whose clock is 10 days behind (no NTP since its boot): its picture arrives
                // first, as the newest stored, and says what the camera's clock read.
                const wrong = await store.store(makeTestCard({ width: 320, height: 240, quality: 80, time: new Date() }),
                    { camera: 'porch', timestamp: (await redisNowMs(redis)) - 10 * DAY_MS });
                const late = gallery.locator(`#grid .card[data-id="${wrong.id}"]`);
                await late.waitFor({ timeout: 15000 });
                assert.match(await late.locator('.clock-note').innerText(), /^camera clock said /);
                assert.strictEqual(await gallery.locator('#grid .card').first().getAttribute('data-id'), wrong.id);
            } finally {
                await gallery.close();
            }
        });

        it('filters the open gallery by lux, and shows the original capture script\'s picture as it is written', async function () {
            const gallery = await browser.newPage({ viewport: { width: 1280, height: 900 } });
            try {
                await gallery.goto(`${stack.nodeRed.editorUrl.replace(/\/$/, '')}/gallery`);
                await gallery.locator('#live-state', { hasText: /live/i }).waitFor({ timeout: 15000 });
                // Brighter than the demo's simulated camera ever is (at most 500 lux), so its
                // pictures, taken every 30 s meanwhile, stay out of this range.
                const store = new ImageStore(redis, { keyPrefix: 'image:', index: 'image-index', thumbnailWidth: 64 });
                const card = () => makeTestCard({ width: 320, height: 240, quality: 80, time: new Date() });
                const bright = await store.store(card(), { camera: 'sun', lux: 900 });
                const dark = await store.store(card(), { camera: 'cellar', lux: 3 });
                await gallery.locator('#filter-lux-min').fill('800');
                await gallery.locator('#filter-lux-max').fill('1000');
                await gallery.locator('#filters button[type="submit"]').click();
                // The bright picture is already on the unfiltered page (it arrived live): wait for
                // the filtered page to replace it, not merely for the bright picture.
                const shown = () => gallery.locator('#grid .card').evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.id));
                let last: Array<string | undefined> = [];
                await waitFor(async () => JSON.stringify(last = await shown()) === JSON.stringify([bright.id]), 15000,
                    () => `only the bright picture ${bright.id} on the filtered page, not ${JSON.stringify(last)}`);
                // capture.py (pipelined HSET + EXPIRE, no publish) while the page is open: adopted and shown at once.
                const seconds = Math.floor((await redisNowMs(redis)) / 1000);
                await captureScriptPicture(redis, seconds, card(), 950);
                const original = gallery.locator(`#grid .card[data-id="${seconds}"]`);
                await original.waitFor({ timeout: 15000 });
                assert.match(await original.locator('.caption span').first().innerText(), /950 lux/);
                // A dark picture arriving live stays out of the filtered page.
                const late = await store.store(card(), { camera: 'cellar', lux: 4 });
                await gallery.waitForTimeout(1000);
                assert.strictEqual(await gallery.locator(`#grid .card[data-id="${late.id}"], #grid .card[data-id="${dark.id}"]`).count(), 0);
            } finally {
                await gallery.close();
            }
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

    describe('the Cards and Operations pages', function () {
        let browser: Browser;
        let page: Page;
        const { widget, open, waitForText } = dashboardWidgets(() => page, () => stack.nodeRed.dashboardUrl);
        /** The card details panel, when its card and state are these (data-* attributes). */
        const details = (attributes: string) => page.locator(`#nrdb-ui-widget-cards-details .transit-card-details${attributes}`);
        /** The Operations page in a tab of its own, left open while the other tab works the gate and the Cards page. */
        const openOperations = async (): Promise<Page> => {
            const operations = await browser.newPage({ viewport: { width: 1280, height: 900 } });
            await operations.goto(`${stack.nodeRed.dashboardUrl}/operations`);
            await operations.locator('#nrdb-ui-widget-ops-entries-chart').waitFor({ timeout: 20000 });
            return operations;
        };
        /** The entries a chart of the Operations page draws: the sum of the gate's series, or of one category's bars. */
        const drawn = async (on: Page, chart: string, name: (series: string, x: unknown) => boolean): Promise<number | undefined> => {
            const series = await chartSeries(on, chart);
            return series?.flatMap((s) => s.points.filter(([x]) => name(s.name, x))).reduce((sum, [, y]) => sum + y, 0);
        };
        const entriesAtGate = (on: Page) => drawn(on, 'ops-entries-chart', (series) => series === 'gate-1');
        const deniedAs = (on: Page, reason: string) => drawn(on, 'ops-denials-chart', (_series, x) => x === reason);

        before(async function () {
            browser = await launchChromiumOrSkip(this);
            page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        });

        after(async function () {
            await browser?.close();
        });

        it('blocks a card on the Cards page after a confirmation; the gate refuses it until it is unblocked, and Operations counts the entries', async function () {
            const operations = await openOperations();
            try {
                // The card's pass and its one entry at gate-1 come from the tests above (sold, then let through).
                let before: number | undefined;
                await waitFor(async () => ((before = await entriesAtGate(operations)) ?? 0) >= 1, 15000,
                    () => `the earlier entry on the entries chart (drawn: ${before})`);

                // A tap on the desk's (virtual) reader fills the card field and looks the card up.
                await open('/cards', 'cards-card-a');
                await widget('cards-card-a').locator('button').click();
                await details(`[data-card="${CARD}"][data-blocked="0"]`).waitFor({ timeout: 10000 });
                assert.strictEqual(await widget('cards-details').locator('.rides-left').innerText(), '9');
                assert.strictEqual(await widget('cards-card-input').locator('input').inputValue(), CARD);

                await widget('cards-reason').click();
                await page.getByRole('option', { name: 'stolen' }).click();
                // Block asks first; Cancel blocks nothing.
                const question = page.locator('.nrdb-ui-notification', { hasText: `Block card ${CARD} (stolen)?` });
                await widget('cards-ui-block').locator('button').click();
                await question.waitFor({ timeout: 5000 });
                await question.getByRole('button', { name: 'Cancel' }).click();
                await question.waitFor({ state: 'hidden', timeout: 5000 });
                await page.waitForTimeout(300);
                assert.strictEqual(await redis.exists(`{transit:pass:${CARD}}:deny`), 0, 'Cancel did not block');

                await widget('cards-ui-block').locator('button').click();
                await question.getByRole('button', { name: 'Confirm' }).click();
                await details(`[data-card="${CARD}"][data-blocked="1"]`).waitFor({ timeout: 10000 });
                assert.match(await widget('cards-details').locator('.blocked').innerText(), /^Blocked \(stolen\) by desk/);
                await waitForText('cards-result-text', new RegExp(`Card ${CARD} blocked by desk: stolen`));

                // The gate refuses the blocked card and charges nothing.
                await open('/gate', 'gate-card-a');
                await widget('gate-card-a').locator('button').click();
                await waitForText('gate-decision-text', new RegExp(`Denied: card ${CARD}, the card is blocked`));

                // Unblocked on the Cards page, at once (no confirmation); the history shows what happened.
                await open('/cards', 'cards-ui-unblock');
                await widget('cards-ui-unblock').locator('button').click();
                await details(`[data-card="${CARD}"][data-blocked="0"]:not([data-pass=""])`).waitFor({ timeout: 10000 });
                await waitForText('cards-result-text', new RegExp(`Card ${CARD} unblocked by desk: it has a pass`));
                const history = await widget('cards-details').locator('ol.history li').allInnerTexts();
                assert.match(history[0], new RegExp(`Card ${CARD} was unblocked by desk`), 'newest first');
                assert.ok(history.some((line) => new RegExp(`Card ${CARD} was blocked by desk`).test(line)), history.join('\n'));
                assert.strictEqual(await widget('cards-details').locator('.rides-left').innerText(), '9', 'the refused tap charged nothing');
                // A refusal (a Catch node) shows on the page: the card is no longer blocked.
                await widget('cards-ui-unblock').locator('button').click();
                await waitForText('cards-result-text', new RegExp(`Refused: card ${CARD} is not blocked`));

                // Through the gate again, once the repeat window of its earlier grant is over.
                await waitFor(async () => (await redis.exists(`{transit:pass:${CARD}}:gate:gate-1`)) === 0, 15000, 'the end of the repeat window');
                await open('/gate', 'gate-card-a');
                await widget('gate-card-a').locator('button').click();
                await waitForText('gate-decision-text', new RegExp(`Granted: card ${CARD}, ten trip pass, 8 of 10 trips left`));

                // The open Operations page: one more entry at gate-1 (the refused tap is none), one denial as blocked.
                let now: number | undefined;
                await waitFor(async () => (now = await entriesAtGate(operations)) === (before as number) + 1, 15000,
                    () => `${(before as number) + 1} entries at gate-1 drawn, not ${now}`);
                await waitFor(async () => ((await deniedAs(operations, 'blocked')) ?? 0) >= 1, 15000, 'a denial as blocked on the denials chart');
            } finally {
                await operations.close();
            }
        });

        it('after a restart of Node-RED, Operations shows the last hour again and Cards still looks cards up', async function () {
            let operations = await openOperations();
            let before: number | undefined;
            try {
                await waitFor(async () => ((before = await entriesAtGate(operations)) ?? 0) >= 2, 15000, () => `the entries so far (drawn: ${before})`);
            } finally {
                await operations.close();
            }
            const port = Number(new URL(stack.nodeRed.baseUrl).port);
            await stack.nodeRed.stop();
            // The same user dir and flows: nothing of the charts is kept but what Redis's stream holds.
            stack.nodeRed = await NodeRedProcess.start({
                repoRoot: REPO_ROOT, line: stack.line, userDir: stack.userDir.dir, port, host: '127.0.0.1',
                onOutput: (text) => { log += text; },
            });
            operations = await openOperations();
            try {
                let after: number | undefined;
                await waitFor(async () => (after = await entriesAtGate(operations)) === before, 20000,
                    () => `the ${before} entries at gate-1 drawn again after the restart, not ${after}`);
                assert.ok(((await deniedAs(operations, 'blocked')) ?? 0) >= 1, 'the denial as blocked is drawn again');
            } finally {
                await operations.close();
            }
            await open('/cards', 'cards-card-a');
            await widget('cards-card-a').locator('button').click();
            await details(`[data-card="${CARD}"][data-blocked="0"]`).waitFor({ timeout: 10000 });
            assert.strictEqual(await widget('cards-details').locator('.rides-left').innerText(), '8');
        });

        it('moves a pass to a replacement card typed into Transfer to card, and refunds it, each after a confirmation', async function () {
            const replacement = '04C0FFEE';
            await open('/cards', 'cards-card-a');
            await widget('cards-card-a').locator('button').click();
            await details(`[data-card="${CARD}"]:not([data-pass=""])`).waitFor({ timeout: 10000 });
            // Typed, then straight to the button: the field sends its value as it loses the focus.
            await widget('cards-to-input').locator('input').fill(replacement);
            await widget('cards-ui-transfer').locator('button').click();
            const question = page.locator('.nrdb-ui-notification', { hasText: `Transfer the pass on card ${CARD} to card ${replacement}` });
            await question.getByRole('button', { name: 'Confirm' }).click();
            // The panel shows the card that has the pass now.
            await details(`[data-card="${replacement}"][data-pass="TEN_TRIP"]`).waitFor({ timeout: 10000 });
            assert.strictEqual(await widget('cards-details').locator('.rides-left').innerText(), '8');
            await waitForText('cards-result-text', new RegExp(`Card ${CARD}'s pass moved to card ${replacement} by desk`));
            assert.strictEqual(await redis.exists(`transit:pass:${CARD}`), 0);

            // Refunded, on the card now shown (the lookup of the transfer): the pass is gone.
            await widget('cards-card-input').locator('input').fill(replacement);
            await widget('cards-card-input').locator('input').press('Enter');
            await widget('cards-reason').click();
            await page.getByRole('option', { name: 'customer request' }).click();
            await widget('cards-ui-refund').locator('button').click();
            const refund = page.locator('.nrdb-ui-notification', { hasText: `Refund the pass on card ${replacement} (customer request)?` });
            await refund.getByRole('button', { name: 'Confirm' }).click();
            await details(`[data-card="${replacement}"][data-pass=""]`).waitFor({ timeout: 10000 });
            assert.match((await widget('cards-details').locator('ol.history li').allInnerTexts())[0],
                new RegExp(`Card ${replacement}'s ten trip pass was refunded by desk.*customer request`));
            assert.strictEqual(await redis.exists(`transit:pass:${replacement}`), 0);
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
