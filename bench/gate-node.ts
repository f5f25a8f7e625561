// The gate decision through a transit-gate node in a Node-RED runtime (the test helper's),
// as a flow drives it: a message in, the decision out of output 1 or 2 to the next node.
import type { Node } from 'node-red';
import { dropSpies, FlowNode, helper, load, serverNode } from '../test/support/flow';
import { measure, Summary } from './stats';

const serverModule = require('../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../nodes/transit-gate/transit-gate');

/** Measures n taps of card(i) through a gate with keys under `keyPrefix`, `concurrency` in flight. */
export async function gateThroughNodeRed(port: number, keyPrefix: string, card: (i: number) => string, n: number, concurrency: number): Promise<Summary> {
    const flow: FlowNode[] = [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port), z: 'tab' },
        { id: 'gate', type: 'transit-gate', z: 'tab', server: 'redis-test', gateId: 'bench', repeatWindow: 0,
            keyPrefix, stream: `${keyPrefix}events`, wires: [['out'], ['out']] },
        { id: 'out', type: 'helper', z: 'tab' },
    ];
    await load([serverModule, gateModule], flow);
    dropSpies(flow.map((n) => n.id));
    await new Promise((r) => setTimeout(r, 300));
    const gate = helper.getNode('gate') as Node;
    const out = helper.getNode('out') as unknown as NodeJS.EventEmitter;
    // The harness's own part is kept as small as the script's: the message that comes out is
    // the one that went in (Node-RED clones only a second copy), so it finds its waiter.
    const waiting = new Map<object, () => void>();
    out.on('input', (msg: object) => {
        const resolve = waiting.get(msg);
        waiting.delete(msg);
        resolve?.();
    });
    const result = await measure(n, concurrency, (i) => new Promise<void>((resolve) => {
        const msg = { payload: card(i) };
        waiting.set(msg, resolve);
        gate.receive(msg as never);
    }));
    await helper.unload();
    return result;
}
