// The pieces of the demo launcher (scripts/demo) on their own: REDIS_URL parsing, the
// flow merge, the login it asks for beyond loopback, and the user dir it prepares for Node-RED.
import assert from 'assert';
import { spawnSync } from 'child_process';
import fs from 'fs';
import { createRequire } from 'module';
import os from 'os';
import path from 'path';
import { bcryptHash } from '../../scripts/demo/bcrypt';
import { FlowNode, mergeFlows, pointAtRedis, SHARED_REDIS_ID } from '../../scripts/demo/flows';
import { ensureLogin, isLoopbackHost, LOGIN_FILE, loginRequired, parseAuthSetting, StoredLogin } from '../../scripts/demo/login';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { describeRedisTarget, parseRedisUrl, RedisTarget } from '../../scripts/demo/redis-url';
import { startDemoStack } from '../../scripts/demo/stack';
import { PACKAGE_NAME, prepareUserDir, SettingsLogin } from '../../scripts/demo/user-dir';
import { freePort } from '../support/redis-process';

interface NodeRedCredentials {
    init(runtime: unknown): void;
    load(stored: unknown): Promise<void>;
    get(id: string): Record<string, string> | undefined;
}

/** Node-RED's own credential store, to prove it can read what the launcher writes. */
async function readWithNodeRed(userDir: string): Promise<NodeRedCredentials> {
    const load = createRequire(path.join(REPO_ROOT, 'package.json'));
    const credentials = load('@node-red/runtime/lib/nodes/credentials') as NodeRedCredentials;
    const settings = load(path.join(userDir, 'settings.js')) as { credentialSecret: string };
    const quiet = () => undefined;
    credentials.init({
        log: { debug: quiet, info: quiet, warn: quiet, _: (key: string) => key },
        settings: {
            get: (key: string) => {
                if (key === 'credentialSecret') return settings.credentialSecret;
                throw new Error(`no setting ${key}`);
            },
        },
    });
    await credentials.load(JSON.parse(fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8')));
    return credentials;
}

interface NodeRedUsers {
    init(adminAuth: unknown): void;
    authenticate(username: string, password: string): Promise<{ username: string } | null>;
}

/** Whether Node-RED's own adminAuth check (@node-red/editor-api's users) lets this password in. */
async function nodeRedAccepts(login: StoredLogin, password: string): Promise<boolean> {
    const users = createRequire(path.join(REPO_ROOT, 'package.json'))('@node-red/editor-api/lib/auth/users') as NodeRedUsers;
    users.init({ type: 'credentials', users: [{ username: login.user, password: login.hash, permissions: '*' }] });
    try {
        return (await users.authenticate(login.user, password))?.username === login.user;
    } finally {
        users.init({});
    }
}

const modeOf = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

const LOCAL: RedisTarget = { host: '127.0.0.1', port: 6391, db: 0, tls: false };

function shippedFlows(): FlowNode[] {
    return [
        { id: 't1', type: 'tab', label: 'Tab' },
        { id: 'n1', type: 'transit-gate', z: 't1', server: SHARED_REDIS_ID, wires: [[], []] },
        { id: SHARED_REDIS_ID, type: 'redis-iot-server', host: '127.0.0.1', port: 6379, db: 0, tls: false },
    ];
}

describe('demo launcher', function () {
    describe('REDIS_URL', function () {
        it('reads host, port, database, TLS and credentials', function () {
            assert.deepStrictEqual(parseRedisUrl('redis://10.0.0.5:6390/2'),
                { host: '10.0.0.5', port: 6390, db: 2, tls: false, username: undefined, password: undefined });
            assert.deepStrictEqual(parseRedisUrl('rediss://app:p%40ss@redis.example.com'),
                { host: 'redis.example.com', port: 6379, db: 0, tls: true, username: 'app', password: 'p@ss' });
            assert.deepStrictEqual(parseRedisUrl('redis://:secret@[::1]:7000'),
                { host: '::1', port: 7000, db: 0, tls: false, username: undefined, password: 'secret' });
        });

        it('refuses what is not a Redis URL', function () {
            assert.throws(() => parseRedisUrl('localhost:6379'), /redis:\/\/ or rediss:\/\//);
            assert.throws(() => parseRedisUrl('http://localhost'), /redis:\/\/ or rediss:\/\//);
            assert.throws(() => parseRedisUrl('redis://localhost/x'), /database number/);
        });

        it('never prints the password', function () {
            const text = describeRedisTarget(parseRedisUrl('redis://app:hunter2@10.0.0.5:6390/1'));
            assert.strictEqual(text, 'redis://app:***@10.0.0.5:6390/1');
        });
    });

    describe('flow merge', function () {
        it('keeps one copy of a config node shared by several files', function () {
            const { flows, conflicts } = mergeFlows([shippedFlows(), [
                { id: 't2', type: 'tab', label: 'Other' },
                { id: 'n2', type: 'transit-monitor', z: 't2', server: SHARED_REDIS_ID, wires: [[]] },
                { id: SHARED_REDIS_ID, type: 'redis-iot-server', host: '127.0.0.1', port: 6379, db: 0, tls: false },
            ]]);
            assert.deepStrictEqual(flows.map((n) => n.id), ['t1', 'n1', SHARED_REDIS_ID, 't2', 'n2']);
            assert.deepStrictEqual(conflicts, []);
        });

        it('reports config nodes whose copies differ, and refuses duplicate flow nodes', function () {
            const other = shippedFlows().map((n) => (n.id === SHARED_REDIS_ID ? { ...n, port: 6380 } : n)).filter((n) => n.id !== 't1' && n.id !== 'n1');
            assert.deepStrictEqual(mergeFlows([shippedFlows(), other]).conflicts, [SHARED_REDIS_ID]);
            assert.throws(() => mergeFlows([shippedFlows(), shippedFlows()]), /n1|t1/);
        });

        it('points only the shared Redis config node at the demo Redis', function () {
            const flows = shippedFlows();
            const pointed = pointAtRedis(flows, { host: '10.1.1.1', port: 7001, db: 3, tls: true });
            assert.deepStrictEqual(pointed[2], { ...flows[2], mode: 'standalone', host: '10.1.1.1', port: 7001, db: 3, tls: true });
            assert.deepStrictEqual(pointed.slice(0, 2), flows.slice(0, 2));
            assert.strictEqual(flows[2].port, 6379, 'the input is not modified');
        });
    });

    describe('login', function () {
        let dir: string;
        beforeEach(function () {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-login-'));
        });
        afterEach(function () {
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it('is asked for beyond loopback only, unless AUTH says otherwise', function () {
            const loopback = ['127.0.0.1', '127.8.9.10', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'];
            const beyond = ['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', '128.0.0.1', 'fe80::1', '::ffff:192.168.1.20', 'raspberrypi.local', 'localhost.example.com'];
            assert.deepStrictEqual(loopback.filter((host) => !isLoopbackHost(host)), []);
            assert.deepStrictEqual(beyond.filter(isLoopbackHost), []);
            assert.deepStrictEqual([loginRequired('127.0.0.1', 'auto'), loginRequired('0.0.0.0', 'auto')], [false, true]);
            assert.deepStrictEqual([loginRequired('0.0.0.0', 'off'), loginRequired('127.0.0.1', 'on')], [false, true]);
            assert.deepStrictEqual([undefined, '', 'auto', 'ON', ' off '].map(parseAuthSetting), ['auto', 'auto', 'auto', 'on', 'off']);
            assert.throws(() => parseAuthSetting('false'), /AUTH must be on, off or auto, got "false"/);
        });

        it('is made once: a generated password, kept only as a bcrypt hash Node-RED accepts, in a 0600 file', async function () {
            const first = ensureLogin(dir);
            const password = first.newPassword;
            assert.ok(password && password.length >= 24, 'a long generated password');
            const file = path.join(dir, LOGIN_FILE);
            assert.strictEqual(first.file, file);
            assert.strictEqual(modeOf(file), '600');
            assert.ok(!fs.readFileSync(file, 'utf8').includes(password));
            assert.strictEqual(await nodeRedAccepts(first.login, password), true);
            assert.strictEqual(await nodeRedAccepts(first.login, `${password}x`), false);

            const again = ensureLogin(dir);
            assert.deepStrictEqual(again, { kind: 'required', login: first.login, file }, 'read back, with no new password');
            assert.notStrictEqual(ensureLogin(fs.mkdtempSync(path.join(dir, 'other-'))).newPassword, password, 'random, not fixed');
        });

        it('takes a user and a hash of one\'s own, and says what is wrong with a broken login.json', async function () {
            const file = path.join(dir, LOGIN_FILE);
            // What the README tells the user to run, the password typed on its standard input.
            const printed = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'node-red', 'red.js'), 'admin', 'hash-pw'],
                { input: 'correct horse battery staple\n', encoding: 'utf8', timeout: 20000 });
            const hash = /\$2[aby]\$\S+/.exec(printed.stdout)?.[0];
            assert.ok(hash, `node-red admin hash-pw printed a hash: ${printed.stdout}${printed.stderr}`);
            const own = { user: 'pi', hash };
            fs.writeFileSync(file, JSON.stringify(own));
            assert.deepStrictEqual(ensureLogin(dir), { kind: 'required', login: own, file });
            assert.strictEqual(await nodeRedAccepts(own, 'correct horse battery staple'), true);
            for (const [text, problem] of [
                ['{', /is not JSON.*delete it/],
                [JSON.stringify({ ...own, hash: 'correct horse battery staple' }), /"hash" must be a bcrypt hash, as 'npx node-red admin hash-pw' prints it/],
                [JSON.stringify({ ...own, user: 'a b' }), /"user" must be a user name/],
            ] as const) {
                fs.writeFileSync(file, text);
                assert.throws(() => ensureLogin(dir), problem);
            }
        });

        it('forgets a password it generated when the demo then fails to start, since nobody saw it', async function () {
            await assert.rejects(startDemoStack({
                repoRoot: REPO_ROOT, stateDir: dir, port: await freePort(), host: '0.0.0.0', redisBinary: path.join(dir, 'no-redis-server'),
            }), /could not run redis-server/);
            assert.strictEqual(fs.existsSync(path.join(dir, LOGIN_FILE)), false);
        });
    });

    describe('Node-RED user dir', function () {
        let dir: string;
        beforeEach(function () {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-userdir-'));
        });
        afterEach(function () {
            fs.rmSync(dir, { recursive: true, force: true });
        });

        const prepare = (shipped = shippedFlows(), redis = LOCAL, login?: SettingsLogin) =>
            prepareUserDir({ userDir: dir, repoRoot: REPO_ROOT, port: 18801, host: '127.0.0.1', shippedFlows: shipped, redis, login });
        const loadSettings = () => {
            const file = path.join(dir, 'settings.js');
            const load = createRequire(path.join(dir, 'x.js'));
            delete load.cache[file];
            return load(file) as Record<string, unknown>;
        };
        const readFlows = () => JSON.parse(fs.readFileSync(path.join(dir, 'flows.json'), 'utf8')) as FlowNode[];

        it('writes settings for a quiet local demo and links this package', function () {
            prepare();
            const load = createRequire(path.join(dir, 'x.js'));
            const settings = load(path.join(dir, 'settings.js')) as Record<string, unknown>;
            assert.strictEqual(settings.uiPort, 18801);
            assert.strictEqual(settings.uiHost, '127.0.0.1');
            assert.strictEqual(settings.flowFile, 'flows.json');
            assert.match(String(settings.credentialSecret), /^[0-9a-f]{48}$/);
            assert.deepStrictEqual(settings.editorTheme, { tours: false });
            assert.deepStrictEqual(settings.telemetry, { enabled: false, updateNotification: false });
            const linked = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8')) as { name: string };
            assert.strictEqual(linked.name, PACKAGE_NAME);
            assert.strictEqual(fs.realpathSync(path.join(dir, 'node_modules', PACKAGE_NAME)), fs.realpathSync(REPO_ROOT));
        });

        it('asks for no login without one; with one: adminAuth, httpNodeAuth and the dashboard socket guard, in a 0600 settings.js', function () {
            // As an earlier version left them: readable by everyone.
            fs.chmodSync(dir, 0o755);
            fs.writeFileSync(path.join(dir, 'settings.js'), 'module.exports = {};\n', { mode: 0o644 });
            prepare();
            const open = loadSettings();
            assert.deepStrictEqual([open.adminAuth, open.httpNodeAuth, open.dashboard], [undefined, undefined, undefined]);
            for (const name of ['settings.js', '.credential-secret']) assert.strictEqual(modeOf(path.join(dir, name)), '600', name);
            assert.strictEqual(modeOf(dir), '700');

            const user = { user: 'admin', hash: bcryptHash('person') };
            const launcher = { user: 'demo-launcher', hash: bcryptHash('launcher') };
            prepare(shippedFlows(), LOCAL, { user, launcher });
            const settings = loadSettings();
            assert.deepStrictEqual(settings.adminAuth, {
                type: 'credentials',
                users: [
                    { username: 'admin', password: user.hash, permissions: '*' },
                    { username: 'demo-launcher', password: launcher.hash, permissions: 'read' },
                ],
            });
            assert.deepStrictEqual(settings.httpNodeAuth, { user: 'admin', pass: user.hash });
            const guard = (settings.dashboard as { ioMiddleware: unknown }).ioMiddleware;
            assert.ok(Array.isArray(guard) && guard.length === 2 && guard.every((f) => typeof f === 'function'));
            assert.strictEqual(modeOf(path.join(dir, 'settings.js')), '600');
        });

        it('keeps the credential secret from one run to the next', function () {
            prepare();
            const first = fs.readFileSync(path.join(dir, 'settings.js'), 'utf8');
            prepare();
            assert.strictEqual(fs.readFileSync(path.join(dir, 'settings.js'), 'utf8'), first);
        });

        it('writes the shipped flows pointed at the demo Redis', function () {
            const result = prepare();
            assert.strictEqual(result.flowsSource, 'shipped');
            assert.deepStrictEqual(readFlows(), pointAtRedis(shippedFlows(), LOCAL));
            assert.strictEqual(prepare(shippedFlows(), { ...LOCAL, port: 6393 }).flowsSource, 'shipped', 'unedited flows are not "kept"');
        });

        it('keeps flows deployed from the editor, but re-points them at this run\'s Redis', function () {
            prepare();
            const edited = readFlows().map((n) => (n.id === 'n1' ? { ...n, name: 'edited in the editor' } : n));
            fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(edited));
            const result = prepare(shippedFlows(), { ...LOCAL, port: 6392 });
            assert.strictEqual(result.flowsSource, 'kept');
            const flows = readFlows();
            assert.strictEqual(flows.find((n) => n.id === 'n1')?.name, 'edited in the editor');
            assert.strictEqual(flows.find((n) => n.id === SHARED_REDIS_ID)?.port, 6392);
        });

        it('replaces the flows when the shipped ones change, keeping a backup', function () {
            prepare();
            const shipped = [...shippedFlows(), { id: 'n9', type: 'comment', z: 't1', name: 'new', wires: [] }];
            const result = prepare(shipped);
            assert.strictEqual(result.flowsSource, 'shipped');
            assert.ok(result.backup && fs.existsSync(result.backup));
            assert.ok(readFlows().some((n) => n.id === 'n9'));
        });

        it('stores REDIS_URL credentials where Node-RED can decrypt them, and removes them again', async function () {
            prepare(shippedFlows(), { ...LOCAL, username: 'app', password: 's3cret' });
            assert.doesNotMatch(fs.readFileSync(path.join(dir, 'flows_cred.json'), 'utf8'), /s3cret/);
            assert.doesNotMatch(fs.readFileSync(path.join(dir, 'flows.json'), 'utf8'), /s3cret/);
            const credentials = await readWithNodeRed(dir);
            assert.deepStrictEqual(credentials.get(SHARED_REDIS_ID), { username: 'app', password: 's3cret' });
            prepare();
            assert.strictEqual(fs.existsSync(path.join(dir, 'flows_cred.json')), false);
        });
    });
});
