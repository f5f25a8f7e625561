// TLS between Node-RED and Redis: a real redis-server with a TLS port (client certificates
// required) beside its plaintext port, certificates made by openssl for this run, and
// Node-RED's core tls-config node giving the redis-iot-server its CA, certificate and key.
import assert from 'assert';
import Redis from 'ioredis';
import { catchNode, collect, coreNode, FlowNode, helper, load, loggedBy, Msg, serverNode, statusOf, waitFor } from '../support/flow';
import { freePort, RedisProcess } from '../support/redis-process';
import { settingsFromConfig, tlsChoice } from '../../nodes/lib/redis/settings';
import { makeTestCertificates, TestCertificates, tlsServerArgs } from './certificates';
import { SERVER_CATALOGUE } from '../../nodes/common/redis-user';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const counterModule = require('../../nodes/redis-counter/redis-counter');
const tlsConfigModule = coreNode('network/05-tls.js');

const KEY = 'tls:test:counter';
const CLIENT_NAME = 'node-red:redis-test';

interface TlsConfigFields {
    ca?: string;
    cert?: string;
    key?: string;
    verifyservercert?: boolean;
}

function tlsConfigNode(fields: TlsConfigFields): FlowNode {
    return { id: 'tls', type: 'tls-config', name: '', cert: '', key: '', ca: '', certname: '', keyname: '', caname: '', servername: '', alpnprotocol: '', ...fields };
}

function counterFlow(port: number, serverExtra: Record<string, unknown>, tlsConfig?: FlowNode): FlowNode[] {
    return [
        { id: 'tab', type: 'tab' },
        ...(tlsConfig ? [tlsConfig] : []),
        { ...serverNode(port, serverExtra), z: 'tab' },
        { id: 'counter', type: 'redis-counter', z: 'tab', server: 'redis-test', key: KEY, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
    ];
}

const last = (msgs: Msg[]) => msgs[msgs.length - 1]?.payload;

/** Our clients as the server lists them, with the local address each came in on. */
async function ourClients(admin: Redis): Promise<Array<{ laddr: string }>> {
    const list = (await admin.client('LIST')) as string;
    return list.split('\n').filter((line) => line.includes(`name=${CLIENT_NAME} `))
        .map((line) => ({ laddr: /\bladdr=(\S+)/.exec(line)?.[1] ?? '' }));
}

async function twoFreePorts(): Promise<[number, number]> {
    for (;;) {
        const a = await freePort();
        const b = await freePort();
        if (a !== b) return [a, b];
    }
}

/** The message keys of the warnings and errors the helper logged for one node. */
const problemsLoggedBy = (id: string): string[] => loggedBy(id).map((e) => String(e.msg));

/** Like statusOf, for a node whose start failed (so helper.getNode cannot find it). */
function lastStatusSetBy(id: string): { fill?: string; text?: string } {
    const spy = helper.getNode('redis-test').status as unknown as { getCalls(): Array<{ thisValue: { id?: string }; args: unknown[] }> };
    const mine = spy.getCalls().filter((c) => c.thisValue?.id === id);
    return (mine[mine.length - 1]?.args[0] ?? {}) as { fill?: string; text?: string };
}

describe('TLS to Redis through a tls-config node', function () {
    this.timeout(60000);
    let certs: TestCertificates;
    let redis: RedisProcess;
    let tlsPort: number;
    let admin: Redis;

    before(async function () {
        certs = makeTestCertificates();
        let plainPort: number;
        [plainPort, tlsPort] = await twoFreePorts();
        redis = new RedisProcess(plainPort, tlsServerArgs(certs, tlsPort));
        await redis.start();
        admin = new Redis(redis.port);
    });

    after(async function () {
        admin?.disconnect();
        await redis?.destroy();
        certs?.remove();
    });

    beforeEach(() => admin.del(KEY));
    afterEach(() => helper.unload());

    it('works over the TLS port with the CA and a client certificate, and the server sees a TLS client', async function () {
        await load([serverModule, counterModule, tlsConfigModule, catchNode],
            counterFlow(tlsPort, { usetls: true, tls: 'tls' }, tlsConfigNode({ ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey, verifyservercert: true })));
        const out = collect('out');
        await waitFor(() => out.length >= 1, 10000, 'the initial value over TLS');
        assert.strictEqual(last(out), 0);
        helper.getNode('counter').receive({ payload: 'increment' });
        await waitFor(() => last(out) === 1, 10000, 'the increment read back over TLS');
        assert.strictEqual(await admin.get(KEY), '1');
        // Both clients (commands and the keyspace subscriber) came in on the TLS port,
        // which speaks nothing but TLS.
        const clients = await ourClients(admin);
        assert.strictEqual(clients.length, 2, JSON.stringify(clients));
        for (const client of clients) assert.strictEqual(client.laddr, `127.0.0.1:${tlsPort}`);
        assert.strictEqual(statusOf('counter').fill, 'green');
    });

    for (const variant of [
        { name: 'a tls-config with the wrong CA', verify: { verifyservercert: true } },
        // Node-RED's tls-config copies this box into rejectUnauthorized; absent (a
        // hand-written flow) it is undefined, which must still mean "verify".
        { name: 'a hand-written tls-config without the verify box and with the wrong CA', verify: {} },
    ]) {
        it(`refuses a server certificate that does not verify (${variant.name}): red status, clear error, no crash`, async function () {
            await load([serverModule, counterModule, tlsConfigModule, catchNode],
                counterFlow(tlsPort, { usetls: true, tls: 'tls' }, tlsConfigNode({ ca: certs.otherCaCert, cert: certs.clientCert, key: certs.clientKey, ...variant.verify })));
            const caught = collect('caught');
            await waitFor(() => statusOf('counter').fill === 'red', 10000, 'a red status');
            assert.match(statusOf('counter').text ?? '', /CERT|certificate/i);
            // Commands fail at once instead of being queued or sent unverified.
            helper.getNode('counter').receive({ payload: 'increment' });
            await waitFor(() => caught.length === 1, 5000, 'the increment fails as a catchable error');
            // It keeps retrying without crashing, never gets a session, and writes nothing.
            await new Promise((r) => setTimeout(r, 2500));
            assert.strictEqual(statusOf('counter').fill, 'red');
            assert.deepStrictEqual(await ourClients(admin), []);
            assert.strictEqual(await admin.exists(KEY), 0);
            // One warning for the outage, not one per reconnect attempt.
            assert.deepStrictEqual(problemsLoggedBy('redis-test'), ['redis-iot-server.errors.connection']);
        });
    }

    it('is refused by a server that requires client certificates when it has none', async function () {
        await load([serverModule, counterModule, tlsConfigModule, catchNode],
            counterFlow(tlsPort, { usetls: true, tls: 'tls' }, tlsConfigNode({ ca: certs.caCert, verifyservercert: true })));
        await waitFor(() => statusOf('counter').fill === 'red' && (statusOf('counter').text ?? '') !== '', 10000, 'a red status');
        await new Promise((r) => setTimeout(r, 2000));
        assert.strictEqual(statusOf('counter').fill, 'red');
        assert.deepStrictEqual(await ourClients(admin), []);
        // The server just resets the connection; the log line says what is probably missing.
        assert.deepStrictEqual(problemsLoggedBy('redis-test'), ['redis-iot-server.errors.connection-no-client-cert']);
    });

    it('keeps old flows working: tls true without a tls-config means TLS checked against the system CAs', async function () {
        // The test CA is in no system store, so only a certificate error can come back;
        // plaintext on this port would fail with a reset instead.
        await load([serverModule, counterModule, catchNode], counterFlow(tlsPort, { tls: true }));
        await waitFor(() => statusOf('counter').fill === 'red' && /CERT|certificate/i.test(statusOf('counter').text ?? ''), 10000, 'a certificate error');
        assert.deepStrictEqual(await ourClients(admin), []);
    });

    it('keeps old flows working: tls false (the shipped flows) and an unticked box mean plaintext', async function () {
        for (const serverExtra of [{ tls: false }, { usetls: false, tls: 'tls' }]) {
            await load([serverModule, counterModule, tlsConfigModule, catchNode],
                counterFlow(redis.port, serverExtra, tlsConfigNode({ ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey, verifyservercert: true })));
            const out = collect('out');
            await waitFor(() => out.length >= 1, 10000, `the initial value over plaintext with ${JSON.stringify(serverExtra)}`);
            const clients = await ourClients(admin);
            assert.ok(clients.length > 0 && clients.every((c) => c.laddr === `127.0.0.1:${redis.port}`), JSON.stringify(clients));
            await helper.unload();
        }
    });

    for (const broken of [
        { name: 'a missing tls-config', serverExtra: { usetls: true, tls: 'gone' }, tlsConfig: undefined },
        // The core node refuses a certificate without its key (and says so itself).
        { name: 'a tls-config that could not load its files', serverExtra: { usetls: true, tls: 'tls' }, tlsConfig: { cert: '/nonexistent/client.crt' } },
    ]) {
        it(`reports ${broken.name} as invalid settings instead of connecting without its certificates`, async function () {
            await load([serverModule, counterModule, tlsConfigModule, catchNode],
                counterFlow(tlsPort, broken.serverExtra, broken.tlsConfig && tlsConfigNode(broken.tlsConfig)));
            // (The test helper's RED._ returns message keys, without the interpolated id.)
            await waitFor(() => problemsLoggedBy('redis-test').includes('redis-iot-server.errors.bad-config'), 5000, 'the settings error');
            await waitFor(() => lastStatusSetBy('counter').fill === 'red', 5000, 'a red status on the node using it');
            assert.strictEqual(lastStatusSetBy('counter').text, `${SERVER_CATALOGUE}:redis-iot-server.status.bad-settings`);
            await new Promise((r) => setTimeout(r, 1000));
            assert.deepStrictEqual(await ourClients(admin), []);
        });
    }

    describe('settings', function () {
        const base = { host: 'h', port: 6379, db: 0, mode: 'standalone' as const, sentinels: '', sentinelName: '', clusterNodes: '', timeout: 250 };

        it('reads the TLS choice of new and old flows', function () {
            assert.deepStrictEqual(tlsChoice({ tls: false }), { enabled: false });
            assert.deepStrictEqual(tlsChoice({}), { enabled: false });
            assert.deepStrictEqual(tlsChoice({ tls: true }), { enabled: true });
            assert.deepStrictEqual(tlsChoice({ tls: true, usetls: false }), { enabled: true });
            assert.deepStrictEqual(tlsChoice({ usetls: true, tls: '' }), { enabled: true, configId: undefined });
            assert.deepStrictEqual(tlsChoice({ usetls: true, tls: 'abc' }), { enabled: true, configId: 'abc' });
            assert.deepStrictEqual(tlsChoice({ usetls: false, tls: 'abc' }), { enabled: false });
            assert.deepStrictEqual(tlsChoice({ tls: 'abc' }), { enabled: true, configId: 'abc' });
        });

        it('passes the tls-config options on only when TLS is on', function () {
            const s = settingsFromConfig({ ...base, usetls: true, tls: 'x' }, {}, 'id', { ca: 'CA' });
            assert.deepStrictEqual([s.tls, s.tlsOptions], [true, { ca: 'CA' }]);
            const off = settingsFromConfig({ ...base, usetls: false, tls: 'x' }, {}, 'id', { ca: 'CA' });
            assert.deepStrictEqual([off.tls, off.tlsOptions], [false, undefined]);
        });
    });
});
