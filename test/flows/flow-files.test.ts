// Every flow this package ships (flows/*.json for the demo, examples/**/*.json for the
// editor's Import › Examples menu) must import cleanly into a stock Node-RED with this
// package, the dashboard and pi-gpio: a JSON array of nodes of known types whose
// references (tabs, groups, wires, config nodes) all resolve inside the same file.
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { FlowNode, flowFilesIn, mergeFlows, readFlowFile, SHARED_REDIS_ID } from '../../scripts/demo/flows';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { knownTypes, packageNodeHtmlFiles } from './known-types';

const FLOWS_DIR = path.join(REPO_ROOT, 'flows');
const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');

/** Outputs of this package's nodes (fixed by the spec), to check wires arrays. */
const OUTPUTS: Record<string, number> = {
    'mfrc522-reader': 2, 'transit-sale': 3, 'transit-gate': 2, 'transit-monitor': 1, 'audio-prompt': 1,
};

/** Properties that name a config node, by node type ('*' = any dashboard widget). */
const CONFIG_REFS: Record<string, Record<string, string>> = {
    'transit-sale': { server: 'redis-iot-server' },
    'transit-gate': { server: 'redis-iot-server' },
    'transit-monitor': { server: 'redis-iot-server' },
    'ui-page': { ui: 'ui-base', theme: 'ui-theme' },
    'ui-group': { page: 'ui-page' },
};

function jsonFilesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) return jsonFilesUnder(full);
        return entry.name.endsWith('.json') ? [full] : [];
    });
}

/** The config-node references a node must have, as [property, expected type, required]. */
function referencesOf(node: FlowNode): Array<[string, string, boolean]> {
    const refs: Array<[string, string, boolean]> = Object.entries(CONFIG_REFS[node.type] ?? {}).map(([p, t]) => [p, t, true]);
    if (node.type === 'ui-template') {
        const scope = String(node.templateScope ?? 'local');
        refs.push(['group', 'ui-group', scope === 'local'], ['page', 'ui-page', scope === 'widget:page' || scope === 'page:style'],
            ['ui', 'ui-base', scope === 'widget:ui' || scope === 'site:style']);
    } else if (node.type.startsWith('ui-') && !['ui-base', 'ui-theme', 'ui-page', 'ui-group', 'ui-link'].includes(node.type)) {
        refs.push(['group', 'ui-group', node.type !== 'ui-event' && node.type !== 'ui-control' && node.type !== 'ui-notification']);
    }
    return refs;
}

function problemsIn(flows: FlowNode[], types: Set<string>): string[] {
    const problems: string[] = [];
    const byId = new Map<string, FlowNode>();
    for (const node of flows) {
        if (byId.has(node.id)) problems.push(`id ${node.id} is used twice`);
        byId.set(node.id, node);
    }
    const isA = (id: unknown, type: string) => typeof id === 'string' && byId.get(id)?.type === type;
    const hasTabs = flows.some((n) => n.type === 'tab');
    const canvas = flows.find((n) => n.z)?.z;
    for (const node of flows) {
        const where = `${node.type} ${node.id}`;
        if (!types.has(node.type)) problems.push(`${where}: unknown node type`);
        // Examples carry no tab (the editor imports them into the current one), but their
        // nodes must all sit on one canvas; a flow file's nodes must sit on its tabs.
        if (node.z !== undefined && node.z !== '') {
            if (hasTabs ? !isA(node.z, 'tab') && !isA(node.z, 'subflow') : node.z !== canvas) problems.push(`${where}: z ${String(node.z)} is not a tab here`);
        }
        if (node.g !== undefined) {
            const group = byId.get(String(node.g));
            if (group?.type !== 'group' || !(group.nodes as string[]).includes(node.id)) problems.push(`${where}: group ${String(node.g)} does not list it`);
        }
        if (node.type === 'group') {
            for (const member of node.nodes as string[]) if (byId.get(member)?.g !== node.id) problems.push(`${where}: member ${member} is not in the group`);
        }
        if (node.wires !== undefined) {
            const wires = node.wires as string[][];
            if (!Array.isArray(wires) || !wires.every(Array.isArray)) problems.push(`${where}: wires is not an array of arrays`);
            else {
                for (const target of wires.flat()) if (!byId.has(target)) problems.push(`${where}: wired to missing node ${target}`);
                const outputs = OUTPUTS[node.type] ?? (node.type === 'function' ? Number(node.outputs) : undefined);
                if (outputs !== undefined && wires.length !== outputs) problems.push(`${where}: ${wires.length} wire lists for ${outputs} outputs`);
            }
        }
        if (Array.isArray(node.scope)) {
            for (const target of node.scope as string[]) if (!byId.has(target)) problems.push(`${where}: scope names missing node ${target}`);
        }
        if (Array.isArray(node.links)) {
            for (const target of node.links as string[]) if (!byId.has(target)) problems.push(`${where}: links to missing node ${target}`);
        }
        for (const [property, type, required] of referencesOf(node)) {
            const value = node[property];
            if (value === undefined || value === '') {
                if (required) problems.push(`${where}: ${property} is not set`);
            } else if (!isA(value, type)) {
                problems.push(`${where}: ${property} ${String(value)} is not a ${type} in this file`);
            }
        }
    }
    return problems;
}

describe('shipped flow files', function () {
    const { ours, all } = knownTypes();
    const flowFiles = flowFilesIn(FLOWS_DIR);
    const exampleFiles = jsonFilesUnder(EXAMPLES_DIR);

    it('this package registers every node type package.json declares', function () {
        for (const html of packageNodeHtmlFiles()) {
            const type = path.basename(html, '.html');
            assert.ok(ours.has(type), `${path.relative(REPO_ROOT, html)} should register ${type}`);
        }
    });

    it('ships the three demo flows', function () {
        assert.deepStrictEqual(flowFiles.map((f) => path.basename(f)).sort(),
            ['transit-entry-gate.json', 'transit-monitor.json', 'transit-sales-terminal.json']);
    });

    for (const file of [...flowFiles, ...exampleFiles]) {
        const name = path.relative(REPO_ROOT, file);
        it(`${name} is a valid, self-contained flow`, function () {
            const flows = readFlowFile(file);
            assert.ok(flows.length > 0, 'the file is empty');
            assert.deepStrictEqual(problemsIn(flows, all), []);
            assert.ok(flows.some((n) => n.type === 'comment'), 'a comment node should explain the flow');
            for (const server of flows.filter((n) => n.type === 'redis-iot-server')) {
                assert.deepStrictEqual([server.host, Number(server.port), Number(server.db ?? 0)], ['127.0.0.1', 6379, 0],
                    `${server.id} should point at a local Redis`);
            }
        });
    }

    it('the demo flows share one Redis config node and one dashboard, identical in every file', function () {
        const files = flowFiles.map(readFlowFile);
        const { flows, conflicts } = mergeFlows(files);
        assert.deepStrictEqual(conflicts, []);
        for (const type of ['redis-iot-server', 'ui-base', 'ui-theme']) {
            assert.strictEqual(flows.filter((n) => n.type === type).length, 1, `one ${type} after merging`);
        }
        assert.ok(flows.some((n) => n.id === SHARED_REDIS_ID && n.type === 'redis-iot-server'));
        for (const [index, file] of files.entries()) {
            assert.strictEqual(file.filter((n) => n.type === 'tab').length, 1, `${flowFiles[index]} has one tab`);
        }
        const pagePaths = flows.filter((n) => n.type === 'ui-page').map((n) => n.path);
        assert.deepStrictEqual(pagePaths.sort(), ['/gate', '/monitor', '/sales']);
        assert.deepStrictEqual(problemsIn(flows, all), []);
    });

    it('has one example per transit node, each using that node', function () {
        for (const [type, example] of [
            ['transit-sale', 'transit-sale/Sell a pass.json'],
            ['transit-gate', 'transit-gate/Check a pass at a gate.json'],
            ['transit-monitor', 'transit-monitor/Watch transit events.json'],
        ]) {
            const file = path.join(EXAMPLES_DIR, example);
            assert.ok(fs.existsSync(file), `missing examples/${example}`);
            const flows = readFlowFile(file);
            assert.ok(flows.some((n) => n.type === type), `examples/${example} should use ${type}`);
            assert.ok(flows.some((n) => n.type === 'inject') && flows.some((n) => n.type === 'debug'), `examples/${example} needs inject and debug nodes`);
        }
    });
});
