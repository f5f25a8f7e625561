// The fuzz harness: loads one node (the "device under test") in a flow with a Catch node
// and a Complete node scoped to it and a helper node on each output, feeds it batches of
// generated messages through node.receive(), and records what each message led to. Every
// message must end exactly once: done() (seen by the Complete node) or done(err) (seen by
// the Catch node). Outputs are matched to their message by _msgid; outputs the node makes
// on its own (a presented card, a counter change) are kept apart as unsolicited.
// Afterwards the caller checks Redis's keys, and the harness checks, after every test, that
// the process saw no uncaught exception or unhandled rejection and that no prototype was polluted.
import assert from 'assert/strict';
import fc from 'fast-check';
import Redis from 'ioredis';
import type { Node } from 'node-red';
import { catchNode, coreNode, FlowNode, helper, load } from '../support/flow';
import { ownRedis } from '../support/redis-process';
import { scanKeys } from '../support/scan-keys';
import { POLLUTION_MARK } from './arbitraries';

const completeNode = coreNode('common/24-complete.js');

export type Msg = Record<string, unknown>;

/** The node under test always has this id. */
export const DUT = 'dut';

export interface Outcome {
    /** How many outputs there were when the message was checked: any later one came after done(). */
    checkedOutputs?: number;
    /** The message as generated (the node got a copy of it). */
    sent: Msg;
    outputs: Array<{ port: number; msg: Msg }>;
    /** Messages the Catch node received for this message (done(err) or node.error(err, msg)). */
    errors: Msg[];
    /** Messages the Complete node received for this message (done()). */
    completions: number;
}

interface Unsolicited {
    port: number;
    msg: Msg;
}

/**
 * The flow: the node under test wired to one helper per output, and a Catch and a Complete
 * node that listen to it alone. `others` are added as they are (config nodes, helpers).
 */
export function fuzzFlow(dut: { type: string; [key: string]: unknown }, outputs: number, others: FlowNode[] = []): FlowNode[] {
    const ports = Array.from({ length: outputs }, (_, i) => i);
    return [
        { id: 'tab', type: 'tab' },
        ...others.map((n) => ({ z: 'tab', ...n })),
        { ...dut, id: DUT, z: 'tab', wires: ports.map((i) => [`out${i}`]) },
        ...ports.map((i) => ({ id: `out${i}`, type: 'helper', z: 'tab' })),
        { id: 'catcher', type: 'catch', z: 'tab', scope: [DUT], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
        { id: 'completer', type: 'complete', z: 'tab', scope: [DUT], wires: [['completed']] },
        { id: 'completed', type: 'helper', z: 'tab' },
    ];
}

export async function loadFuzzFlow(modules: unknown[], flow: FlowNode[]): Promise<void> {
    await load([...modules, catchNode, completeNode], flow);
}

/**
 * A copy of a generated value small enough to print: long strings and Buffers cut short,
 * nesting beyond a few levels and cycles replaced by a note.
 */
function prune(value: unknown, depth: number, seen: Set<object>): unknown {
    if (typeof value === 'string') return value.length > 120 ? `${value.slice(0, 120)}…(${value.length} chars)` : value;
    if (typeof value !== 'object' || value === null) return value;
    if (Buffer.isBuffer(value)) return value.length > 32 ? `<Buffer of ${value.length} bytes>` : value;
    if (seen.has(value)) return '<cycle>';
    if (depth <= 0) return '<deeper>';
    if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
    seen.add(value);
    const keys = Reflect.ownKeys(value).filter((k) => typeof k === 'string' && k !== 'length').slice(0, 12) as string[];
    const copy: Record<string, unknown> = Array.isArray(value) ? [] as unknown as Record<string, unknown> : Object.create(Object.getPrototypeOf(value));
    for (const key of keys) {
        Object.defineProperty(copy, key, { value: prune((value as Record<string, unknown>)[key], depth - 1, seen), enumerable: true, writable: true, configurable: true });
    }
    seen.delete(value);
    return copy;
}

/** Short, printable description of a generated value for failure messages. */
export function describeValue(value: unknown, max = 600): string {
    let text: string;
    try {
        text = fc.stringify(prune(value, 5, new Set()));
    } catch (err) {
        text = `<unprintable: ${(err as Error).message}>`;
    }
    return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** Records, by _msgid, everything the node under test did with each message. */
export class OutcomeTracker {
    readonly outcomes = new Map<string, Outcome>();
    readonly unsolicited: Unsolicited[] = [];
    /** Catch or Complete messages for ids we never sent. */
    readonly strays: Msg[] = [];
    private waiters: Array<() => void> = [];
    private sequence = 0;

    constructor(outputs: number) {
        for (let port = 0; port < outputs; port++) {
            this.on(`out${port}`, (msg) => {
                const outcome = this.outcomes.get(String(msg._msgid));
                if (outcome) outcome.outputs.push({ port, msg });
                else this.unsolicited.push({ port, msg });
            });
        }
        this.on('caught', (msg) => {
            const outcome = this.outcomes.get(String(msg._msgid));
            if (outcome) outcome.errors.push(msg);
            else this.strays.push(msg);
        });
        this.on('completed', (msg) => {
            const outcome = this.outcomes.get(String(msg._msgid));
            if (outcome) outcome.completions += 1;
            else this.strays.push(msg);
        });
    }

    private on(id: string, record: (msg: Msg) => void): void {
        (helper.getNode(id) as Node).on('input', (msg: Msg) => {
            record(msg);
            const waiting = this.waiters;
            this.waiters = [];
            waiting.forEach((wake) => wake());
        });
    }

    /** Sends a copy of each message to the node under test; returns their ids. */
    send(messages: Msg[]): string[] {
        const dut = helper.getNode(DUT) as Node;
        return messages.map((sent) => {
            const id = `fuzz-${++this.sequence}`;
            this.outcomes.set(id, { sent, outputs: [], errors: [], completions: 0 });
            // A shallow copy keeps own __proto__ keys (spread defines properties) and leaves the
            // generated value untouched for the report, whatever the node writes into msg.
            dut.receive({ ...sent, _msgid: id } as never);
            return id;
        });
    }

    get sent(): number {
        return this.outcomes.size;
    }

    ended(id: string): boolean {
        const o = this.outcomes.get(id);
        return !!o && o.completions + o.errors.length > 0;
    }

    /**
     * Resolves once every id has ended (a completion or a caught error), and the outputs sent
     * before done() have arrived too; rejects after timeoutMs.
     */
    async waitEnded(ids: string[], timeoutMs: number): Promise<void> {
        await this.waitEndedOnly(ids, timeoutMs);
        await settle();
    }

    private async waitEndedOnly(ids: string[], timeoutMs: number): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const open = ids.filter((id) => !this.ended(id));
            if (open.length === 0) return;
            const left = deadline - Date.now();
            if (left <= 0) {
                throw new Error(`${open.length} message(s) never ended (no done() and no caught error) within ${timeoutMs} ms: `
                    + open.slice(0, 3).map((id) => describeValue(this.outcomes.get(id)?.sent, 300)).join('; '));
            }
            await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, Math.min(left, 250));
                this.waiters.push(() => {
                    clearTimeout(timer);
                    resolve();
                });
            });
        }
    }

    /** Waits until nothing has arrived for quietMs, so late duplicates get a chance to show. */
    async quiet(quietMs = 300, timeoutMs = 10000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        let last = this.eventCount();
        while (Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, quietMs));
            const now = this.eventCount();
            if (now === last) return;
            last = now;
        }
    }

    private eventCount(): number {
        let n = this.unsolicited.length + this.strays.length;
        this.outcomes.forEach((o) => {
            n += o.outputs.length + o.errors.length + o.completions;
        });
        return n;
    }

    /** Every message ended exactly once: one completion or one caught error, never both, never twice. */
    assertEachEndedOnce(): void {
        const late = [...this.outcomes.values()].filter((o) => o.checkedOutputs !== undefined && o.outputs.length !== o.checkedOutputs);
        assert.equal(late.length, 0, `outputs sent after the message ended, e.g. ${late.slice(0, 3).map((o) => describeValue(o.sent, 200)).join('; ')}`);
        const wrong = [...this.outcomes.values()].filter((o) => o.completions + o.errors.length !== 1);
        assert.equal(wrong.length, 0, `${wrong.length} message(s) did not end exactly once, e.g. `
            + wrong.slice(0, 3).map((o) => `${describeValue(o.sent, 200)} → ${o.completions} done(), ${o.errors.length} caught`).join('; '));
        assert.deepEqual(this.strays.map((m) => m._msgid), [], 'Catch/Complete messages for messages never sent');
    }
}

/**
 * A message Node-RED itself cannot copy (nested thousands of levels deep): the node did
 * its work, but done() could not reach the Complete node, so the node's input handler
 * reported it to Catch nodes as "unusable-message" instead (see nodes/common/input.ts).
 * Asserts that the message really is that deep, so the code never hides a node's bug.
 * (Where the copy overflows depends on how much stack is in use, about 1,500 to 3,000 levels.)
 */
function endedUnusable(outcome: Outcome): boolean {
    if ((outcome.errors[0]?.error as Msg | undefined)?.code !== 'unusable-message') return false;
    assert.ok(depthOf(outcome.sent) >= 1000, `reported unusable, but only ${depthOf(outcome.sent)} levels deep`);
    return true;
}

/** How deeply a value nests objects and arrays (without recursion, so any depth can be measured). */
function depthOf(value: unknown): number {
    let deepest = 0;
    const stack: Array<[unknown, number]> = [[value, 0]];
    const seen = new Set<object>();
    while (stack.length) {
        const [item, depth] = stack.pop() as [unknown, number];
        if (typeof item !== 'object' || item === null || seen.has(item) || Buffer.isBuffer(item) || ArrayBuffer.isView(item)) continue;
        seen.add(item);
        deepest = Math.max(deepest, depth + 1);
        for (const key of Reflect.ownKeys(item)) {
            const child = Object.getOwnPropertyDescriptor(item, key)?.value;
            if (child !== undefined) stack.push([child, depth + 1]);
        }
    }
    return deepest;
}

/**
 * Node-RED delivers each message on its own setImmediate: the Complete node can hear of
 * done() before an output sent just before it reaches its helper. A few turns let those arrive.
 */
async function settle(turns = 4): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

export interface FuzzOptions {
    /** Fixed per test so that a failure reproduces; printed with every failure. */
    seed: number;
    /** Property runs; each sends one batch of messages at once. */
    runs: number;
    batch: number;
    messages: fc.Arbitrary<Msg>;
    /** Checks one message's outcome (after it ended); throw to fail. */
    check(outcome: Outcome): void;
    /** How long a batch may take to end; generous, for a loaded two-core machine. */
    timeoutMs?: number;
}

/**
 * Checks each of a batch of messages that has ended (see waitEnded): it ended once, and
 * `check` accepts its outcome, unless Node-RED could not copy it (endedUnusable). Outputs
 * that arrive after this are reported by assertEachEndedOnce.
 */
export function checkBatch(tracker: OutcomeTracker, ids: string[], check: (outcome: Outcome) => void): void {
    for (const id of ids) {
        const outcome = tracker.outcomes.get(id) as Outcome;
        outcome.checkedOutputs = outcome.outputs.length;
        try {
            assert.ok(outcome.completions + outcome.errors.length === 1,
                `ended ${outcome.completions} time(s) by done() and ${outcome.errors.length} time(s) by a caught error`);
            if (!endedUnusable(outcome)) check(outcome);
        } catch (err) {
            (err as Error).message = `message ${describeValue(outcome.sent)}: ${(err as Error).message}`;
            throw err;
        }
    }
}

/**
 * Sends runs × batch generated messages and checks each outcome. A failing batch is shrunk
 * (a few steps only: each step talks to a live runtime) and reported with the seed. Then
 * waits for quiet and asserts that every message ended exactly once; returns how many
 * messages it sent, so that a test can show it still sends the number its title promises.
 */
export async function fuzzMessages(tracker: OutcomeTracker, options: FuzzOptions): Promise<number> {
    const before = tracker.sent;
    const property = fc.asyncProperty(
        fc.limitShrink(fc.array(options.messages, { minLength: options.batch, maxLength: options.batch }), 20),
        async (batch) => {
            const ids = tracker.send(batch);
            await tracker.waitEnded(ids, options.timeoutMs ?? 10000);
            checkBatch(tracker, ids, options.check);
        },
    );
    await fc.assert(property, { seed: options.seed, numRuns: options.runs, asyncReporter: fuzzReporter(options.seed) });
    await tracker.quiet();
    tracker.assertEachEndedOnce();
    return tracker.sent - before;
}

/** The kinds of outcome a run met, so that it can show it reached each kind it proves something about. */
export class Tally {
    private readonly counts = new Map<string, number>();

    add(kind: string | number): void {
        const key = String(kind);
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }

    assertReached(kinds: ReadonlyArray<string | number>): void {
        for (const kind of kinds) {
            assert.ok((this.counts.get(String(kind)) ?? 0) > 0, `no ${kind} in the run: ${JSON.stringify([...this.counts])}`);
        }
    }
}

/**
 * The code of a refused message: asserts that it was refused the node's own way, an error
 * with one of `codes` for Catch nodes and nothing sent on.
 */
export function refusalCode(outcome: Outcome, codes: readonly string[]): string {
    assert.equal(outcome.outputs.length, 0, 'nothing sent on for a refused message');
    const error = outcome.errors[0].error as Msg;
    const code = String(error.code);
    assert.ok(codes.includes(code), `one of the node's error codes, not ${code}: ${String(error.message)}`);
    return code;
}

/**
 * fast-check's failure report with the seed first and the counterexample cut short (the
 * default report would print generated megabyte strings in full).
 */
export function fuzzReporter<T>(seed: number): (details: fc.RunDetails<T>) => Promise<void> {
    return async (details) => {
        if (!details.failed) return;
        const error = details.errorInstance;
        const cause = error instanceof Error
            ? `${error.message}\n${(error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, 6).join('\n')}`
            : String(error);
        throw new Error(`fuzz property failed (seed ${seed}, path "${details.counterexamplePath}", after ${details.numRuns} runs`
            + ` and ${details.numShrinks} shrinks; rerun with the same seed to reproduce):\n${cause}`
            + `\ncounterexample: ${describeValue(details.counterexample, 1500)}`);
    };
}

// --- process-wide checks ---------------------------------------------------------------------

/** Uncaught exceptions and unhandled rejections while it watches (Node-RED would exit on either). */
class CrashWatch {
    private readonly problems: unknown[] = [];
    private readonly record = (err: unknown) => {
        this.problems.push(err);
    };

    start(): void {
        process.on('uncaughtException', this.record);
        process.on('unhandledRejection', this.record);
    }

    stop(): void {
        process.off('uncaughtException', this.record);
        process.off('unhandledRejection', this.record);
    }

    /** Asserts that nothing was recorded since the last call (so that a crash is reported once). */
    assertNone(): void {
        const problems = this.problems.splice(0);
        assert.deepEqual(problems.map((p) => (p instanceof Error ? `${p.name}: ${p.message}` : String(p))), [],
            'uncaught exceptions or unhandled rejections: each would stop Node-RED');
    }
}

const PROTOTYPES: Array<[string, object]> = [
    ['Object', Object.prototype], ['Array', Array.prototype], ['Function', Function.prototype], ['String', String.prototype],
    ['Number', Number.prototype], ['Boolean', Boolean.prototype], ['Error', Error.prototype], ['Promise', Promise.prototype],
    ['Uint8Array', Uint8Array.prototype], ['Buffer', Buffer.prototype], ['Map', Map.prototype],
];

type PrototypeSnapshot = Array<Map<string | symbol, PropertyDescriptor | undefined>>;

function snapshotPrototypes(): PrototypeSnapshot {
    return PROTOTYPES.map(([, proto]) => new Map(Reflect.ownKeys(proto).map((key) => [key, Object.getOwnPropertyDescriptor(proto, key)])));
}

/** No prototype gained, lost or changed a property; nothing planted the generators' marker. */
function assertPrototypesUnchanged(before: PrototypeSnapshot): void {
    const after = snapshotPrototypes();
    PROTOTYPES.forEach(([name], i) => {
        const changed = new Set<string | symbol>([...before[i].keys(), ...after[i].keys()]);
        for (const key of changed) {
            const a = before[i].get(key);
            const b = after[i].get(key);
            const same = !!a && !!b && a.value === b.value && a.get === b.get && a.set === b.set;
            assert.ok(same, `${name}.prototype[${String(key)}] changed`);
        }
    });
    assert.equal(Object.getPrototypeOf(Object.prototype), null, 'Object.prototype has no prototype');
    assert.equal((({}) as Record<string, unknown>)[POLLUTION_MARK], undefined, `a plain object has "${POLLUTION_MARK}"`);
}

// --- Redis ------------------------------------------------------------------------------------

/** Every key in the database, sorted. */
export async function allKeys(redis: Redis): Promise<string[]> {
    return (await scanKeys(redis)).sort();
}

/** Asserts that every key matches one of the node's key patterns; returns the keys. */
export async function assertKeysMatch(redis: Redis, patterns: RegExp[]): Promise<string[]> {
    const keys = await allKeys(redis);
    const strays = keys.filter((key) => !patterns.some((p) => p.test(key)));
    assert.deepEqual(strays.map((k) => describeValue(k, 120)), [], `keys outside the node's patterns ${patterns.join(' ')}`);
    return keys;
}

/** A regular expression that matches `text` literally. */
export function literal(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// --- suite set-up -------------------------------------------------------------------------------

export interface FuzzContext {
    /** A client on the suite's own redis-server, whose every key the suite may judge. */
    readonly redis: Redis;
    readonly port: number;
}

/**
 * Mocha hooks for a fuzz suite: its own redis-server (when asked), a crash watch and a
 * prototype snapshot taken before any node runs. Call inside describe(). After each test,
 * once Node-RED is unloaded, it checks both (a failure names that test's after-each hook):
 * mocha itself lets an unhandled rejection pass, and the small regression tests throw
 * inside handlers as much as the big fuzz runs do.
 */
export function fuzzSuite(options: { redis: boolean }): FuzzContext {
    const context = {} as { redis: Redis; port: number };
    const crashes = new CrashWatch();
    let prototypes: PrototypeSnapshot;
    before(() => {
        prototypes = snapshotPrototypes();
        crashes.start();
    });
    afterEach(async () => {
        await helper.unload();
        crashes.assertNone();
        assertPrototypesUnchanged(prototypes);
    });
    after(() => crashes.stop());
    // Registered after the hooks above, so its server starts after the crash watch and
    // goes only once Node-RED is unloaded.
    if (options.redis) {
        const own = ownRedis({ perTest: false });
        before(() => {
            context.redis = own.client;
            context.port = own.port;
        });
    }
    return context;
}
