// The operations figures (entries per minute per gate, sales per product, denials per
// reason, each gate's and terminal's last event, each gate's offline decisions) as a fold
// over the event stream's entries. Pure: the transit-operations node reads the stream and feeds it here.
//
// Time is Redis's: an entry's time is the ms part of its stream id, and "now" is the
// newest of Redis's TIME (given to advance()) and the entries seen. Node's clock is never
// read, since a Pi's may be days or a year off.
//
// Anything with access to Redis can write to the stream, so the state is bounded
// whatever it holds: one bucket per minute of the window, at most `maxNames` gates,
// products, reasons and devices of each kind (more gates, products or reasons count as
// "other"), names cut to 64 characters, and entries it has no use for ignored.
import type { JournalProgress } from '../../common/types';
import { passWords } from './events';

export const MINUTE_MS = 60_000;
/** Where gates, products and reasons beyond the cap are counted. */
export const OTHER = 'other';
/** The reason of a denial that gives none: the original gate's only one. */
export const DEFAULT_REASON = 'no-pass';
const MAX_NAME_LENGTH = 64;
/**
 * How far past Redis's TIME an entry's id may be and still move "now". An id further ahead
 * was written with an explicit id (XADD <ms>-<seq>): taken as "now" it would push every
 * real figure out of the window, so it counts at "now" instead.
 */
const FUTURE_SLACK_MS = MINUTE_MS;

/** One stream entry, as the event reader parses it. */
export interface OperationsEntry {
    id: string;
    channel: string;
    event: unknown;
    source?: string;
}

export interface OperationsOptions {
    /** Minutes of history kept, the current one included (default 60). */
    windowMinutes?: number;
    /** Distinct gates, products, reasons and devices of each kind kept (default 50). */
    maxNames?: number;
}

/** One point of the entries chart: a gate's granted taps in the minute starting at `time`. */
export interface EntriesPoint {
    time: number;
    gate: string;
    count: number;
}

export interface ProductCount {
    product: string;
    count: number;
}

export interface ReasonCount {
    reason: string;
    count: number;
}

export type DeviceKind = 'gate' | 'terminal';

/** A gate or terminal as the stream shows it: its last event in the window. */
export interface StreamDevice {
    id: string;
    kind: DeviceKind;
    /** Redis time (ms) of its last event. */
    lastEvent: number;
    /** The channel of its last event (`pass-used:TEN_TRIP`, `pass-denied`, …). */
    lastChannel: string;
    /** The reason, when the last event was a denial. */
    lastReason?: string;
}

/**
 * A gate's decisions taken while Redis was away, as their replays show in the window:
 * `offline` every replayed decision (events with `offline: true`), `overused` the rides
 * Redis refused after the gate allowed them (pass-overused), `unpaid` the riders an `open`
 * gate let through without a valid pass (pass-unpaid).
 */
export interface OfflineCount {
    gate: string;
    offline: number;
    overused: number;
    unpaid: number;
}

const OFFLINE_FIGURES = ['offline', 'overused', 'unpaid'] as const;
const FIGURES = ['entries', 'sales', 'denials', ...OFFLINE_FIGURES] as const;
type Figure = (typeof FIGURES)[number];
type Minute = Record<Figure, Map<string, number>>;
/**
 * The events a replayed tap gives, one each: a grant, a denial, a grant Redis refused, a
 * rider let through unpaid. A pass-activated comes with its pass-used; it is not counted.
 */
const DECISIONS = new Set(['pass-used', 'pass-denied', 'pass-overused', 'pass-unpaid']);

function emptyFigures(): Minute {
    return Object.fromEntries(FIGURES.map((figure) => [figure, new Map<string, number>()])) as Minute;
}

/** The ms part of a stream id (`<ms>-<seq>`), or undefined for anything else. */
export function idTime(id: string): number | undefined {
    const match = /^(\d{1,15})-\d{1,20}$/.exec(id);
    return match ? Number(match[1]) : undefined;
}

export function minuteOf(ms: number): number {
    return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** A name as kept: a non-empty string, cut short; undefined for anything else. */
function nameOf(value: unknown): string | undefined {
    return typeof value === 'string' && value !== '' ? value.slice(0, MAX_NAME_LENGTH) : undefined;
}

function objectOf(value: unknown): Record<string, unknown> {
    return value && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : {};
}

/**
 * What people call the product sold on `pass-issued:<type>`: a catalogue product's label,
 * else the original's words for its type ("ten trip"), else the type itself.
 */
export function productName(channel: string, event: unknown): string {
    const pass = objectOf(objectOf(event).pass);
    const colon = channel.indexOf(':');
    const type = (colon >= 0 ? nameOf(channel.slice(colon + 1)) : undefined) ?? nameOf(pass.passType);
    const words = passWords({ label: nameOf(pass.label), passType: type });
    return words === 'unknown' ? type ?? 'unknown' : words;
}

/** Sums of every minute's counts, as [{<key>: name, count}], by name with "other" last. */
function totals<K extends string>(minutes: Iterable<Minute>, figure: Figure, key: K): Array<Record<K, string> & { count: number }> {
    const sums = new Map<string, number>();
    for (const minute of minutes) for (const [name, count] of minute[figure]) sums.set(name, (sums.get(name) ?? 0) + count);
    return sortNames([...sums.keys()]).map((name) => ({ [key]: name, count: sums.get(name) ?? 0 }) as Record<K, string> & { count: number });
}

/** Names in a steady order, so bars and lines keep their places between updates. */
function sortNames(names: string[]): string[] {
    return names.sort((a, b) => (a === OTHER ? 1 : b === OTHER ? -1 : a < b ? -1 : a > b ? 1 : 0));
}

export class OperationsFold {
    readonly windowMinutes: number;
    readonly maxNames: number;
    /** Redis time (ms) as far as known; 0 before any. */
    private now = 0;
    /** Whether Redis's TIME was given: until then entries alone say what "now" is. */
    private clockKnown = false;
    private readonly minutes = new Map<number, Minute>();
    /** Each figure's names in the window, with how many minutes hold each (to know when one leaves). */
    private readonly names = emptyFigures();
    private readonly devices = new Map<string, StreamDevice>();

    constructor(options: OperationsOptions = {}) {
        this.windowMinutes = options.windowMinutes ?? 60;
        this.maxNames = options.maxNames ?? 50;
    }

    /** Redis time (ms) the figures are for; 0 before anything was seen. */
    get time(): number {
        return this.now;
    }

    /** The start (ms) of the oldest minute in the window: where a reader starts reading. */
    windowStart(): number {
        return minuteOf(this.now) - (this.windowMinutes - 1) * MINUTE_MS;
    }

    /** Moves "now" to Redis's TIME (never back) and drops the minutes that left the window. */
    advance(redisNowMs: number): void {
        this.clockKnown = true;
        if (redisNowMs > this.now) this.now = redisNowMs;
        this.dropOld();
    }

    /**
     * Counts one stream entry. Returns whether it changed a figure: entries of other
     * channels (admin events, anything written by others), older than the window or with
     * an id that is not a stream id change nothing.
     */
    add(entry: OperationsEntry): boolean {
        let time = idTime(entry.id);
        if (time === undefined || typeof entry.channel !== 'string') return false;
        if (this.clockKnown && time > this.now + FUTURE_SLACK_MS) time = this.now;
        if (time > this.now) {
            this.now = time;
            this.dropOld();
        }
        if (time < this.windowStart()) return false;
        const event = objectOf(entry.event);
        const kind = entry.channel.split(':')[0];
        const gate = () => nameOf(entry.source) ?? nameOf(event.gate) ?? 'unknown';
        // A replayed offline decision counts as the entry or denial it was, and as offline.
        if (event.offline === true && DECISIONS.has(kind)) this.count(time, 'offline', gate());
        switch (kind) {
            case 'pass-used':
                this.count(time, 'entries', gate());
                this.seen(gate(), 'gate', time, entry.channel);
                return true;
            case 'pass-issued': {
                this.count(time, 'sales', productName(entry.channel, event));
                const terminal = nameOf(entry.source) ?? nameOf(event.terminal) ?? 'unknown';
                this.seen(terminal, 'terminal', time, entry.channel);
                return true;
            }
            case 'pass-denied': {
                const reason = nameOf(event.reason) ?? DEFAULT_REASON;
                this.count(time, 'denials', reason);
                this.seen(gate(), 'gate', time, entry.channel, reason);
                return true;
            }
            case 'pass-activated':
                // Not a figure of its own (the entry it comes with is), but the gate was active.
                this.seen(gate(), 'gate', time, entry.channel);
                return true;
            case 'pass-overused':
            case 'pass-unpaid':
                this.count(time, kind === 'pass-overused' ? 'overused' : 'unpaid', gate());
                this.seen(gate(), 'gate', time, entry.channel, nameOf(event.reason) ?? DEFAULT_REASON);
                return true;
            default:
                return false;
        }
    }

    /**
     * Granted taps per gate per minute, for a line or bar chart with a time axis: every gate
     * in the window gets a point for every minute of it, 0 included, oldest first. Without
     * the zeros a line would be drawn straight across a quiet spell as though taps went on.
     */
    entriesPerMinute(): EntriesPoint[] {
        if (this.now === 0) return [];
        const gates = sortNames([...this.names.entries.keys()]);
        const points: EntriesPoint[] = [];
        for (let time = this.windowStart(); time <= minuteOf(this.now); time += MINUTE_MS) {
            const minute = this.minutes.get(time);
            for (const gate of gates) points.push({ time, gate, count: minute?.entries.get(gate) ?? 0 });
        }
        return points;
    }

    /** Passes sold in the window, per product, by name. */
    salesPerProduct(): ProductCount[] {
        return totals(this.minutes.values(), 'sales', 'product');
    }

    /** Denials in the window, per reason, by name. */
    denialsPerReason(): ReasonCount[] {
        return totals(this.minutes.values(), 'denials', 'reason');
    }

    /** Each gate with a replayed offline decision in the window, by id ("other" last). */
    offlinePerGate(): OfflineCount[] {
        const gates = sortNames([...new Set(OFFLINE_FIGURES.flatMap((figure) => [...this.names[figure].keys()]))]);
        const sums = OFFLINE_FIGURES.map((figure) => new Map(totals(this.minutes.values(), figure, 'gate').map((t) => [t.gate, t.count])));
        return gates.map((gate) => ({ gate, offline: sums[0].get(gate) ?? 0, overused: sums[1].get(gate) ?? 0, unpaid: sums[2].get(gate) ?? 0 }));
    }

    /** Every gate and terminal with an event in the window: gates first, each kind by id. */
    streamDevices(): StreamDevice[] {
        return [...this.devices.values()].map((d) => ({ ...d }))
            .sort((a, b) => (a.kind !== b.kind ? (a.kind === 'gate' ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }

    /** The window's totals, for a status line. */
    counts(): Record<'entries' | 'sales' | 'denials', number> {
        const sum = (figure: Figure) => [...this.minutes.values()].reduce((n, m) => [...m[figure].values()].reduce((a, b) => a + b, n), 0);
        return { entries: sum('entries'), sales: sum('sales'), denials: sum('denials') };
    }

    private count(time: number, figure: Figure, wanted: string): void {
        const start = minuteOf(time);
        let minute = this.minutes.get(start);
        if (!minute) {
            minute = emptyFigures();
            this.minutes.set(start, minute);
        }
        const names = this.names[figure];
        let name = wanted;
        if (!minute[figure].has(name)) {
            if (!names.has(name) && name !== OTHER && names.size >= this.maxNames + (names.has(OTHER) ? 1 : 0)) name = OTHER;
            if (!minute[figure].has(name)) names.set(name, (names.get(name) ?? 0) + 1);
        }
        minute[figure].set(name, (minute[figure].get(name) ?? 0) + 1);
    }

    private seen(id: string, kind: DeviceKind, time: number, channel: string, reason?: string): void {
        const key = `${kind}:${id}`;
        const known = this.devices.get(key);
        if (known && known.lastEvent > time) return;
        if (!known && [...this.devices.values()].filter((d) => d.kind === kind).length >= this.maxNames) return;
        this.devices.set(key, { id, kind, lastEvent: time, lastChannel: channel, ...(reason !== undefined ? { lastReason: reason } : {}) });
    }

    private dropOld(): void {
        const start = this.windowStart();
        for (const [time, minute] of this.minutes) {
            if (time >= start) continue;
            this.minutes.delete(time);
            for (const figure of FIGURES) {
                const names = this.names[figure];
                for (const name of minute[figure].keys()) {
                    const left = (names.get(name) ?? 1) - 1;
                    if (left > 0) names.set(name, left);
                    else names.delete(name);
                }
            }
        }
        for (const [key, device] of this.devices) if (device.lastEvent < start) this.devices.delete(key);
    }
}

/** A gate or terminal that this Node-RED runs, with its Redis connection's state. */
export interface LocalDevice {
    id: string;
    kind: DeviceKind;
    connection: string;
    /** A gate's journal of offline decisions, when it keeps one (an offline policy other than deny). */
    journal?: JournalProgress;
}

/** One row of the devices table. */
export interface Device {
    id: string;
    kind: DeviceKind;
    /** Its Redis connection (`connected`, `disconnected`, …); `unknown` for one another Node-RED runs. */
    connection: string;
    /** Whether this Node-RED runs it. */
    local: boolean;
    /** Redis time (ms) of its last event in the window, or null. */
    lastEvent: number | null;
    lastChannel: string | null;
    lastReason: string | null;
}

/**
 * The devices table: this Node-RED's gates and terminals, whether or not they had an event
 * in the window, and the others the stream shows. Every row has every column (null when
 * unknown), so a table widget lays them out alike. Gates first, each kind by id.
 */
export function mergeDevices(local: readonly LocalDevice[], seen: readonly StreamDevice[]): Device[] {
    const rows = new Map<string, Device>();
    for (const d of seen) {
        rows.set(`${d.kind}:${d.id}`, { id: d.id, kind: d.kind, connection: 'unknown', local: false,
            lastEvent: d.lastEvent, lastChannel: d.lastChannel, lastReason: d.lastReason ?? null });
    }
    for (const d of local) {
        const key = `${d.kind}:${d.id}`;
        const row = rows.get(key);
        // Two nodes with one id (a copy of a gate's flow) are one device; the first one's state shows.
        if (row?.local) continue;
        rows.set(key, { ...(row ?? { lastEvent: null, lastChannel: null, lastReason: null }), id: d.id, kind: d.kind, connection: d.connection, local: true });
    }
    return [...rows.values()].sort((a, b) => (a.kind !== b.kind ? (a.kind === 'gate' ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** One row of the journals table: a gate's offline decisions, in its journal and in the window. */
export interface JournalRow extends OfflineCount {
    /** Whether this Node-RED runs it (and so knows its journal). */
    local: boolean;
    /** Offline decisions in its journal not yet charged in Redis; null when unknown (another Node-RED's gate). */
    pending: number | null;
    /** Decisions replayed since the gate started; null when unknown. */
    replayed: number | null;
    /** Whether a replay is running; null when unknown. */
    replaying: boolean | null;
}

/**
 * The journals table: this Node-RED's gates that keep a journal (an offline policy other
 * than deny), with its progress, and every gate whose replays the stream shows in the
 * window, so gates another Node-RED runs show too once Redis has their decisions. Every row
 * has every column (null when unknown). By gate id.
 */
export function mergeJournals(local: readonly LocalDevice[], seen: readonly OfflineCount[]): JournalRow[] {
    const rows = new Map<string, JournalRow>();
    for (const s of seen) rows.set(s.gate, { ...s, local: false, pending: null, replayed: null, replaying: null });
    for (const d of local) {
        if (d.kind !== 'gate' || !d.journal || rows.get(d.id)?.local) continue;
        const counts = rows.get(d.id) ?? { gate: d.id, offline: 0, overused: 0, unpaid: 0 };
        const { pending, replayed, replaying } = d.journal;
        rows.set(d.id, { ...counts, local: true, pending, replayed, replaying });
    }
    return sortNames([...rows.keys()]).map((gate) => rows.get(gate) as JournalRow);
}
