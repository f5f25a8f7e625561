// Status colours by meaning (Node-RED convention): yellow ring connecting, green dot
// ok, red ring failed or disconnected, blue dot busy, grey unavailable.
import type { NodeAPI, NodeStatus } from 'node-red';
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
