// The soak's own copy of the shipped flows: every node as shipped, plus HTTP driver nodes
// that present a card to the entry gate or sell a pass at the sales terminal and answer
// with the node's decision, and a camera that captures every second instead of every 30 s.
// The shipped files (examples/*.json) are never changed. What the soak must know of the deployed flows
// (their Redis names and caps) is read from them here too.
import { monitorGroup } from '../../nodes/lib/transit/keys';
import type { FlowNode } from '../../scripts/demo/flows';
import type { RedisNames } from './probe';

export const TAP_PATH = '/soak/tap';
export const SALE_PATH = '/soak/sale';
export const HEAP_PATH = '/soak/heap';

const GATE_NODE = 'gate-check';
const SALE_NODE = 'sales-terminal';
const CAMERA_TRIGGER = 'camera-every';
const CAMERA_STORE = 'camera-store';
const MONITOR_NODE = 'monitor-events';

/** What the driver's HTTP answer holds: the node's topic and payload. */
export interface NodeAnswer {
    topic: string;
    payload: Record<string, unknown>;
    /** From the request reaching the driver's first function node to its answer (ms, Date.now()). */
    nodeRedMs?: number;
}

// The request waits in flow context while the card (or sale) goes on as a bare message,
// as a reader's tap does: the shipped debug nodes show whole messages, and encoding an
// HTTP request and response for them would cost time no real tap pays.
const PARK_FUNCTION = `const parked = flow.get('soakParked') || {};
const now = Date.now();
for (const id of Object.keys(parked)) if (now - parked[id].at > 60000) delete parked[id];
parked[msg._msgid] = { res: msg.res, at: now };
flow.set('soakParked', parked);
return { payload: msg.payload, soakRequest: msg._msgid };`;

// Only the driver's own messages are answered; taps and sales from the dashboard and the
// readers pass the answer node by.
const ANSWER_FUNCTION = `if (!msg.soakRequest) return null;
const parked = flow.get('soakParked') || {};
const entry = parked[msg.soakRequest];
if (!entry) return null;
delete parked[msg.soakRequest];
return { res: entry.res, statusCode: 200, headers: { 'Cache-Control': 'no-store' },
    payload: { topic: msg.topic, payload: msg.payload, nodeRedMs: Date.now() - entry.at } };`;

function functionNode(id: string, tab: string, name: string, func: string, x: number, wires: string[][]): FlowNode {
    return { id, type: 'function', z: tab, name, func, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '',
        libs: [], x, y: 980, wires };
}

function driverNodes(tab: string, prefix: string, url: string, target: string): { nodes: FlowNode[]; answerId: string } {
    const answerId = `${prefix}-answer`;
    const nodes: FlowNode[] = [
        { id: `${prefix}-in`, type: 'http in', z: tab, name: `soak ${url}`, url, method: 'post', upload: false,
            swaggerDoc: '', x: 160, y: 980, wires: [[`${prefix}-park`]] },
        functionNode(`${prefix}-park`, tab, 'soak: park the request', PARK_FUNCTION, 360, [[target]]),
        functionNode(answerId, tab, 'soak: answer the request', ANSWER_FUNCTION, 580, [[`${prefix}-out`]]),
        { id: `${prefix}-out`, type: 'http response', z: tab, name: '', statusCode: '', headers: {}, x: 780, y: 980, wires: [] },
    ];
    return { nodes, answerId };
}

// V8's own account of the heap, beside the process's RSS: a heap that keeps growing is a
// leak, an RSS that grows over a steady heap is V8 or the allocator keeping memory.
const HEAP_FUNCTION = `const h = v8.getHeapStatistics();
msg.payload = { usedHeapSize: h.used_heap_size, totalHeapSize: h.total_heap_size, externalMemory: h.external_memory };
return msg;`;

function heapNodes(): FlowNode[] {
    const tab = 'soak-tab';
    return [
        { id: tab, type: 'tab', label: 'Soak probe', disabled: false, info: 'Added by npm run soak; not a shipped flow.' },
        { id: 'soak-heap-in', type: 'http in', z: tab, name: '', url: HEAP_PATH, method: 'get', upload: false, swaggerDoc: '',
            x: 140, y: 60, wires: [['soak-heap']] },
        { ...functionNode('soak-heap', tab, 'heap statistics', HEAP_FUNCTION, 360, [['soak-heap-out']]), y: 60,
            libs: [{ var: 'v8', module: 'v8' }] },
        { id: 'soak-heap-out', type: 'http response', z: tab, name: '', statusCode: '', headers: {}, x: 560, y: 60, wires: [] },
    ];
}

function find(flows: FlowNode[], id: string): FlowNode {
    const node = flows.find((n) => n.id === id);
    if (!node) throw new Error(`the flows have no node ${id}; the soak needs it`);
    return node;
}

/** What the soak needs to know about the deployed flows, read from them rather than assumed. */
export interface FlowFacts extends RedisNames {
    maxCount: number;
    maxBytes: number;
    passPrefix: string;
    repeatWindowMs: number;
}

export function flowFacts(flows: FlowNode[]): FlowFacts {
    const store = find(flows, CAMERA_STORE);
    const gate = find(flows, GATE_NODE);
    const monitor = find(flows, MONITOR_NODE);
    return {
        imageIndex: String(store.index), imageKeyPrefix: String(store.keyPrefix),
        maxCount: Number(store.maxCount), maxBytes: Number(store.maxBytes),
        stream: String(gate.stream), passPrefix: String(gate.keyPrefix), repeatWindowMs: Number(gate.repeatWindow) * 1000,
        monitorGroup: monitorGroup(monitor.group ? String(monitor.group) : undefined, monitor.id),
    };
}

/** Adds answerId to the wires of the given outputs of node. */
function alsoWire(node: FlowNode, outputs: number[], answerId: string): FlowNode {
    const wires = (node.wires as string[][]).map((targets, i) => (outputs.includes(i) ? [...targets, answerId] : targets));
    return { ...node, wires };
}

export function soakFlows(shipped: FlowNode[], cameraIntervalSeconds: number): FlowNode[] {
    const gate = find(shipped, GATE_NODE);
    const sale = find(shipped, SALE_NODE);
    find(shipped, CAMERA_TRIGGER);
    const tap = driverNodes(String(gate.z), 'soak-tap', TAP_PATH, GATE_NODE);
    // A sale in direct mode ({card, passType}); sold leaves on output 2, refused on output 3.
    const sell = driverNodes(String(sale.z), 'soak-sale', SALE_PATH, SALE_NODE);
    const flows = shipped.map((node) => {
        if (node.id === GATE_NODE) return alsoWire(node, [0, 1], tap.answerId);
        if (node.id === SALE_NODE) return alsoWire(node, [1, 2], sell.answerId);
        if (node.id === CAMERA_TRIGGER) return { ...node, repeat: String(cameraIntervalSeconds), name: `every ${cameraIntervalSeconds} s (soak)` };
        return node;
    });
    return [...flows, ...tap.nodes, ...sell.nodes, ...heapNodes()];
}
