// What a gate that decides while Redis is away works with: its policy, the decision it
// makes from its local copy of the passes, and the journal entry that records it until
// Redis has charged it (see replica.ts, offline-rules.ts, journal.ts and the gate).
import type { TapDecision } from './store';

/**
 * What a gate does while Redis is unreachable: `deny` everyone (the default, as before),
 * decide from its local copy of the passes and deny list (`known-passes`), or let everyone
 * through (`open`). Every offline decision is journaled and charged when Redis is back.
 */
export type OfflinePolicy = 'deny' | 'known-passes' | 'open';
export const OFFLINE_POLICIES: readonly OfflinePolicy[] = ['deny', 'known-passes', 'open'];

export function offlinePolicy(configured: unknown): OfflinePolicy {
    if (configured === undefined || configured === '') return 'deny';
    if (OFFLINE_POLICIES.includes(configured as OfflinePolicy)) return configured as OfflinePolicy;
    throw new Error(`invalid offline policy ${JSON.stringify(String(configured).slice(0, 20))}: deny, known-passes or open`);
}

/** A decision taken from the local copy, by TAP_SCRIPT's rules (offline-rules.ts). */
export type OfflineDecision = Pick<TapDecision, 'granted' | 'reason' | 'passType' | 'label' | 'remainingTrips' | 'remainingTime' | 'activated'>;

/** One offline decision, as the journal keeps it until Redis has it (one JSON line). */
export interface JournalEntry {
    /** The tap's id: the same id the replay sends, so a tap is charged once. */
    tapId: string;
    /** The card as the store names it (TransitStore.cardId). */
    card: string;
    gate: string;
    /** When the tap was taken, on the Redis clock as the gate reckoned it (ms). */
    at: number;
    /**
     * The last moment the gate knew Redis's clock (ms): the tap cannot have been taken
     * before it, so the replay never dates a tap earlier, whatever the gate's clock said.
     */
    floor: number;
    /** This machine's wall clock at the decision (ms): carries the reckoning across a restart. */
    wall: number;
    policy: Exclude<OfflinePolicy, 'deny'>;
    granted: boolean;
    reason?: string;
    /** A grant on a pass with a time limit: its type, and when the copy said it runs out (ms). */
    passType?: string;
    /**
     * Lets the replay tell a pass that ran out between the tap and the replay (Redis has
     * deleted it: a valid ride) from one that was never there or was used up (an overuse).
     */
    validUntil?: number;
}

/** A journal entry with its place in the journal (1, 2, ...: the order of the taps). */
export interface JournaledTap extends JournalEntry {
    seq: number;
}
