// Waiting on offline-capable gates in GateRuntimes (issue 15): until each gate's local copy
// of the passes is synced, and until each gate has replayed its journal, read from the
// gates themselves (status, transitJournal, transitReplica) over IPC.
import { waitFor } from './flow';
import type { GateRuntime, RuntimeState } from './gate-runtime';

export function states(runtimes: GateRuntime[]): Promise<RuntimeState[]> {
    return Promise.all(runtimes.map((r) => r.state()));
}

const shown = (s: RuntimeState[]) => JSON.stringify(s.map((r) => r.gates.map((g) => ({ id: g.gateId, status: g.status.text, journal: g.journal }))));

/**
 * Until each runtime's local copy of the passes (one per Node-RED and key prefix, shared by
 * its known-passes gates) is synced and holds at least `passes`: a gate must grant a known
 * pass offline the moment Redis goes, so a test cuts Redis only after this.
 */
export async function waitReplicas(runtimes: GateRuntime[], passes: number, timeoutMs = 20000): Promise<void> {
    let last = '';
    await waitFor(async () => {
        const all = await states(runtimes);
        last = JSON.stringify(all.map((s) => ({ replica: s.replica, gates: s.gates.map((g) => ({ id: g.gateId, status: g.status })) })));
        return all.every((s) => s.replica?.synced && s.replica.size >= passes && s.gates.every((g) => g.status.fill === 'green'));
    }, timeoutMs, () => `every replica synced with ${passes} passes: ${last}`);
}

export interface Drained {
    /** From the call to the last gate done. */
    ms: number;
    /** Some gate showed its blue "replaying" status while this waited. */
    sawReplaying: boolean;
}

/**
 * Until every gate has replayed its journal: nothing pending, not replaying, its status a
 * dot again (green, or yellow when the replay found overuses), not blue. `journaled` names
 * gates known to hold taps: those must have reported their journal first.
 */
export async function waitDrained(runtimes: GateRuntime[], timeoutMs: number, journaled: Set<string> = new Set()): Promise<Drained> {
    const started = Date.now();
    let last: RuntimeState[] = [];
    let sawReplaying = false;
    await waitFor(async () => {
        last = await states(runtimes);
        const gates = last.flatMap((r) => r.gates);
        if (gates.some((g) => g.status.fill === 'blue')) sawReplaying = true;
        return gates.every((g) => (g.journal !== undefined || !journaled.has(g.gateId ?? '')) && (g.journal?.pending ?? 0) === 0
            && !g.journal?.replaying && g.status.shape === 'dot' && (g.status.fill === 'green' || g.status.fill === 'yellow'));
    }, timeoutMs, () => `every journal replayed: ${shown(last)}`);
    return { ms: Date.now() - started, sawReplaying };
}
