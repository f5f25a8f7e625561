// The demo's login when it listens beyond loopback (HOST=0.0.0.0, reached here through
// 127.0.0.1): the editor and its admin API (adminAuth), the dashboard, the gallery and
// the counter's HTTP routes (httpNodeAuth) and the dashboard's socket refuse a request
// without credentials and accept one with them; a browser that has logged in uses the
// dashboard; the password is printed on the first start only and kept nowhere in clear;
// AUTH=off opts out, with a warning. One state dir, started three times in a row.
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import type { Browser } from 'playwright-core';
import { adminToken } from '../../scripts/demo/admin-token';
import { loginNotice } from '../../scripts/demo/login';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { DemoStack, LAUNCHER_USER, startDemoStack } from '../../scripts/demo/stack';
import { freePort } from '../support/redis-process';
import { launchChromiumOrSkip } from './chromium';
import { joinDashboardSocket } from './dashboard-socket';
import { ADMIN_HEADERS } from '../support/admin-api';

const COUNTER_KEY = 'mycounter';

function basic(user: string, password: string): Record<string, string> {
    return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

/** The status of one request, its body read (or, for an event stream, the request ended once the headers are in). */
async function statusOf(url: string, init: RequestInit = {}): Promise<number> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 10000);
    try {
        const response = await fetch(url, { ...init, signal: abort.signal });
        if (/^text\/event-stream/.test(response.headers.get('content-type') ?? '')) abort.abort();
        else await response.arrayBuffer();
        return response.status;
    } finally {
        clearTimeout(timer);
    }
}

/** Every regular file under dir (the linked package in node_modules is the repository, not state). */
function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.join(entry.parentPath, entry.name));
}

function modeOf(file: string): string {
    return (fs.statSync(file).mode & 0o777).toString(8);
}

describe('demo login beyond loopback (HOST=0.0.0.0)', function () {
    this.timeout(120000);
    let stateDir: string;
    let stack: DemoStack | undefined;
    let log = '';
    let user: string;
    let password: string;
    let redis: Redis;
    const base = () => (stack as DemoStack).nodeRed.baseUrl;
    const start = async (auth?: 'off') => {
        log = '';
        stack = await startDemoStack({
            repoRoot: REPO_ROOT, stateDir, port: await freePort(), host: '0.0.0.0', auth, onNodeRedOutput: (text) => { log += text; },
        });
        return stack;
    };
    const stop = async () => {
        await stack?.stop();
        stack = undefined;
    };

    before(async function () {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-demo-login-'));
        const { login, redis: target } = await start();
        assert.strictEqual(login.kind, 'required');
        assert.ok(login.kind === 'required' && login.newPassword, 'a password generated on the first start');
        user = login.login.user;
        password = login.newPassword;
        redis = new Redis(target.port, target.host, { maxRetriesPerRequest: 1 });
    });

    after(async function () {
        redis?.disconnect();
        await stop();
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    // What a client without the login may try, each with what proves it did nothing.
    const guarded: Array<[string, string, RequestInit?]> = [
        ['admin API: read the flows', '/flows', { headers: ADMIN_HEADERS }],
        ['admin API: deploy (an empty flow set would stop everything)', '/flows',
            { method: 'POST', headers: { ...ADMIN_HEADERS, 'Content-Type': 'application/json' }, body: '{"flows":[]}' }],
        ['editor: the settings it loads first', '/settings', { headers: ADMIN_HEADERS }],
        ['editor: an inject button (the camera\'s)', '/inject/camera-every', { method: 'POST' }],
        ['dashboard page', '/dashboard/counter'],
        ['dashboard set-up', '/dashboard/_setup'],
        ['gallery page', '/gallery'],
        ['gallery API', '/gallery/api/images'],
        ['counter', '/counter'],
        ['counter increment', '/counter/increment', { method: 'POST' }],
        ['counter events', '/counter/events', { headers: { Accept: 'text/event-stream' } }],
    ];

    it('refuses the admin API, the editor, the dashboard, the gallery and the counter without credentials, or with wrong ones', async function () {
        await redis.set(COUNTER_KEY, '10');
        const wrong = basic(user, `${password}x`);
        for (const [what, route, init] of guarded) {
            assert.strictEqual(await statusOf(`${base()}${route}`, init), 401, `${what} without credentials`);
            const withWrong = { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), ...wrong } };
            assert.strictEqual(await statusOf(`${base()}${route}`, withWrong), 401, `${what} with a wrong password`);
        }
        assert.strictEqual(await redis.get(COUNTER_KEY), '10', 'no POST changed the count');
        await assert.rejects(adminToken(base(), { username: user, password: `${password}x` }), /refused the admin login/);
        // The editor's page itself is public in Node-RED; it asks for this login.
        const login = await (await fetch(`${base()}/auth/login`)).json() as { type?: string };
        assert.strictEqual(login.type, 'credentials');
        for (const headers of [{}, wrong]) {
            const socket = await joinDashboardSocket(`${base()}/dashboard`, headers);
            assert.strictEqual(socket.joined, false, `the dashboard socket let in ${JSON.stringify(headers)}: ${socket.answer}`);
        }
    });

    it('accepts an admin token on the admin API, and Basic credentials on the dashboard, the gallery and the counter', async function () {
        const token = { Authorization: `Bearer ${await adminToken(base(), { username: user, password })}` };
        const flows = await fetch(`${base()}/flows`, { headers: { ...ADMIN_HEADERS, ...token } });
        assert.strictEqual(flows.status, 200);
        const deployed = await flows.json() as { rev: string; flows: Array<{ id: string }> };
        assert.strictEqual(deployed.flows.length, (stack as DemoStack).flows.length, 'the refused deploy changed nothing');
        // The same flows again, as a "modified nodes" deploy: accepted, and nothing restarts.
        const deploy = await fetch(`${base()}/flows`, {
            method: 'POST',
            headers: { ...ADMIN_HEADERS, ...token, 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'nodes' },
            body: JSON.stringify(deployed),
        });
        assert.strictEqual(deploy.status, 200, await deploy.text());
        assert.strictEqual(await statusOf(`${base()}/settings`, { headers: { ...ADMIN_HEADERS, ...token } }), 200);

        const login = basic(user, password);
        for (const route of ['/dashboard/counter', '/dashboard/_setup', '/gallery', '/gallery/api/images', '/counter']) {
            assert.strictEqual(await statusOf(`${base()}${route}`, { headers: login }), 200, route);
        }
        assert.strictEqual(await statusOf(`${base()}/counter/events`, { headers: { ...login, Accept: 'text/event-stream' } }), 200);
        await redis.set(COUNTER_KEY, '10');
        const increment = await fetch(`${base()}/counter/increment`, { method: 'POST', headers: login });
        assert.deepStrictEqual([increment.status, await increment.json()], [200, { key: COUNTER_KEY, value: 11 }]);
        const socket = await joinDashboardSocket(`${base()}/dashboard`, login);
        assert.strictEqual(socket.joined, true, socket.answer);
    });

    it('keeps the password in no file, log or process argument, and its secrets 0600', async function () {
        const nodeRedPid = (stack as DemoStack).nodeRed.pid;
        for (const file of filesUnder(stateDir)) {
            assert.ok(!fs.readFileSync(file).includes(password), `${path.relative(stateDir, file)} holds the password`);
        }
        assert.ok(!log.includes(password), 'Node-RED\'s log holds the password');
        for (const view of ['cmdline', 'environ']) {
            assert.ok(!fs.readFileSync(`/proc/${nodeRedPid}/${view}`).includes(password), `Node-RED's ${view} holds the password`);
        }
        const userDir = path.join(stateDir, 'node-red');
        const modes = Object.fromEntries(['login.json', 'node-red/settings.js', 'node-red/.credential-secret', 'node-red']
            .map((name) => [name, modeOf(path.join(stateDir, name))]));
        assert.deepStrictEqual(modes, { 'login.json': '600', 'node-red/settings.js': '600', 'node-red/.credential-secret': '600', 'node-red': '700' });
        // What Node-RED compares the password with is the hash login.json keeps.
        const { hash } = JSON.parse(fs.readFileSync(path.join(stateDir, 'login.json'), 'utf8')) as { hash: string };
        assert.ok(fs.readFileSync(path.join(userDir, 'settings.js'), 'utf8').includes(JSON.stringify(hash)));
        // The launcher's start-up token was revoked once it had checked the flows.
        const sessions = JSON.parse(fs.readFileSync(path.join(userDir, '.sessions.json'), 'utf8')) as Record<string, { user: string }>;
        assert.deepStrictEqual(Object.values(sessions).filter((session) => session.user === LAUNCHER_USER), []);
    });

    describe('in a browser', function () {
        let browser: Browser;

        before(async function () {
            browser = await launchChromiumOrSkip(this);
        });

        after(async function () {
            await browser?.close();
        });

        it('shows a logged-in browser a live dashboard, and a browser without the login nothing', async function () {
            const stranger = await browser.newContext();
            const member = await browser.newContext({ httpCredentials: { username: user, password } });
            try {
                // A browser with no credentials to give answers the server's 401 challenge with this error.
                await assert.rejects((await stranger.newPage()).goto(`${base()}/dashboard/counter`), /ERR_INVALID_AUTH_CREDENTIALS/);

                const page = await member.newPage();
                const shows = (value: number) =>
                    page.locator(`#nrdb-ui-widget-counter-number .redis-counter-value[data-value="${value}"]`).waitFor({ timeout: 20000 });
                await redis.set(COUNTER_KEY, '30');
                await page.goto(`${base()}/dashboard/counter`);
                await shows(30);
                // Pushed by Node-RED over the dashboard's socket: a change made outside the page.
                await redis.set(COUNTER_KEY, '31');
                await shows(31);
                // And the other way: a click travels up the socket to the flow.
                await page.locator('#nrdb-ui-widget-counter-ui-increment button').click();
                await shows(32);
                assert.strictEqual(await redis.get(COUNTER_KEY), '32');
            } finally {
                await Promise.all([stranger.close(), member.close()]);
            }
        });

        it('shows the editor only after its login form', async function () {
            const context = await browser.newContext();
            try {
                const page = await context.newPage();
                await page.goto(`${base()}/`);
                await page.locator('#node-dialog-login-username').waitFor({ timeout: 30000 });
                assert.strictEqual(await page.locator('#red-ui-workspace-tabs', { hasText: 'Sales terminal' }).count(), 0);
                await page.locator('#node-dialog-login-username').fill(user);
                await page.locator('#node-dialog-login-password').fill(password);
                await page.locator('#node-dialog-login-submit').click();
                await page.locator('#red-ui-workspace-tabs', { hasText: 'Sales terminal' }).waitFor({ timeout: 30000 });
            } finally {
                await context.close();
            }
        });
    });

    describe('started again', function () {
        before(function () {
            // The demo's Redis stops with the stack; this suite needs no client of its own.
            redis.disconnect();
        });

        it('prints the password on the first start only; later starts take the same login', async function () {
            const first = loginNotice((stack as DemoStack).login).join('\n');
            assert.ok(first.includes(password), 'the first start prints the password');
            assert.match(first, new RegExp(`user: +${user}`));
            await stop();

            const { login } = await start();
            assert.ok(login.kind === 'required' && login.newPassword === undefined, 'no new password');
            const later = loginNotice(login).join('\n');
            assert.ok(!later.includes(password), 'a later start does not print the password');
            assert.match(later, /login\.json/, 'says where the login is kept, and how to change it');
            assert.ok(!log.includes(password));
            assert.strictEqual(await statusOf(`${base()}/dashboard/counter`, { headers: basic(user, password) }), 200);
            assert.strictEqual(await statusOf(`${base()}/dashboard/counter`), 401);
        });

        it('with AUTH=off asks for no login, and warns that it does not', async function () {
            await stop();
            const { login } = await start('off');
            assert.deepStrictEqual(login, { kind: 'opted-out', host: '0.0.0.0' });
            const warning = loginNotice(login).join('\n');
            assert.match(warning, /^WARNING: AUTH=off and Node-RED listens on 0\.0\.0\.0/);
            assert.ok(!warning.includes(password));
            for (const route of ['/flows', '/dashboard/counter', '/gallery/api/images']) {
                assert.strictEqual(await statusOf(`${base()}${route}`, { headers: ADMIN_HEADERS }), 200, route);
            }
            assert.strictEqual(await statusOf(`${base()}/counter/increment`, { method: 'POST' }), 200);
            assert.strictEqual((await joinDashboardSocket(`${base()}/dashboard`)).joined, true);
            await stop();
        });
    });
});
