// A real Redis Cluster for tests: three primaries (no replicas) on free loopback ports,
// joined with `redis-cli --cluster create`, ready once every node reports cluster_state:ok.
import { execFile } from 'child_process';
import { promisify } from 'util';
import Redis from 'ioredis';
import { RedisProcess } from './redis-process';

const run = promisify(execFile);

export class RedisCluster {
    private constructor(readonly nodes: RedisProcess[]) {}

    static async start(primaries = 3): Promise<RedisCluster> {
        const nodes: RedisProcess[] = [];
        try {
            for (let i = 0; i < primaries; i++) {
                nodes.push(await RedisProcess.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']));
            }
            const cluster = new RedisCluster(nodes);
            await run('redis-cli', ['--cluster', 'create', ...cluster.addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30000 });
            await cluster.waitUntilOk();
            return cluster;
        } catch (err) {
            await Promise.all(nodes.map((n) => n.destroy()));
            throw err;
        }
    }

    get addresses(): string[] {
        return this.nodes.map((n) => `127.0.0.1:${n.port}`);
    }

    /** The seed list as the config node takes it ("host:port, host:port"). */
    get seedList(): string {
        return this.addresses.join(', ');
    }

    /** The node that serves a key's slot. */
    async ownerOf(key: string): Promise<RedisProcess> {
        const client = new Redis(this.nodes[0].port, { lazyConnect: true });
        try {
            const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
            const ranges = (await client.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
            const range = ranges.find(([from, to]) => slot >= from && slot <= to);
            const owner = this.nodes.find((n) => n.port === range?.[2][1]);
            if (!owner) throw new Error(`no owner for slot ${slot}`);
            return owner;
        } finally {
            client.disconnect();
        }
    }

    /**
     * Moves the slot of `key` (with its keys) to another primary, the way a resharding
     * does: IMPORTING/MIGRATING, MIGRATE, then SETSLOT NODE on every primary.
     */
    async moveSlotOf(key: string, to: RedisProcess): Promise<void> {
        const from = await this.ownerOf(key);
        if (from === to) return;
        const source = new Redis(from.port);
        const target = new Redis(to.port);
        try {
            const slot = Number(await source.call('CLUSTER', 'KEYSLOT', key));
            const sourceId = String(await source.call('CLUSTER', 'MYID'));
            const targetId = String(await target.call('CLUSTER', 'MYID'));
            await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
            await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
            for (;;) {
                const keys = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
                if (!keys.length) break;
                await source.call('MIGRATE', '127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys);
            }
            for (const node of this.nodes) {
                const client = new Redis(node.port);
                await client.call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId).finally(() => client.disconnect());
            }
        } finally {
            source.disconnect();
            target.disconnect();
        }
    }

    async destroy(): Promise<void> {
        await Promise.all(this.nodes.map((n) => n.destroy()));
    }

    private async waitUntilOk(): Promise<void> {
        const deadline = Date.now() + 20000;
        for (;;) {
            const states = await Promise.all(this.nodes.map(async (n) => {
                const client = new Redis(n.port, { lazyConnect: true });
                try {
                    return /cluster_state:ok/.test(String(await client.call('CLUSTER', 'INFO')));
                } finally {
                    client.disconnect();
                }
            }));
            if (states.every(Boolean)) return;
            if (Date.now() > deadline) throw new Error('the cluster did not become ready');
            await new Promise((r) => setTimeout(r, 100));
        }
    }
}
