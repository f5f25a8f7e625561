// Node-RED's resident memory (RSS, from /proc) with this package's systems, beside the floor
// a Pi owner pays anyway: the same Node-RED with the dashboard showing one page. Each case is
// a fresh Node-RED and Redis (the demo's stack) with a dashboard page open in chromium,
// sampled every second for `settle` seconds after deploy. A third of the way in, Node-RED is
// made to collect all its garbage (bench/peer/gc-on-signal.ts): otherwise start-up's
// garbage is still held or not depending on when V8 gets round to it (Node.js 24 idles with
// 30 MB of it on the floor's few nodes), which swamps what is measured. The figure is the
// median of the second half of the samples, and the peak of all.
//
// Run for the Node-RED line this Node.js runs: `node dist/bench/memory.js 4|5` prints one JSON
// line; bench/run.ts runs it under Node.js 20 for 4.1 and Node.js 24 for 5.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { chromium } from 'playwright-core';
import { REPO_ROOT } from '../scripts/demo/paths';
import type { FlowNode } from '../scripts/demo/flows';
import type { LineName } from '../scripts/demo/node-red-line';
import { startDemoStack } from '../scripts/demo/stack';
import { CHROMIUM_ARGS, findChromium } from '../test/flows/chromium';
import { sampleProcess } from './soak/probe';
import { max, MB, median } from './stats';
import { megabytes, row, TableRow } from './table';

const CAMERA_TRIGGER = 'camera-every';

export interface MemoryCase {
    name: 'floor' | 'systems-idle' | 'systems-capturing';
    rssMb: number;
    peakMb: number;
    /** Every second's sample (MB), for a look at what the median hides. */
    samplesMb: number[];
}

export interface MemoryLine {
    line: LineName;
    nodeRedVersion: string;
    node: string;
    settleS: number;
    cases: MemoryCase[];
}

/** The dashboard with one page and one widget, on the shipped dashboard's base and theme. */
function floorFlows(shipped: FlowNode[]): FlowNode[] {
    const base = shipped.filter((n) => n.type === 'ui-base' || n.type === 'ui-theme');
    const ui = base.find((n) => n.type === 'ui-base')?.id;
    const theme = base.find((n) => n.type === 'ui-theme')?.id;
    return [
        ...base,
        { id: 'floor-tab', type: 'tab', label: 'Floor' },
        { id: 'floor-page', type: 'ui-page', name: 'Floor', ui, path: '/floor', layout: 'grid', theme, order: 1, visible: 'true', disabled: 'false' },
        { id: 'floor-group', type: 'ui-group', name: 'Floor', page: 'floor-page', width: '6', height: '1', order: 1, showTitle: true, visible: 'true', disabled: 'false' },
        { id: 'floor-text', type: 'ui-text', z: 'floor-tab', group: 'floor-group', order: 1, width: 0, height: 0, name: '', label: 'Floor', format: '{{msg.payload}}', layout: 'row-spread', wires: [] },
    ] as FlowNode[];
}

/** The shipped systems, the camera capturing every `everyS` seconds (0: never). */
function systemFlows(shipped: FlowNode[], everyS: number): FlowNode[] {
    return shipped.map((n) => (n.id === CAMERA_TRIGGER ? { ...n, repeat: everyS ? String(everyS) : '', once: everyS > 0 } : n));
}

// Inherited by the Node-REDs the demo's stack starts (and ignored by Redis and chromium).
const GC_ON_SIGNAL = `--expose-gc --require ${path.join(__dirname, 'peer', 'gc-on-signal.js')}`;
if (!process.env.NODE_OPTIONS?.includes(GC_ON_SIGNAL)) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${GC_ON_SIGNAL}`.trim();

async function measure(name: MemoryCase['name'], line: LineName, page: string, settleS: number,
    adjust: (flows: FlowNode[]) => FlowNode[]): Promise<MemoryCase> {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-memory-'));
    const stack = await startDemoStack({ repoRoot: REPO_ROOT, stateDir, line, auth: 'off', adjustFlows: adjust, onNodeRedOutput: () => undefined });
    const browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
    try {
        const tab = await browser.newPage();
        await tab.goto(`${stack.nodeRed.dashboardUrl}${page}`, { waitUntil: 'networkidle' });
        const pid = stack.nodeRed.pid as number;
        const samples: number[] = [];
        for (let s = 0; s < settleS; s++) {
            if (s === Math.floor(settleS / 3)) process.kill(pid, 'SIGWINCH');
            await new Promise((resolve) => setTimeout(resolve, 1000));
            samples.push(Math.round((sampleProcess(pid).rssBytes / MB) * 10) / 10);
        }
        return { name, rssMb: median(samples.slice(Math.floor(samples.length / 2))), peakMb: max(samples), samplesMb: samples };
    } finally {
        await browser.close();
        await stack.stop();
        fs.rmSync(stateDir, { recursive: true, force: true });
    }
}

/** Each case: its flows and the dashboard page shown. */
const CASES: Record<MemoryCase['name'], { page: string; flows: (shipped: FlowNode[]) => FlowNode[] }> = {
    'floor': { page: '/floor', flows: floorFlows },
    'systems-idle': { page: '/gate', flows: (flows) => systemFlows(flows, 0) },
    'systems-capturing': { page: '/camera', flows: (flows) => systemFlows(flows, 5) },
};

export function measureCase(name: MemoryCase['name'], line: LineName, settleS: number): Promise<MemoryCase> {
    return measure(name, line, CASES[name].page, settleS, CASES[name].flows);
}

export async function benchMemoryLine(line: LineName, settleS: number): Promise<MemoryLine> {
    const cases: MemoryCase[] = [];
    for (const name of Object.keys(CASES) as Array<MemoryCase['name']>) cases.push(await measureCase(name, line, settleS));
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', line === '4' ? 'node-red' : 'node-red-5', 'package.json'), 'utf8')) as { version: string };
    return { line, nodeRedVersion: version, node: process.version, settleS, cases };
}

/** Goals of issue 13: what the systems may add to the floor, idle and with a capture every 5 s. */
export const IDLE_BUDGET_MB = 15;
export const CAPTURING_BUDGET_MB = 40;

export function memoryRows(result: MemoryLine): TableRow[] {
    const system = `Memory, Node-RED ${result.nodeRedVersion} (Node.js ${result.node})`;
    const of = (name: MemoryCase['name']) => result.cases.find((c) => c.name === name) as MemoryCase;
    const [floor, idle, capturing] = [of('floor'), of('systems-idle'), of('systems-capturing')];
    return [
        row(system, `the floor: the dashboard showing one page, RSS (full GC at ${Math.floor(result.settleS / 3)} s, median of the last ${Math.ceil(result.settleS / 2)} s) / peak`, megabytes(floor.rssMb, floor.peakMb), 'no flows of this package', 'the floor'),
        row(system, `every shipped system, idle, a page shown: RSS / peak`, megabytes(idle.rssMb, idle.peakMb),
            `goal: the floor + ${IDLE_BUDGET_MB} MB`, megabytes(floor.rssMb + IDLE_BUDGET_MB)),
        row(system, `every shipped system, a capture every 5 s: RSS / peak`, megabytes(capturing.rssMb, capturing.peakMb),
            `goal: the floor + ${CAPTURING_BUDGET_MB} MB`, megabytes(floor.rssMb + CAPTURING_BUDGET_MB)),
    ];
}

if (require.main === module) {
    const line = process.argv[2] as LineName;
    const settleS = Number(process.env.BENCH_MEMORY_SETTLE_S || 90);
    benchMemoryLine(line, settleS).then((result) => {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        process.exit(0);
    }, (err) => {
        console.error(err);
        process.exit(1);
    });
}
