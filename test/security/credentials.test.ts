// Credentials never leave Node-RED with a flow: none in the flows this package ships, and
// none in what the admin API hands out (which is what the editor exports) for a deployed
// config node, whose password and TLS key stay in the encrypted credentials file.
import assert from 'assert';
import { randomBytes } from 'crypto';
import fs from 'fs';
import path from 'path';
import vm from 'vm';
import Redis from 'ioredis';
import { decryptCredentials } from '../../scripts/demo/credentials';
import { examplesDir } from '../../scripts/demo/flows';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { helper, waitFor } from '../support/flow';
import { RedisProcess } from '../support/redis-process';
import { makeTestCertificates, TestCertificates } from './certificates';
import { NodeRedInstance } from './node-red-instance';
import { jsonFilesUnder } from '../support/json-files';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');

const SECRET_NAME = /^(password|passwd|pass|passphrase|username|user|secret|token|api[-_]?key|auth|certdata|keydata|cadata)$/i;
const PEM = /-----BEGIN [A-Z ]+-----/;
const URL_WITH_LOGIN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:[^\s/@]+@/i;

/** Every place in a parsed flow file that holds a credential, as "path: why". */
function credentialsIn(value: unknown, where = '$'): string[] {
    if (typeof value === 'string') {
        const found: string[] = [];
        if (PEM.test(value)) found.push(`${where}: a PEM block`);
        if (URL_WITH_LOGIN.test(value)) found.push(`${where}: a URL with a login`);
        return found;
    }
    if (Array.isArray(value)) return value.flatMap((item, i) => credentialsIn(item, `${where}[${i}]`));
    if (!value || typeof value !== 'object') return [];
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => {
        const at = `${where}.${key}`;
        if (key === 'credentials' && item && typeof item === 'object' && Object.values(item).some((v) => v !== '' && v !== null && v !== undefined && v !== false)) {
            return [`${at}: a credentials object with values`];
        }
        if (SECRET_NAME.test(key) && typeof item === 'string' && item !== '') return [`${at}: a ${key} value`];
        return credentialsIn(item, at);
    });
}

/** The editor-side definition of a node type, from its .html, by running its registerType call. */
function editorDefinition(htmlFile: string, type: string): Record<string, unknown> {
    const html = fs.readFileSync(htmlFile, 'utf8');
    const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    const found: Record<string, Record<string, unknown>> = {};
    const RED = {
        nodes: { registerType: (name: string, def: Record<string, unknown>) => { found[name] = def; } },
        validators: { number: () => () => true, regex: () => () => true, typedInput: () => () => true },
        _: (key: string) => key,
    };
    for (const code of scripts) vm.runInNewContext(code, { RED, $: () => undefined });
    // Through JSON: objects made in the other context have that context's prototypes.
    return JSON.parse(JSON.stringify(found[type])) as Record<string, unknown>;
}

describe('credentials never exported', function () {
    describe('the shipped flows', function () {
        // The systems (examples/*.json) and every node's example (examples/<type>/*.json).
        const files = jsonFilesUnder(examplesDir(REPO_ROOT));

        it('are all checked', function () {
            assert.ok(files.length >= 15, `found only ${files.length} flow files`);
        });

        for (const file of files) {
            it(`${path.relative(REPO_ROOT, file)} holds no credentials`, function () {
                assert.deepStrictEqual(credentialsIn(JSON.parse(fs.readFileSync(file, 'utf8'))), []);
            });
        }

        it('the check finds credentials where there are some', function () {
            assert.deepStrictEqual(credentialsIn([
                { id: 'a', type: 'redis-iot-server', credentials: { username: '', password: 'x' } },
                { id: 'b', type: 'x', config: { password: 'hunter2' } },
                { id: 'c', type: 'x', url: 'rediss://app:s3cret@redis.example.com:6380' },
                { id: 'd', type: 'tls-config', key: '-----BEGIN PRIVATE KEY-----\nMIG...' },
                { id: 'e', type: 'redis-iot-server', credentials: {}, key: 'mycounter', password: '' },
            ]), [
                '$[0].credentials: a credentials object with values',
                '$[1].config.password: a password value',
                '$[2].url: a URL with a login',
                '$[3].key: a PEM block',
            ]);
        });
    });

    describe('the redis-iot-server definition', function () {
        afterEach(() => helper.unload());

        it('marks the password as a password in the runtime and in the editor', async function () {
            await helper.load([serverModule], []);
            const runtimeCredentials = (helper as unknown as { credentials: { getDefinition(type: string): unknown } }).credentials;
            assert.deepStrictEqual(runtimeCredentials.getDefinition('redis-iot-server'), { username: { type: 'text' }, password: { type: 'password' } });
            const editor = editorDefinition(path.join(REPO_ROOT, 'nodes', 'redis-iot-server', 'redis-iot-server.html'), 'redis-iot-server');
            assert.deepStrictEqual(editor.credentials, { username: { type: 'text' }, password: { type: 'password' } });
            // Neither is a flow property, which would be exported with the flow.
            assert.ok(!('password' in (editor.defaults as object)) && !('username' in (editor.defaults as object)));
        });
    });

    describe('a deployed config node, through the admin API of a real Node-RED', function () {
        this.timeout(120000);
        let nodeRed: NodeRedInstance;
        let redis: RedisProcess;
        let certs: TestCertificates;
        const username = `sensor-${randomBytes(4).toString('hex')}`;
        const password = `pw-${randomBytes(12).toString('base64url')}`;
        const passphrase = `phrase-${randomBytes(12).toString('base64url')}`;
        let pem: { cert: string; key: string; ca: string };
        let secrets: string[];

        before(async function () {
            certs = makeTestCertificates();
            pem = { cert: fs.readFileSync(certs.clientCert, 'utf8'), key: fs.readFileSync(certs.clientKey, 'utf8'), ca: fs.readFileSync(certs.caCert, 'utf8') };
            // The distinctive middle of each PEM (its base64), besides the plain secrets.
            secrets = [username, password, passphrase, ...Object.values(pem).map((text) => text.split('\n')[2])];
            redis = await RedisProcess.start(['--user', username, 'on', `>${password}`, '~*', '&*', '+@all']);
            nodeRed = await NodeRedInstance.start();
            await nodeRed.deploy([
                { id: 'tab', type: 'tab', label: 'secrets' },
                { id: 'tls', type: 'tls-config', name: '', cert: '', key: '', ca: '', certname: 'client.crt', keyname: 'client.key', caname: 'ca.crt', servername: '', verifyservercert: true, alpnprotocol: '',
                    credentials: { certdata: pem.cert, keydata: pem.key, cadata: pem.ca, passphrase } },
                { id: 'secure-redis', type: 'redis-iot-server', name: '', mode: 'standalone', host: '127.0.0.1', port: redis.port, db: 0, usetls: false, tls: '',
                    sentinels: '', sentinelName: 'mymaster', clusterNodes: '', timeout: 250, credentials: { username, password } },
                { id: 'counter', type: 'redis-counter', z: 'tab', name: '', server: 'secure-redis', key: 'credentials:test', step: 1, wires: [[]] },
            ]);
        });

        after(async function () {
            await nodeRed?.destroy();
            await redis?.destroy();
            certs?.remove();
        });

        it('uses the credentials: the counter logs in to Redis as the configured user', async function () {
            const admin = new Redis({ port: redis.port, username, password });
            try {
                let list = '';
                await waitFor(async () => {
                    list = (await admin.client('LIST')) as string;
                    return /name=node-red:secure-redis .*user=/.test(list);
                }, 30000, 'a Node-RED client logged in').catch((err: Error) => assert.fail(`${err.message}, CLIENT LIST:\n${list}\n${nodeRed.log}`));
                // The wait above saw at least one of these lines.
                const ours = list.split('\n').filter((line) => line.includes('name=node-red:secure-redis '));
                for (const line of ours) assert.match(line, new RegExp(`\\buser=${username}\\b`));
            } finally {
                admin.disconnect();
            }
        });

        it('GET /flows (what the editor shows and exports) holds no credential', async function () {
            const { status, text } = await nodeRed.get('/flows');
            assert.strictEqual(status, 200);
            const { flows } = JSON.parse(text) as { flows: Array<Record<string, unknown>> };
            assert.ok(flows.some((n) => n.id === 'secure-redis') && flows.some((n) => n.id === 'tls'), 'both config nodes are deployed');
            for (const secret of secrets) assert.ok(!text.includes(secret), `GET /flows contains ${secret.slice(0, 12)}…`);
            assert.deepStrictEqual(credentialsIn(flows), []);
        });

        it('the credentials endpoint says there is a password without giving it', async function () {
            const { status, text } = await nodeRed.get('/credentials/redis-iot-server/secure-redis');
            assert.strictEqual(status, 200);
            assert.deepStrictEqual(JSON.parse(text), { username, has_password: true });
            assert.ok(!text.includes(password));
        });

        it('the tls-config credentials endpoint gives no passphrase', async function () {
            const { status, text } = await nodeRed.get('/credentials/tls-config/tls');
            assert.strictEqual(status, 200);
            const body = JSON.parse(text) as Record<string, unknown>;
            assert.strictEqual(body.has_passphrase, true);
            assert.ok(!('passphrase' in body) && !text.includes(passphrase));
        });

        it('flows.json on disk holds no credential, flows_cred.json holds them encrypted', async function () {
            const flowsFile = nodeRed.readUserFile('flows.json');
            for (const secret of secrets) assert.ok(!flowsFile.includes(secret), `flows.json contains ${secret.slice(0, 12)}…`);
            assert.deepStrictEqual(credentialsIn(JSON.parse(flowsFile)), []);
            const credFile = nodeRed.readUserFile('flows_cred.json');
            for (const secret of secrets) assert.ok(!credFile.includes(secret), `flows_cred.json holds ${secret.slice(0, 12)}… in clear`);
            const stored = decryptCredentials(nodeRed.credentialSecret, JSON.parse(credFile) as { $: string });
            assert.deepStrictEqual(stored['secure-redis'], { username, password });
            assert.strictEqual(stored.tls.keydata, pem.key);
        });
    });
});
