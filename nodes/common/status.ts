// Status colours by meaning (Node-RED convention): yellow ring connecting, green dot
// ok, red ring failed or disconnected, blue dot busy, grey unavailable.
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import type { ConnectionState } from '../lib/redis/connection-state';

export function connectionStatus(RED: NodeAPI, state: ConnectionState, detail: string): NodeStatus {
    switch (state) {
        case 'connected':
            return { fill: 'green', shape: 'dot', text: RED._('node-red:common.status.connected') };
        case 'connecting':
            return { fill: 'yellow', shape: 'ring', text: RED._('node-red:common.status.connecting') };
        case 'disconnected':
            return { fill: 'red', shape: 'ring', text: RED._('node-red:common.status.disconnected') };
        default:
            return { fill: 'red', shape: 'ring', text: shorten(detail || RED._('node-red:common.status.error')) };
    }
}

/**
 * A red ring with the error's message, cut short; or, for an error that says what its
 * status should read (a SetupProblem: the command that fixes it), exactly that.
 */
export function errorStatus(err: unknown): NodeStatus {
    const said = (err as { statusText?: unknown } | undefined)?.statusText;
    if (typeof said === 'string') return { fill: 'red', shape: 'ring', text: said };
    return { fill: 'red', shape: 'ring', text: shorten(err instanceof Error ? err.message : String(err)) };
}

/** Status text stays short: the editor shows about 20 characters under a node. */
export function shorten(text: string, max = 32): string {
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What each node that skips repeated statuses shows (null: nothing set yet). */
const shown = new WeakMap<Node, NodeStatus | null>();

/**
 * Makes the node skip a status equal to the one it shows. A gate sets one per decision,
 * nearly always the one it showed already ("granted: TEN_TRIP"); each one set is an
 * event the editor's comms keep and send to every open editor, and a message to every
 * Status node watching the node. A node that asks for this sets every status through
 * showStatus (the common input and Redis code do), so the one it shows is never out of date.
 */
export function skipRepeatedStatus(node: Node): void {
    shown.set(node, null);
}

/** Sets the node's status; for a node that skips repeated statuses, only when it differs from the one shown. */
export function showStatus(node: Node, status: NodeStatus): void {
    const last = shown.get(node);
    if (last !== undefined) {
        if (last && status.fill === last.fill && status.shape === last.shape && status.text === last.text) return;
        shown.set(node, { fill: status.fill, shape: status.shape, text: status.text });
    }
    node.status(status);
}
