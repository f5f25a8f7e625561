// The transit flow the fault, scale and node tests deploy: gates and sales terminals
// (direct {card, passType} mode) on one redis-iot-server config node, every grant wired
// to the helper node `granted`, every denial to `denied`, every sale to `sold` and every
// refusal to `refused`.
import { FlowNode, SERVER_ID, serverNode } from './flow';

export interface TransitFlowOptions {
    keyPrefix: string;
    stream: string;
    /** Gate nodes `gate<i>`; 1 by default. */
    gates?: number;
    /** Names the gates `<gateIds>-<i>` (their gate id, in tap records and events); 'gate' by default. */
    gateIds?: string;
    /** Further settings of every gate node (repeatWindow is 0 unless given). */
    gate?: Record<string, unknown>;
    /** Sales terminal nodes `terminal<i>`, terminal ids `terminal-<i>`; none by default. */
    terminals?: number;
    /** Further settings of every sales terminal node. */
    terminal?: Record<string, unknown>;
    /** Further settings of the config node (serverNode's). */
    server?: Record<string, unknown>;
}

/** The node ids of the first `gates` gates of a transitFlow. */
export const gateNodeIds = (gates: number): string[] => Array.from({ length: gates }, (_, i) => `gate${i}`);

export function transitFlow(port: number, options: TransitFlowOptions): FlowNode[] {
    const { keyPrefix, stream } = options;
    const flow: FlowNode[] = [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port, options.server), z: 'tab' },
        { id: 'granted', type: 'helper', z: 'tab' },
        { id: 'denied', type: 'helper', z: 'tab' },
        { id: 'sold', type: 'helper', z: 'tab' },
        { id: 'refused', type: 'helper', z: 'tab' },
    ];
    gateNodeIds(options.gates ?? 1).forEach((id, i) => {
        flow.push({ id, type: 'transit-gate', z: 'tab', server: SERVER_ID, gateId: `${options.gateIds ?? 'gate'}-${i}`, repeatWindow: 0,
            keyPrefix, stream, wires: [['granted'], ['denied']], ...options.gate });
    });
    for (let i = 0; i < (options.terminals ?? 0); i++) {
        flow.push({ id: `terminal${i}`, type: 'transit-sale', z: 'tab', server: SERVER_ID, terminalId: `terminal-${i}`,
            keyPrefix, stream, timeout: 0, wires: [[], ['sold'], ['refused']], ...options.terminal });
    }
    return flow;
}
