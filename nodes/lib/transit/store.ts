// Runs the transit scripts for the nodes. Holds no state of its own beyond settings:
// every decision is one script call, so any number of gates and terminals (in one
// Node-RED or many) can share the same Redis safely.
import type { RedisClient } from '../redis/client-factory';
import type { RedisConnection } from '../redis/connection';
import { scriptCommands } from '../redis/lua';
import { decisionClient, replication } from './decision-client';
import { appendedMarker, cardKeys, checkKeyPrefix, checkStreamKey, DEFAULT_KEY_PREFIX, DEFAULT_STREAM, KeyLayout, keyLayout, storedCardId } from './keys';
import { PassType, TWO_HOUR_MS } from './pass-types';
import { findProduct, isOriginalProduct, ORIGINAL_PRODUCTS, Product } from './products';
import { BLOCK_SCRIPT, LOOKUP_SCRIPT, REMOVE_SCRIPT, TRANSFER_SCRIPT, UNBLOCK_SCRIPT } from './admin-scripts';
import { APPEND_SCRIPT, SELL_SCRIPT, TAP_SCRIPT } from './scripts';
import type { JournalEntry } from './offline';

/** The event stream's approximate cap (XADD MAXLEN ~) when the settings give none. */
export const DEFAULT_STREAM_LENGTH = 10000;
/** How long a tap or sale id is remembered for retries, in ms, when the settings give none. */
export const DEFAULT_RECORD_TTL_MS = 15 * 60 * 1000;

export type DenyReason = 'no-pass' | 'repeat-tap' | 'invalid-card' | 'unavailable' | 'expired' | 'corrupt-pass' | 'blocked';

export interface TapDecision {
    granted: boolean;
    card: string;
    reason?: DenyReason;
    /** A product id: one of the original three, or a catalogue's. */
    passType?: string;
    /** A catalogue product's label, as its pass records it (absent for the original three). */
    label?: string;
    remainingTrips?: number;
    remainingTime?: number;
    activated?: boolean;
    gate: string;
    tapId: string;
    /** The Redis server's clock at the decision, in ms: for a replayed tap, when it was taken. */
    at: number;
    /** A tap the gate decided offline, replayed (see TAP_SCRIPT). */
    offline?: boolean;
    /** Replayed: the gate let the rider in, the rules refuse it; the card is now blocked. */
    overused?: boolean;
    /** Replayed under the open policy: the rider went in without a valid pass. */
    unpaid?: boolean;
    /** Replayed: a ride on a time pass that was valid then and has run out (been deleted) since. */
    lapsed?: boolean;
}

/** An offline decision as TAP_SCRIPT replays it (see JournalEntry in offline.ts). */
export type ReplayedDecision = Pick<JournalEntry, 'at' | 'floor' | 'granted' | 'reason' | 'policy' | 'passType' | 'validUntil'>;

/**
 * How long a replayed tap's record is kept (ms), at least: a gate that crashed between a
 * replay and marking it replayed may replay it again long after, and must get it back.
 */
export const REPLAY_RECORD_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface SaleDecision {
    sold: boolean;
    card: string;
    reason?: 'card-already-has-pass' | 'blocked';
    passType?: string;
    label?: string;
    tripsRemaining?: number;
    issuedAt?: number;
    /** Redis-clock ms when a pass valid from its sale expires. */
    expiresAt?: number;
    saleId: string;
}

export interface StoreSettings {
    keyPrefix: string;
    /** `original`: passes under the original's bare card numbers (the prefix is then empty). */
    layout?: KeyLayout;
    stream: string;
    /** Approximate cap of the event stream (XADD MAXLEN ~). */
    streamLength?: number;
    /** How long a tap or sale id is remembered for retries, in ms. */
    recordTtl?: number;
    /** The Redis-clock moment after which a decision sent now must not act (0: none). */
    deadline?: () => number;
    /**
     * Redis Cluster: the stream is in another slot than the card's keys, so a decision
     * returns its events and a second, idempotent script appends them to the stream.
     */
    cluster?: boolean;
    /** Replicas that must hold a grant or sale before it is acknowledged (WAIT); 0: none. */
    replicas?: number;
    /** How long WAIT may take, in ms: less than the command timeout. */
    replicaTimeout?: number;
}

/** Redis decided, but too few replicas confirmed it in time: a failover could lose it. */
export class NotReplicatedError extends Error {
    constructor(readonly confirmed: number, readonly wanted: number) {
        super(`only ${confirmed} of ${wanted} replicas confirmed the decision in time`);
        this.name = 'NotReplicatedError';
    }
}

/** The decision reached Redis after its caller had given up: nothing was changed. */
export class TooLateError extends Error {
    constructor() {
        super('Redis answered too late; nothing was changed');
        this.name = 'TooLateError';
    }
}

type Outbox = Array<[channel: string, payload: string, quiet: '0' | '1']>;

/** A decision script's reply, and how many replicas confirmed its writes (WAIT). */
interface Decided { reply: string; confirmed: number }

function decode<T>(reply: string): { decision: T; outbox: Outbox } {
    const decision = JSON.parse(reply) as T & { late?: boolean; outbox?: unknown };
    if (decision.late) throw new TooLateError();
    // Taken off the parsed object rather than copied without it (rest syntax): 0.7 instead
    // of 1.0 µs per decision on this VM (Node.js 20), on every decision.
    const { outbox } = decision;
    if (outbox !== undefined) delete decision.outbox;
    // cjson encodes an empty table as {}, so only an array is an outbox.
    return { decision, outbox: Array.isArray(outbox) ? outbox as Outbox : [] };
}

/** Gate, terminal, tap and sale ids: part of keys. The editors use this rule too (test/nodes/editor-rules.test.ts). */
export const OP_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export function checkOperationId(id: string, what: string): string {
    if (!OP_ID.test(id)) throw new Error(`invalid ${what} ${JSON.stringify(id.slice(0, 40))}`);
    return id;
}

type Command = (...args: Array<string | number>) => Promise<string>;
/** The scripts that decide or change, each ending with the stream (see `decide`). */
export type DecisionScript = 'transitTap' | 'transitSell' | 'transitBlock' | 'transitUnblock' | 'transitRemove' | 'transitTransfer';
type TransitCommands = {
    // The number of keys comes first: the stream is a key of the decision except in a
    // Cluster, where it lives in another slot (see `cluster` in StoreSettings).
    [name in DecisionScript | 'transitLookup']: Command;
} & { transitAppend: (...args: Array<string | number>) => Promise<number> };

const commands = scriptCommands<TransitCommands>({
    transitTap: { lua: TAP_SCRIPT },
    transitSell: { lua: SELL_SCRIPT },
    transitBlock: { lua: BLOCK_SCRIPT },
    transitUnblock: { lua: UNBLOCK_SCRIPT },
    transitRemove: { lua: REMOVE_SCRIPT },
    transitTransfer: { lua: TRANSFER_SCRIPT },
    transitLookup: { numberOfKeys: 2, lua: LOOKUP_SCRIPT },
    transitAppend: { numberOfKeys: 2, lua: APPEND_SCRIPT },
});

export class TransitStore {
    readonly keyPrefix: string;
    readonly layout: KeyLayout;
    readonly stream: string;
    private readonly streamLength: number;
    private readonly recordTtl: number;
    private readonly deadline: () => number;
    /** Redis Cluster: keys of two cards may live in different slots. */
    readonly cluster: boolean;
    private readonly replicas: number;
    private readonly replicaTimeout: number;

    constructor(private readonly client: RedisClient, settings: StoreSettings) {
        this.layout = settings.layout ?? 'uid';
        this.keyPrefix = this.layout === 'original' ? '' : checkKeyPrefix(settings.keyPrefix);
        this.stream = checkStreamKey(settings.stream);
        this.streamLength = settings.streamLength ?? DEFAULT_STREAM_LENGTH;
        this.recordTtl = settings.recordTtl ?? DEFAULT_RECORD_TTL_MS;
        this.deadline = settings.deadline ?? (() => 0);
        this.cluster = settings.cluster ?? false;
        this.replicas = settings.replicas ?? 0;
        this.replicaTimeout = settings.replicaTimeout ?? 100;
    }

    /**
     * The id a card is known by in Redis and in events, from its normalised hex UID: the
     * UID itself, or in the original's layout its number. Throws InvalidCardError.
     */
    cardId(uid: string): string {
        return storedCardId(uid, this.layout);
    }

    /**
     * Checks and consumes the card's pass in one step. `card` is a cardId() result. With
     * `replayed`, the tap is one the gate decided offline, charged now as of when it was taken.
     */
    async tap(card: string, gateId: string, tapId: string, repeatWindowMs: number, replayed?: ReplayedDecision): Promise<TapDecision> {
        checkOperationId(gateId, 'gate id');
        checkOperationId(tapId, 'tap id');
        const keys = cardKeys(this.keyPrefix, card);
        const { at, floor, granted, reason, policy, passType, validUntil } = replayed ?? {};
        const reply = await this.decide('transitTap', [keys.pass, keys.record(`tap:${tapId}`), keys.repeat(gateId), keys.deny],
            [card, gateId, tapId, Math.max(0, Math.round(repeatWindowMs)), this.streamLength,
                replayed ? Math.max(this.recordTtl, REPLAY_RECORD_TTL_MS) : this.recordTtl, TWO_HOUR_MS, this.deadline(),
                replayed ? JSON.stringify({ at, floor, granted, reason, policy, passType, validUntil }) : '']);
        return this.settle<TapDecision>(reply, gateId, `tap:${tapId}`, (d) => d.granted || d.overused === true);
    }

    /** Writes a new pass unless the card already has one, in one step. */
    /** `product` is a catalogue's product, or the id of one of the original three. */
    async sell(card: string, product: Product | PassType, saleId: string, terminalId: string): Promise<SaleDecision> {
        if (typeof product === 'string') product = findProduct(ORIGINAL_PRODUCTS, product);
        checkOperationId(saleId, 'sale id');
        checkOperationId(terminalId, 'terminal id');
        const keys = cardKeys(this.keyPrefix, card);
        const reply = await this.decide('transitSell', [keys.pass, keys.record(`sale:${saleId}`), keys.deny],
            [card, product.id, saleId, this.streamLength, this.recordTtl, terminalId, soldAs(product), this.deadline()]);
        return this.settle<SaleDecision>(reply, terminalId, `sale:${saleId}`, (d) => d.sold);
    }

    /**
     * Runs a card administration script (see admin-scripts.ts) as taps and sales run: with the
     * stream as its last key, WAIT for replicas and the Cluster outbox. Its arguments are the
     * card, operator and operation id, the stream's cap, the record's ttl and the deadline,
     * then `extra`. `changed` says whether the answer changed anything.
     */
    async change<T>(script: DecisionScript, keys: string[], card: string, operator: string, op: string,
        extra: string[], changed: (answer: T) => boolean): Promise<T> {
        const reply = await this.decide(script, keys, [card, operator, op, this.streamLength, this.recordTtl, this.deadline(), ...extra]);
        return this.settle<T>(reply, operator, op, changed);
    }

    /** The card's pass and deny entry, read in one step (see LOOKUP_SCRIPT). */
    async lookupRaw(card: string): Promise<string> {
        const keys = cardKeys(this.keyPrefix, card);
        return commands(this.client).transitLookup(keys.pass, keys.deny);
    }

    /** The stream's entries newest first, from `end` (inclusive: `+`, or exclusive: `(id`). */
    async eventsBefore(end: string, count: number): Promise<Array<[string, string[]]>> {
        return await this.client.xrevrange(this.stream, end, '-', 'COUNT', count) as Array<[string, string[]]>;
    }

    // The decision stands once its script has run: an outbox that cannot be appended now
    // (Redis went away in between) is retried in the background, and a retried tap or
    // sale brings the same outbox back, which the append script takes only once.
    private async settle<T>(reply: Decided, source: string, op: string, changed: (decision: T) => boolean): Promise<T> {
        const { decision, outbox } = decode<T>(reply.reply);
        // A grant or sale only the primary holds is lost if a replica is promoted now:
        // it is answered as unavailable. Redis may keep it or lose it; a retry with the
        // same id gets whichever answer survived, and is never charged twice.
        if (changed(decision) && reply.confirmed < this.replicas) throw new NotReplicatedError(reply.confirmed, this.replicas);
        if (outbox.length) await this.append(outbox, source, op, 0);
        return decision;
    }

    // With replicas to wait for, WAIT follows the script in one pipeline: one round trip,
    // on the same socket, so it waits for this script's writes (a WAIT sent on a socket
    // reopened after a failover would wait for nothing and confirm at once).
    private async decide(script: DecisionScript, cardKeys: string[], values: Array<string | number>): Promise<Decided> {
        const keys = this.cluster ? cardKeys : [...cardKeys, this.stream];
        const args = [keys.length, ...keys, ...values];
        const cmd = commands(this.client);
        if (this.replicas <= 0) return { reply: await cmd[script](...args), confirmed: 0 };
        const pipeline = this.client.pipeline() as unknown as Record<string, (...a: Array<string | number>) => void>
            & { exec(): Promise<Array<[Error | null, unknown]> | null> };
        pipeline[script](...args);
        pipeline.wait(this.replicas, this.replicaTimeout);
        const results = await pipeline.exec();
        if (!results) throw new Error('the decision pipeline was aborted');
        const [[scriptError, reply], [waitError, confirmed]] = results;
        if (scriptError) throw scriptError;
        // A refused WAIT (an ACL user without it) is a setting to fix, for Catch nodes; a
        // WAIT that did not answer in time confirmed nothing.
        if (waitError?.name === 'ReplyError') throw waitError;
        return { reply: reply as string, confirmed: waitError ? 0 : Number(confirmed) };
    }

    private async append(outbox: Outbox, source: string, op: string, attempt: number): Promise<void> {
        try {
            await commands(this.client).transitAppend(this.stream, appendedMarker(this.stream, op),
                this.streamLength, this.recordTtl, source, op, ...outbox.flat());
        } catch {
            if (attempt >= 10) return;
            setTimeout(() => void this.append(outbox, source, op, attempt + 1), 1000).unref();
        }
    }

    /**
     * Read-only early check for the sales workflow, in one round trip: why the card cannot
     * buy a pass (it is blocked, or has one), or undefined. The sale itself re-checks atomically.
     */
    async saleRefusal(card: string): Promise<'blocked' | 'card-already-has-pass' | undefined> {
        const keys = cardKeys(this.keyPrefix, card);
        // Both keys share the pass's slot, so one EXISTS counts them in a Cluster too: 1 or
        // 2 with the deny entry counted twice tells them apart from the pass alone.
        const found = await this.client.exists(keys.deny, keys.deny, keys.pass);
        if (found >= 2) return 'blocked';
        return found === 1 ? 'card-already-has-pass' : undefined;
    }
}

/** How SELL_SCRIPT writes a product's pass (see its comment). */
function soldAs(product: Product): string {
    if (isOriginalProduct(product)) return JSON.stringify({ original: true, trips: product.id === 'TEN_TRIP' ? product.rides : 0 });
    const { rides, validity, starts, label } = product;
    return JSON.stringify({ trips: rides, rides, validity, starts, label });
}

/**
 * The store a transit node uses: the connection's command client, the node's key layout
 * and prefix (see keyLayout) and stream, and the connection's
 * deadline so that a decision reaching a paused Redis too late changes nothing.
 */
export function storeForConnection(connection: RedisConnection, config: { keyPrefix?: string; stream?: string; cardKeys?: string }): TransitStore {
    const { keyPrefix, stream } = config;
    const { replicas, timeoutMs } = replication(connection);
    return new TransitStore(decisionClient(connection), {
        keyPrefix: keyPrefix ?? DEFAULT_KEY_PREFIX,
        layout: keyLayout(config.cardKeys, keyPrefix),
        stream: stream || DEFAULT_STREAM,
        deadline: () => connection.deadline(),
        cluster: connection.mode === 'cluster',
        replicas,
        replicaTimeout: timeoutMs,
    });
}
