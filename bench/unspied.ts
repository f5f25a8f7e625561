// The test helper spies on every Node method (sinon records each call and keeps its
// arguments, messages included); a benchmark of the runtime must not pay for that.
import type { Node } from 'node-red';
import { helper } from '../test/support/flow';

/**
 * Puts the runtime's own Node methods back, on the prototype and on the nodes of the
 * loaded flow named by `ids`: Node-RED copies `send` onto each node when it wires it
 * (updateWires), so a node made while the spies were on keeps the spy until rewired.
 */
export function unspy(ids: string[]): void {
    (helper as unknown as { _sandbox: { restore(): void } })._sandbox.restore();
    for (const id of ids) {
        const node = helper.getNode(id) as (Node & { wires?: string[][]; updateWires?(wires: string[][]): void }) | null;
        if (node?.wires) node.updateWires?.(node.wires);
    }
}
