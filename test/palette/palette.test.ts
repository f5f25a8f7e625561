// The palette path, as a Raspberry Pi owner takes it: this package packed as npm publishes
// it, uploaded through the palette manager into their own Node-RED (of the line under test,
// installed from the npm registry, on an empty user dir), then every system imported from
// Import > Examples, deployed and opened on its dashboard page. Once more next to the oldest
// Dashboard 2.0 the package declares it works with, installed first as the palette manager
// would (saved as ~x.y.z), where npm must not nest a second Dashboard under this package.
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import Redis from 'ioredis';
import type { Browser } from 'playwright-core';
import { FlowNode, mergeFlows, pointAtRedis, SHARED_REDIS_ID } from '../../scripts/demo/flows';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { launchChromiumOrSkip } from '../flows/chromium';
import { nodeRedLine, waitFor } from '../support/flow';
import { RedisProcess } from '../support/redis-process';
import { installNodeRed, NodeSet, packPackage, PaletteNodeRed, tempDir } from './palette-node-red';

const PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    name: string;
    'node-red': { nodes: Record<string, string> };
    peerDependencies: Record<string, string>;
};
const DASHBOARD = '@flowfuse/node-red-dashboard';
const OUR_TYPES = Object.keys(PACKAGE['node-red'].nodes);

/** The oldest Dashboard 2.0 the package declares (its peer range starts ">=x.y.z"). */
function oldestDashboard(): string {
    const match = /^>=\s*(\d+\.\d+\.\d+)/.exec(PACKAGE.peerDependencies[DASHBOARD] ?? '');
    if (!match) throw new Error(`the ${DASHBOARD} peer range should start with ">=x.y.z", not ${PACKAGE.peerDependencies[DASHBOARD]}`);
    return match[1];
}

/** Our nodes' error lines in Node-RED's log ("[error] [transit-gate:Gate] ..."). */
function ourErrors(log: string): string[] {
    return log.split('\n').filter((line) => /\[error\]/.test(line) && OUR_TYPES.some((type) => line.includes(`[${type}`)));
}

describe(`palette install into a Pi owner's Node-RED ${nodeRedLine.version}`, function () {
    this.timeout(900_000);
    let work: string;
    let tarball: string;
    let redJs: string;
    let browser: Browser;
    let redis: RedisProcess;

    before(async function () {
        browser = await launchChromiumOrSkip(this);
        work = tempDir('palette');
        redis = await RedisProcess.start();
        tarball = await packPackage(REPO_ROOT, work);
        redJs = await installNodeRed(nodeRedLine, path.join(work, 'global'));
    });
    after(async () => {
        await browser?.close();
        await redis?.destroy();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    /** Our node sets as Node-RED reports them; every type of package.json must be there, loaded, without an error. */
    async function assertOurTypesRegistered(nodeRed: PaletteNodeRed): Promise<NodeSet[]> {
        const sets = await nodeRed.nodeSets();
        const ours = sets.filter((set) => set.module === PACKAGE.name);
        assert.deepStrictEqual(ours.flatMap((set) => set.types).sort(), [...OUR_TYPES].sort());
        const broken = ours.filter((set) => !set.enabled || set.err);
        assert.deepStrictEqual(broken.map((set) => `${set.id}: ${set.err}`), [], nodeRed.log.slice(-4000));
        return sets;
    }

    /** No copy of a module nested under our package: Node-RED would never load it. */
    function assertNotNested(nodeRed: PaletteNodeRed, module: string): void {
        const nested = path.join(nodeRed.userDir, 'node_modules', PACKAGE.name, 'node_modules', module);
        assert.ok(!fs.existsSync(nested), `a second ${module} was installed under ${PACKAGE.name}`);
    }

    /** The examples Node-RED offers for this package: the systems are its top-level files. */
    async function systems(nodeRed: PaletteNodeRed): Promise<Array<{ name: string; flow: FlowNode[] }>> {
        // A folder listing: sub-folder names as strings, files as {fn: name}.
        const listing = await nodeRed.examples(PACKAGE.name) as Array<string | { fn: string }>;
        const names = listing.flatMap((entry) => (typeof entry === 'object' ? [entry.fn] : []));
        assert.strictEqual(names.length, 6, `six systems at the top of Import > Examples, found ${JSON.stringify(listing)}`);
        return Promise.all(names.map(async (name) => ({ name, flow: await nodeRed.examples(`${PACKAGE.name}/${encodeURIComponent(name)}`) as FlowNode[] })));
    }

    /** Deploys, then waits until every node of ours that talks to Redis is green and none of ours is red. */
    async function deployAndSettle(nodeRed: PaletteNodeRed, flow: FlowNode[], what: string): Promise<void> {
        const errorsBefore = ourErrors(nodeRed.log).length;
        await nodeRed.deploy(pointAtRedis(flow, { host: '127.0.0.1', port: redis.port, db: 0, tls: false }));
        const ours = flow.filter((node) => OUR_TYPES.includes(node.type) && node.type !== 'redis-iot-server');
        const describe = () => ours.map((node) => `${node.type} ${node.id}: ${JSON.stringify(nodeRed.statuses.of(node.id) ?? null)}`).join('\n');
        // A camera picture taken by a clock far from Redis's (a run with the Node clock shifted) is
        // stored and flagged with a yellow dot: working, with a warning.
        const working = (node: FlowNode) => {
            const status = nodeRed.statuses.of(node.id);
            return status?.fill === 'green' || (node.type === 'redis-image-store' && status?.fill === 'yellow' && /camera clock/.test(status.text ?? ''));
        };
        await waitFor(() => ours.every((node) => node.server === undefined || working(node)), 30_000,
            () => `${what}: every node of ours that uses Redis working\n${describe()}`);
        assert.deepStrictEqual(ours.filter((node) => nodeRed.statuses.of(node.id)?.fill === 'red').map((node) => node.id), [], describe());
        assert.deepStrictEqual(ourErrors(nodeRed.log).slice(errorsBefore), [], `${what}: errors in Node-RED's log`);
    }

    /** Opens each dashboard page of `flow` and waits for every widget of that page to be drawn. */
    async function openPages(nodeRed: PaletteNodeRed, flow: FlowNode[]): Promise<string[]> {
        const opened: string[] = [];
        for (const page of flow.filter((node) => node.type === 'ui-page')) {
            const groups = new Set(flow.filter((node) => node.type === 'ui-group' && node.page === page.id).map((node) => node.id));
            const widgets = flow.filter((node) => groups.has(String(node.group)));
            assert.ok(widgets.length > 0, `page ${page.name} has widgets`);
            const tab = await browser.newPage();
            try {
                await tab.goto(`${nodeRed.baseUrl}/dashboard${String(page.path)}`);
                for (const widget of widgets) await tab.locator(`#nrdb-ui-widget-${widget.id}`).waitFor({ timeout: 30_000 });
            } finally {
                await tab.close();
            }
            opened.push(`${String(page.path)} (${widgets.length} widgets)`);
        }
        return opened;
    }

    /**
     * A live round trip through the dashboard, when the flow has the counter page: Redis's
     * value shown, then a click on Increment reaching Redis and coming back to the page.
     */
    async function counterRoundTrip(nodeRed: PaletteNodeRed, flow: FlowNode[]): Promise<string> {
        const counter = flow.find((node) => node.type === 'redis-counter');
        if (!counter) return '';
        const key = String(counter.key || 'mycounter');
        const client = new Redis(redis.port);
        const tab = await browser.newPage();
        try {
            await client.set(key, '41');
            const shows = (value: number) => tab.locator(`.redis-counter-value[data-value="${value}"]`).waitFor({ timeout: 30_000 });
            await tab.goto(`${nodeRed.baseUrl}/dashboard/counter`);
            await shows(41);
            await tab.locator('#nrdb-ui-widget-counter-ui-increment button').click();
            await shows(42);
            assert.strictEqual(await client.get(key), '42');
            return ', the counter page counted from 41 to 42 in Redis';
        } finally {
            await tab.close();
            client.disconnect();
        }
    }

    describe('on an empty user dir', function () {
        let nodeRed: PaletteNodeRed;
        before(async () => {
            nodeRed = await PaletteNodeRed.start(redJs, path.join(work, 'fresh'));
        });
        after(() => nodeRed?.stop());

        it('installs the uploaded package with Dashboard 2.0 and pi-gpio; every node type registers, the peers after a restart', async function () {
            const started = Date.now();
            await nodeRed.uploadModule(tarball);
            const installMs = Date.now() - started;
            await assertOurTypesRegistered(nodeRed);
            // npm installs the peers beside the package, but Node-RED loads only the module it was
            // asked for until it restarts, which README's install section tells the owner to do.
            await nodeRed.restart();
            const sets = await assertOurTypesRegistered(nodeRed);
            for (const peer of Object.keys(PACKAGE.peerDependencies)) {
                const set = sets.find((s) => s.module === peer);
                assert.ok(set && set.enabled && !set.err, `${peer} installed beside it and loaded: ${JSON.stringify(set)}`);
                assertNotNested(nodeRed, peer);
            }
            console.log(`      installed ${path.basename(tarball)} in ${installMs} ms; ${OUR_TYPES.length} types, ` +
                `${DASHBOARD} ${sets.find((s) => s.module === DASHBOARD)?.version}, node-red-node-pi-gpio ${sets.find((s) => s.module === 'node-red-node-pi-gpio')?.version}`);
        });

        it('offers the six systems under Import > Examples; each deploys alone and opens its dashboard page', async function () {
            for (const { name, flow } of await systems(nodeRed)) {
                await deployAndSettle(nodeRed, flow, name);
                console.log(`      ${name}: deployed alone, ${(await openPages(nodeRed, flow)).join(', ')}${await counterRoundTrip(nodeRed, flow)}`);
            }
        });
    });

    describe(`next to the oldest Dashboard 2.0 it declares (${oldestDashboard()}), installed first from the palette`, function () {
        let nodeRed: PaletteNodeRed;
        before(async () => {
            nodeRed = await PaletteNodeRed.start(redJs, path.join(work, 'oldest'));
        });
        after(() => nodeRed?.stop());

        it('keeps the owner\'s Dashboard, nests no second copy, and runs all six systems together on it', async function () {
            await nodeRed.installModule(DASHBOARD, oldestDashboard());
            await nodeRed.uploadModule(tarball);
            await nodeRed.restart(); // for pi-gpio, installed with the package
            const sets = await assertOurTypesRegistered(nodeRed);
            assert.deepStrictEqual([...new Set(sets.filter((s) => s.module === DASHBOARD).map((s) => s.version))], [oldestDashboard()]);
            assertNotNested(nodeRed, DASHBOARD);
            const all = mergeFlows((await systems(nodeRed)).map((system) => system.flow)).flows;
            assert.ok(all.some((node) => node.id === SHARED_REDIS_ID));
            await deployAndSettle(nodeRed, all, 'all six systems');
            console.log(`      ${DASHBOARD} ${oldestDashboard()}: ${(await openPages(nodeRed, all)).join(', ')}${await counterRoundTrip(nodeRed, all)}`);
        });
    });
});
