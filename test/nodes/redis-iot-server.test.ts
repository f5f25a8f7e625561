import assert from 'assert';
import Redis from 'ioredis';
import { catchNode, FlowNode, helper, load, serverNode, statusOf, waitFor } from '../support/flow';
import { RedisProcess } from '../support/redis-process';
import { settingsFromConfig } from '../../nodes/lib/redis/settings';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');
const saleModule = require('../../nodes/transit-sale/transit-sale');
const monitorModule = require('../../nodes/transit-monitor/transit-monitor');

const USERS = ['gate', 'sale', 'monitor'];

function systemFlow(port: number, serverExtra: Record<string, unknown> = {}): FlowNode[] {
    return [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port, serverExtra), z: 'tab' },
        { id: 'gate', type: 'transit-gate', z: 'tab', server: 'redis-test', gateId: 'g1', wires: [[], []] },
        { id: 'sale', type: 'transit-sale', z: 'tab', server: 'redis-test', wires: [[], [], []] },
        { id: 'monitor', type: 'transit-monitor', z: 'tab', server: 'redis-test', wires: [[]] },
        { id: 'catcher', type: 'catch', z: 'tab', wires: [[]] },
    ];
}

async function clientsNamed(port: number, name: string): Promise<number> {
    const admin = new Redis(port);
    const list = await admin.client('LIST') as string;
    await admin.quit();
    return list.split('\n').filter((line) => line.includes(`name=${name} `)).length;
}

describe('redis-iot-server config node', function () {
    let own: RedisProcess;
    beforeEach(async () => {
        own = await RedisProcess.start();
    });
    afterEach(async () => {
        await helper.unload();
        await own.destroy();
    });

    it('shows the connection state on every node that uses it, through an outage and back', async function () {
        await load([serverModule, gateModule, saleModule, monitorModule, catchNode], systemFlow(own.port));
        await waitFor(() => USERS.every((id) => statusOf(id).fill === 'green'), 5000, 'all connected');
        await own.stop();
        await waitFor(() => USERS.every((id) => statusOf(id).fill === 'red'), 5000, 'all red');
        await own.start();
        await waitFor(() => USERS.every((id) => statusOf(id).fill === 'green'), 8000, 'all green again');
    });

    it('shares one command client and one subscriber between its nodes, and closes them with the last', async function () {
        await load([serverModule, gateModule, saleModule, monitorModule, catchNode], systemFlow(own.port));
        await waitFor(() => USERS.every((id) => statusOf(id).fill === 'green'), 5000, 'all connected');
        await waitFor(async () => (await clientsNamed(own.port, 'node-red:redis-test')) === 2, 3000, 'two clients');
        await helper.unload();
        await waitFor(async () => (await clientsNamed(own.port, 'node-red:redis-test')) === 0, 3000, 'clients closed');
    });

    it('authenticates with its credentials, and shows a wrong password as an error', async function () {
        await own.destroy();
        own = await RedisProcess.start(['--requirepass', 's3cret']);
        await load([serverModule, gateModule, catchNode], systemFlow(own.port).filter((n) => ['tab', 'redis-test', 'gate'].includes(n.id)),
            { 'redis-test': { password: 's3cret' } });
        await waitFor(() => statusOf('gate').fill === 'green', 5000, 'connected with the password');
        await helper.unload();
        await load([serverModule, gateModule, catchNode], systemFlow(own.port).filter((n) => ['tab', 'redis-test', 'gate'].includes(n.id)),
            { 'redis-test': { password: 'wrong' } });
        await waitFor(() => statusOf('gate').fill === 'red' && /WRONGPASS|NOAUTH|invalid/i.test(statusOf('gate').text ?? ''), 5000, 'auth error');
    });

    it('refuses settings that cannot work, with a clear message', function () {
        const base = { host: 'h', port: 6379, db: 0, tls: false, mode: 'standalone' as const, sentinels: '', sentinelName: '', clusterNodes: '', timeout: 250 };
        assert.throws(() => settingsFromConfig({ ...base, port: 70000 }, {}, 'x'), /invalid port/);
        assert.throws(() => settingsFromConfig({ ...base, db: -1 }, {}, 'x'), /invalid database/);
        assert.throws(() => settingsFromConfig({ ...base, timeout: 'soon' }, {}, 'x'), /invalid command timeout/);
        assert.throws(() => settingsFromConfig({ ...base, mode: 'sentinel', sentinels: 'a:b' }, {}, 'x'), /not a host|bad port/);
        const s = settingsFromConfig({ ...base, mode: 'sentinel', sentinels: '10.0.0.1, 10.0.0.2:26380', sentinelName: 'm' }, { password: 'p' }, 'x');
        assert.deepStrictEqual(s.sentinels, [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26380 }]);
        assert.strictEqual(s.password, 'p');
        assert.strictEqual(s.replicas, 0, 'no WAIT unless asked for');
        assert.strictEqual(settingsFromConfig({ ...base, replicas: '2' }, {}, 'x').replicas, 2);
        assert.throws(() => settingsFromConfig({ ...base, replicas: 'all' }, {}, 'x'), /invalid number of replicas/);
        assert.throws(() => settingsFromConfig({ ...base, replicas: -1 }, {}, 'x'), /invalid number of replicas/);
    });
});
