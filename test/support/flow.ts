// Node-RED runtime helpers for node tests: the test helper started once, flows built
// around a redis-iot-server config node that points at a given real Redis, and small
// promises for "the next message on this helper node".
import helper from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import { coreNodeModule, testLine } from '../../scripts/demo/node-red-line';

/** The Node-RED line under test (TEST_NODE_RED_LINE, set by scripts/test.sh). */
export const nodeRedLine = testLine();
helper.init(nodeRedLine.runtime);

/** A core node of the line under test, e.g. coreNode('common/20-inject.js'). */
export function coreNode(file: string): unknown {
    return coreNodeModule(nodeRedLine, file);
}

export { helper };

export const SERVER_ID = 'redis-test';

export function serverNode(port: number, extra: Record<string, unknown> = {}) {
    return { id: SERVER_ID, type: 'redis-iot-server', host: '127.0.0.1', port, db: 0, mode: 'standalone', timeout: 250, ...extra };
}

export type Msg = Record<string, unknown> & { payload?: unknown; topic?: string };

/** Collects every message that reaches a helper node. */
export function collect(id: string): Msg[] {
    const node = helper.getNode(id) as Node;
    const got: Msg[] = [];
    node.on('input', (msg: Msg) => got.push(msg));
    return got;
}

export function nextMessage(id: string, timeoutMs = 3000): Promise<Msg> {
    const node = helper.getNode(id) as Node;
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message at ${id} within ${timeoutMs} ms`)), timeoutMs);
        node.once('input', (msg: Msg) => {
            clearTimeout(timer);
            resolve(msg);
        });
    });
}

/**
 * Polls `check` every 20 ms until it holds. `what` names it in the timeout's message; give
 * a function when the message shows state, so that it shows the state at the timeout.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what: string | (() => string) = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
}

interface SpyCall { thisValue: unknown; args: unknown[] }

/** The last status this node set (the helper spies on Node.prototype.status for all nodes). */
export function statusOf(id: string): { fill?: string; shape?: string; text?: string } {
    const node = helper.getNode(id) as Node;
    const spy = node.status as unknown as { getCalls(): SpyCall[] };
    const mine = spy.getCalls().filter((c) => c.thisValue === node);
    return (mine[mine.length - 1]?.args[0] ?? {}) as { fill?: string; shape?: string; text?: string };
}

/** Waits until every node in `ids` shows a green status; a timeout names each one's fill then. */
export function waitGreen(ids: string[], timeoutMs: number, what = 'every node green'): Promise<void> {
    return waitFor(() => ids.every((id) => statusOf(id).fill === 'green'), timeoutMs,
        () => `${what} (${ids.map((id) => `${id}: ${statusOf(id).fill ?? 'none'}`).join(', ')})`);
}

export interface LogEntry { level: number; id?: string; msg?: unknown }

/**
 * What the helper logged (it spies on the runtime's log), for one node or for all, at
 * `maxLevel` or more severe: 20 errors, 30 warnings too. The helper does not translate, so
 * `msg` is the message key.
 */
export function loggedBy(id?: string, maxLevel = 30): LogEntry[] {
    const spy = helper.log() as unknown as { args: Array<[LogEntry | undefined]> };
    return spy.args.map(([entry]) => entry)
        .filter((e): e is LogEntry => !!e && e.level <= maxLevel && (id === undefined || e.id === id));
}

export interface FlowNode {
    id: string;
    type: string;
    [key: string]: unknown;
}

 
export const catchNode = coreNode('common/25-catch.js');

interface HelperInternals {
    _sandbox: { restore(): void };
    _NodePrototype: { send: unknown };
}

/**
 * For benchmarks: takes the test helper's sinon spies (which record every call) off
 * Node-RED's Node methods once the flow is loaded. Restoring the sandbox is not enough: a
 * node with wires keeps its own reference to send (Node.updateWires), taken while it was
 * spied, so each of the given nodes gets the real one back.
 */
export function dropSpies(ids: string[]): void {
    const internals = helper as unknown as HelperInternals;
    internals._sandbox.restore();
    for (const id of ids) {
        const node = helper.getNode(id) as unknown as { send?: { getCalls?: unknown } } | null;
        if (node && typeof node.send?.getCalls === 'function') node.send = internals._NodePrototype.send as never;
    }
}

/** helper.load with our looser flow type. */
export function load(modules: unknown[], flow: FlowNode[], credentials: Record<string, unknown> = {}): Promise<void> {
    return helper.load(modules as never, flow as never, credentials as never);
}
