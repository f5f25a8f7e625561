// The gates and terminals this Node-RED runs, found among the deployed nodes, with the
// state of each one's Redis connection (recorded by startRedisNode) and a gate's journal
// of offline decisions (set by the gate when its offline policy keeps one).
import type { NodeAPI } from 'node-red';
import type { RedisUser } from '../common/types';
import type { DeviceKind, LocalDevice } from '../lib/transit/operations';

/** The node types that are devices, and the setting naming each one's id. */
const DEVICE_TYPES: Record<string, { kind: DeviceKind; setting: string }> = {
    'transit-gate': { kind: 'gate', setting: 'gateId' },
    'transit-sale': { kind: 'terminal', setting: 'terminalId' },
};

export function localDevices(RED: NodeAPI): LocalDevice[] {
    const found: LocalDevice[] = [];
    RED.nodes.eachNode((def) => {
        const type = DEVICE_TYPES[def.type];
        // No instance: the node is disabled, or on a disabled flow; it is not running.
        const instance = type ? (RED.nodes.getNode(def.id) as RedisUser | null) : null;
        if (!type || !instance) return;
        // The id the node runs with (transitId); with settings it refused, what they say, the
        // node's id standing in for an empty one as in transit-gate.ts and transit-sale.ts.
        const configured = (def as unknown as Record<string, unknown>)[type.setting];
        const id = instance.transitId
            || (typeof configured === 'string' && configured ? configured : def.id);
        const journal = instance.transitJournal;
        found.push({ id, kind: type.kind, connection: instance.redisState ?? 'unknown', ...(journal ? { journal: { ...journal } } : {}) });
    });
    return found;
}
