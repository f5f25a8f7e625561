// The pieces of the demo launcher (scripts/demo) on their own: REDIS_URL parsing, the
// flow merge, and the user dir it prepares for Node-RED.
import assert from 'assert';
import fs from 'fs';
import { createRequire } from 'module';
import os from 'os';
import path from 'path';
import { FlowNode, mergeFlows, pointAtRedis, SHARED_REDIS_ID } from '../../scripts/demo/flows';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { describeRedisTarget, parseRedisUrl, RedisTarget } from '../../scripts/demo/redis-url';
import { PACKAGE_NAME, prepareUserDir } from '../../scripts/demo/user-dir';

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

    describe('Node-RED user dir', function () {
        let dir: string;
        beforeEach(function () {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-userdir-'));
        });
        afterEach(function () {
            fs.rmSync(dir, { recursive: true, force: true });
        });

        const prepare = (shipped = shippedFlows(), redis = LOCAL) =>
            prepareUserDir({ userDir: dir, repoRoot: REPO_ROOT, port: 18801, host: '127.0.0.1', shippedFlows: shipped, redis });
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
