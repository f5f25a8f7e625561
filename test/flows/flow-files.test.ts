// Every flow this package ships is one of its examples, which the editor's Import ›
// Examples menu offers: the five systems (examples/*.json, which the demo also runs) and one
// small example per node (examples/<type>/*.json). Each must import cleanly into a stock
// Node-RED with this package, the dashboard and pi-gpio: a JSON array of nodes of known
// types whose references (tabs, groups, wires, config nodes) all resolve inside the same file.
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import vm from 'vm';
import { examplesDir, FlowNode, mergeFlows, readFlowFile, SHARED_REDIS_ID, systemFlowFiles } from '../../scripts/demo/flows';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { knownTypes, packageNodeHtmlFiles } from './known-types';
import { jsonFilesUnder } from '../support/json-files';

const EXAMPLES_DIR = examplesDir(REPO_ROOT);

/** The systems, as the Import › Examples menu lists them (files after folders, by name). */
const SYSTEMS = ['Camera gallery.json', 'Synchronised counter.json', 'Transit ticketing 1 - sales terminal.json',
    'Transit ticketing 2 - entry gate.json', 'Transit ticketing 3 - monitor.json'];

/** Outputs of this package's nodes (fixed by the spec), to check wires arrays. */
const OUTPUTS: Record<string, number> = {
    'mfrc522-reader': 2, 'transit-sale': 4, 'transit-gate': 2, 'transit-monitor': 1, 'transit-operations': 1, 'audio-prompt': 1,
    'redis-counter': 1, 'tm1637-display': 1,
};

/** Properties that name a config node, by node type ('*' = any dashboard widget). */
const CONFIG_REFS: Record<string, Record<string, string>> = {
    'transit-sale': { server: 'redis-iot-server' },
    'transit-gate': { server: 'redis-iot-server' },
    'transit-monitor': { server: 'redis-iot-server' },
    'transit-operations': { server: 'redis-iot-server' },
    'redis-counter': { server: 'redis-iot-server' },
    'ui-page': { ui: 'ui-base', theme: 'ui-theme' },
    'ui-notification': { ui: 'ui-base' },
    'ui-group': { page: 'ui-page' },
};

/** The config-node references a node must have, as [property, expected type, required]. */
function referencesOf(node: FlowNode): Array<[string, string, boolean]> {
    const refs: Array<[string, string, boolean]> = Object.entries(CONFIG_REFS[node.type] ?? {}).map(([p, t]) => [p, t, true]);
    // A sales terminal without a catalogue sells the original three.
    if (node.type === 'transit-sale') refs.push(['products', 'transit-products', false]);
    if (node.type === 'ui-template') {
        const scope = String(node.templateScope ?? 'local');
        refs.push(['group', 'ui-group', scope === 'local'], ['page', 'ui-page', scope === 'widget:page' || scope === 'page:style'],
            ['ui', 'ui-base', scope === 'widget:ui' || scope === 'site:style']);
    } else if (node.type.startsWith('ui-') && !['ui-base', 'ui-theme', 'ui-page', 'ui-group', 'ui-link'].includes(node.type)) {
        refs.push(['group', 'ui-group', node.type !== 'ui-event' && node.type !== 'ui-control' && node.type !== 'ui-notification']);
    }
    return refs;
}

/** The code of a function node (body, On Start, On Stop) that does not compile, as Node-RED wraps it. */
function functionCodeProblems(node: FlowNode): string[] {
    const problems: string[] = [];
    for (const property of ['func', 'initialize', 'finalize']) {
        const body = node[property];
        if (typeof body !== 'string' || body === '') continue;
        try {
            new vm.Script(`(async function (msg, __send__, __done__) {\n${body}\n})`, { filename: `${node.id}.${property}` });
        } catch (err) {
            problems.push(`function ${node.id} ${property}: ${(err as Error).message}`);
        }
    }
    return problems;
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
        if (node.type === 'function') problems.push(...functionCodeProblems(node));
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
    const systemFiles = systemFlowFiles(REPO_ROOT);
    // Every example once, systems included: nothing below lists a file a second time.
    const exampleFiles = jsonFilesUnder(EXAMPLES_DIR);

    it('this package registers every node type package.json declares', function () {
        for (const html of packageNodeHtmlFiles()) {
            const type = path.basename(html, '.html');
            assert.ok(ours.has(type), `${path.relative(REPO_ROOT, html)} should register ${type}`);
        }
    });

    it('ships the five systems as top-level examples, listed in the menu as SYSTEMS', function () {
        // The editor sorts each menu level's files with localeCompare (red.js loadLibraryFolder).
        assert.deepStrictEqual(systemFiles.map((f) => path.basename(f)).sort((a, b) => a.localeCompare(b)), SYSTEMS);
    });

    it('every example is a system with its own tab, or a node\'s example in the folder of its type', function () {
        const nodeTypes = [...ours].filter((t) => t !== 'redis-iot-server');
        for (const file of exampleFiles) {
            const where = path.relative(EXAMPLES_DIR, file);
            const tabs = readFlowFile(file).filter((n) => n.type === 'tab').length;
            if (path.dirname(where) === '.') assert.strictEqual(tabs, 1, `${where}: a system has one tab`);
            else {
                assert.ok(nodeTypes.includes(path.dirname(where)), `${where}: examples/<folder>/ is named after a node type`);
                // The editor imports a node's example into the tab that is open.
                assert.strictEqual(tabs, 0, `${where}: a node's example has no tab`);
            }
        }
    });

    for (const file of exampleFiles) {
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

    it('says in each system\'s description what it needs and which dashboard page it opens', function () {
        for (const file of systemFiles) {
            const flows = readFlowFile(file);
            const info = String(flows.find((n) => n.type === 'tab')?.info ?? '');
            const name = path.basename(file);
            assert.match(info, /\*\*Hardware\*\*: /, `${name} says what hardware it uses`);
            assert.match(info, /a Redis server at 127\.0\.0\.1:6379 \(for another one, edit the \*127\.0\.0\.1:6379\* config node\)/, `${name} says what Redis it needs`);
            assert.match(info, /Dashboard 2\.0 \(`@flowfuse\/node-red-dashboard`/, `${name} says it needs Dashboard 2.0`);
            const dashboard = String(flows.find((n) => n.type === 'ui-base')?.path);
            for (const page of flows.filter((n) => n.type === 'ui-page')) {
                const named = `page **${String(page.name)}**, ${dashboard}${String(page.path)}`;
                const at = info.indexOf(named);
                // The whole path: /dashboard/gates must not pass for /dashboard/gate.
                assert.ok(at !== -1 && !/[\w/-]/.test(info.charAt(at + named.length)), `${name} names its page ${String(page.name)}`);
            }
        }
    });

    it('keeps the systems\' logic in nodes and core nodes: at most 40 lines of function-node code in all, none over 20', function () {
        // Issue 12: what stays in function nodes is short; the sentences and the sequences live
        // in our nodes and in core nodes a Node-RED user knows (change, switch, delay, filter).
        const functions = systemFiles.flatMap((file) => readFlowFile(file).filter((n) => n.type === 'function')
            .map((n) => ({ where: `${path.basename(file)}: ${String(n.name || n.id)}`, lines: String(n.func ?? '').split('\n').length })));
        const long = functions.filter((f) => f.lines > 20).map((f) => `${f.where} (${f.lines} lines)`);
        assert.deepStrictEqual(long, [], 'function nodes over 20 lines');
        const total = functions.reduce((sum, f) => sum + f.lines, 0);
        assert.ok(total <= 40, `${total} lines of function-node code: ${functions.map((f) => `${f.where} ${f.lines}`).join(', ')}`);
    });

    it('the systems share one Redis config node and one dashboard, identical in every file', function () {
        const files = systemFiles.map(readFlowFile);
        const { flows, conflicts } = mergeFlows(files);
        assert.deepStrictEqual(conflicts, []);
        for (const type of ['redis-iot-server', 'ui-base', 'ui-theme']) {
            assert.strictEqual(flows.filter((n) => n.type === type).length, 1, `one ${type} after merging`);
        }
        assert.ok(flows.some((n) => n.id === SHARED_REDIS_ID && n.type === 'redis-iot-server'));
        const pagePaths = flows.filter((n) => n.type === 'ui-page').map((n) => n.path);
        assert.deepStrictEqual(pagePaths.sort(), ['/camera', '/counter', '/gate', '/monitor', '/sales']);
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

    it('has an example for every node of this package, each using that node', function () {
        for (const type of [...ours].filter((t) => t !== 'redis-iot-server')) {
            const files = jsonFilesUnder(path.join(EXAMPLES_DIR, type));
            assert.ok(files.length > 0, `missing examples/${type}/`);
            for (const file of files) {
                const flows = readFlowFile(file);
                assert.ok(flows.some((n) => n.type === type), `${path.relative(REPO_ROOT, file)} should use ${type}`);
                assert.ok(flows.some((n) => n.type === 'inject'), `${path.relative(REPO_ROOT, file)} needs an inject node to try it`);
            }
        }
    });

    describe('the Synchronised counter', function () {
        const flows = readFlowFile(path.join(EXAMPLES_DIR, 'Synchronised counter.json'));
        const ofType = (type: string) => flows.filter((n) => n.type === type);

        it('counts in the original\'s key mycounter, on the shared Redis', function () {
            const counters = ofType('redis-counter');
            assert.strictEqual(counters.length, 1);
            assert.deepStrictEqual([counters[0].server, counters[0].key], [SHARED_REDIS_ID, 'mycounter']);
        });

        it('wires the Pi as the original: count button BCM 16, display CLK 23 / DIO 24, nothing on SPI0', function () {
            const buttons = ofType('rpi-gpio in');
            assert.ok(buttons.every((n) => n.bcm === true && n.intype === 'up'), 'buttons to ground, with the pull-up, BCM numbers');
            const pins = buttons.map((n) => Number(n.pin));
            assert.ok(pins.includes(16), 'the count button stays on BCM 16');
            const display = ofType('tm1637-display');
            assert.deepStrictEqual(display.map((n) => [Number(n.clk), Number(n.dio)]), [[23, 24]]);
            // BCM 7-11 are SPI0 (CE1, CE0, MISO, MOSI, SCLK): the original's reset button on
            // BCM 11 would clash with an RC522 reader on the same Pi.
            const spi0 = [7, 8, 9, 10, 11];
            assert.deepStrictEqual([...pins, 23, 24].filter((pin) => spi0.includes(pin)), []);
        });

        it('serves the original\'s HTTP interface, with every change over POST', function () {
            const routes = ofType('http in').map((n) => `${String(n.method).toUpperCase()} ${String(n.url)}`).sort();
            assert.deepStrictEqual(routes, [
                'GET /counter', 'GET /counter/decrement', 'GET /counter/events', 'GET /counter/increment', 'GET /counter/reset',
                'POST /counter/decrement', 'POST /counter/increment', 'POST /counter/reset',
            ]);
        });

        it('resets from the dashboard only through a confirmation', function () {
            const byId = new Map(flows.map((n) => [n.id, n]));
            const reset = ofType('ui-button').find((n) => n.label === 'Reset');
            assert.ok(reset, 'a Reset button');
            const targets = (reset.wires as string[][]).flat().map((id) => byId.get(id)?.type);
            assert.deepStrictEqual(targets, ['ui-notification']);
            const confirm = byId.get((reset.wires as string[][])[0][0]);
            assert.strictEqual(confirm?.allowConfirm, true);
        });
    });
});
