// The entry gate flow's traffic light (core nodes in examples/Transit ticketing 2 - entry
// gate.json: change, split, switch, delay and filter), run as Node-RED runs it: green for
// 5 s after a grant, red flashing after a denial, then the resting light, red while Redis is
// there and yellow while it is away. Its wall clock can jump (a Pi's does when NTP first
// answers): the lights must not care. The gate and its status node are stood in for by core
// nodes with the same wires, the lamps and the dashboard by test helpers.
import assert from 'assert';
import path from 'path';
import type { Node, NodeMessageInFlow } from 'node-red';
import { performance } from 'perf_hooks';
import { examplesDir, readFlowFile } from '../../scripts/demo/flows';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { coreNode, FlowNode, helper, load, waitFor } from '../support/flow';
import { DAY_MS } from '../support/wall-clock';

type Lights = { red: number; yellow: number; green: number };
const RED = { red: 1, yellow: 0, green: 0 };
const YELLOW = { red: 0, yellow: 1, green: 0 };
const GREEN = { red: 0, yellow: 0, green: 1 };
const DARK = { red: 0, yellow: 0, green: 0 };

const modules = ['common/20-inject.js', 'common/90-comment.js', 'function/15-change.js', 'function/10-switch.js',
    'sequence/17-split.js', 'function/89-delay.js', 'function/rbe.js'].map(coreNode);
const CORE = new Set(['tab', 'inject', 'comment', 'change', 'switch', 'split', 'delay', 'rbe']);

/** The gate flow as loaded here: its core nodes as shipped, the gate and its status node stood in for, the rest helpers. */
function gateLightsFlow(): FlowNode[] {
    const shipped = readFlowFile(path.join(examplesDir(REPO_ROOT), 'Transit ticketing 2 - entry gate.json'));
    const flow: FlowNode[] = [];
    for (const grouped of shipped) {
        // Out of its editor group: groups only frame nodes in the editor and are not loaded here.
        const node = { ...grouped };
        delete node.g;
        if (node.type === 'transit-gate') {
            // Its two outputs, by the topic it sets on each.
            flow.push({ ...node, type: 'switch', property: 'topic', propertyType: 'msg', checkall: 'false', outputs: 2,
                rules: [{ t: 'eq', v: 'granted', vt: 'str' }, { t: 'eq', v: 'denied', vt: 'str' }] });
        } else if (node.type === 'status') {
            flow.push({ ...node, type: 'change', rules: [] });
        } else if (CORE.has(node.type)) {
            flow.push(node);
        } else if (node.z) {
            flow.push({ id: node.id, type: 'helper', z: node.z });
        }
    }
    return flow;
}

/** Replaces the global Date by one `stepMs` off the real clock until the returned function is called. */
function stepWallClock(stepMs: number): () => void {
    const RealDate = Date;
    class SteppedDate extends RealDate {
        constructor(...args: unknown[]) {
            if (args.length === 0) super(RealDate.now() + stepMs);
            else super(...(args as [string]));
        }
        static now(): number {
            return RealDate.now() + stepMs;
        }
    }
    global.Date = SteppedDate as DateConstructor;
    return () => { global.Date = RealDate; };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('entry gate flow: traffic light', function () {
    let shown: Array<{ at: number; lights: Lights }>;
    let topics: Set<string>;
    const last = () => shown[shown.length - 1]?.lights;
    const tap = (topic: 'granted' | 'denied') => helper.getNode('gate-check').receive({ topic, payload: { card: '04A1B2C3' } });
    // What the gate's status node reports: a ring while Redis is away, a dot when it is there.
    const redis = (up: boolean) => helper.getNode('gate-status').receive({ status: { fill: up ? 'green' : 'red', shape: up ? 'dot' : 'ring', text: '' } });

    beforeEach(async function () {
        const flow = gateLightsFlow();
        assert.ok(!flow.some((n) => n.type === 'function'), 'no function node drives the light');
        await load(modules, flow);
        shown = [];
        topics = new Set();
        (helper.getNode('gate-light-template') as Node).on('input', (msg: NodeMessageInFlow) => {
            shown.push({ at: performance.now(), lights: { ...(msg.payload as Lights) } });
            topics.add(String(msg.topic));
        });
        // The flow's inject shows the resting light 0.5 s after the deploy.
        await waitFor(() => shown.length > 0, 3000, 'the resting light at start');
        assert.deepStrictEqual(last(), RED);
    });
    afterEach(() => {
        assert.deepStrictEqual([...topics], ['lights'], 'every message to the lamps has topic "lights"');
        return helper.unload();
    });

    it('ends a denial on yellow when Redis went away during it, and shows red at once when Redis returns', async function () {
        const from = shown.length;
        const started = performance.now();
        tap('denied');
        await sleep(100);
        redis(false);
        await sleep(3900);
        assert.ok(!shown.some((x) => x.lights.yellow), 'the flashing is not interrupted');
        await waitFor(() => last()?.yellow === 1, 2000, 'the resting light after the flashing');
        // Dark, then four times red on and off, 0.5 s each, then rest: yellow, as Redis is away.
        assert.deepStrictEqual(shown.slice(from).map((x) => x.lights), [DARK, RED, DARK, RED, DARK, RED, DARK, RED, DARK, YELLOW]);
        assert.ok(shown[shown.length - 1].at - started >= 4400, 'the flashing took 4.5 s');
        const count = shown.length;
        redis(true);
        await waitFor(() => shown.length === count + 1, 500, 'red at once, while idle');
        assert.deepStrictEqual(last(), RED);
        redis(true);
        await sleep(200);
        assert.strictEqual(shown.length, count + 1, 'the same availability again changes nothing');
    });

    it('a new tap interrupts a running sequence', async function () {
        tap('denied');
        await sleep(700);
        const from = shown.length;
        tap('granted');
        await sleep(1500);
        assert.deepStrictEqual(shown.slice(from).map((x) => x.lights), [GREEN], 'green, and no flash of the denial after it');
    });

    for (const stepMs of [-10 * DAY_MS, 10 * DAY_MS]) {
        it(`ignores the wall clock: stepped ${stepMs / DAY_MS} days during a grant, the green still ends after 5 s`, async function () {
            const started = performance.now();
            tap('granted');
            await sleep(100);
            const restore = stepWallClock(stepMs);
            try {
                await waitFor(() => last()?.red === 1, 6000, 'the green ending on red');
            } finally {
                restore();
            }
            assert.deepStrictEqual(shown.slice(-2).map((x) => x.lights), [GREEN, RED]);
            assert.ok(shown[shown.length - 1].at - started >= 4900, 'green for 5 s');
            redis(false);
            await waitFor(() => last()?.yellow === 1, 500, 'yellow at once when Redis goes away');
        });
    }
});
