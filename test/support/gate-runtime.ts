// A Node-RED runtime with N transit gates in a child process of its own, as a separate
// Node-RED installation at another entrance would be: its own config node, Redis
// connection and userDir (where gates keep their offline journals). The parent drives it
// over IPC (process.send): load a flow, tap cards at given gates, ask what each gate
// shows, stop, or SIGKILL it and start it again on the same userDir. Run as
// `node dist/test/support/gate-runtime.js` through GateRuntime.
import { ChildProcess, fork } from 'child_process';
import { isRunning, waitForExit } from '../../scripts/demo/child';
import type { RedisServerNode } from '../../nodes/common/types';
import { FlowNode, helper, load, Msg, SERVER_ID, statusOf, waitGreen } from './flow';
import { gateNodeIds, transitFlow } from './transit-flow';

export interface RuntimeFlow {
    /** Names this runtime's gates (`<name>-gate-<i>`), so tap ids differ between runtimes. */
    name: string;
    port: number;
    gates: number;
    keyPrefix: string;
    stream: string;
    /** Further settings of every gate node (offlinePolicy, repeatWindow: 0 unless given). */
    gate?: Record<string, unknown>;
    /** Settings of single gates, by index, over `gate`. */
    perGate?: Array<Record<string, unknown> | undefined>;
    /** The runtime's userDir (RED.settings.userDir); Node-RED's default when absent. */
    userDir?: string;
}

export interface StartOptions {
    timeoutMs?: number;
    /**
     * Wait for every gate to show green (connected) before start() resolves; true by
     * default. A runtime started while Redis is away is ready once its flow has loaded.
     */
    connected?: boolean;
}

export interface Tap {
    id: number;
    gate: number;
    card: string;
    /** The gate's tap id (msg.tapId); the gate makes one from the message id when absent. */
    tapId?: string;
}

export interface Decision {
    id: number;
    granted: boolean;
    /** The gate's output payload: the grant, or {card, reason}. */
    payload: Record<string, unknown>;
    /** The tap id the gate decided it under (msg.tapId). */
    tapId: string;
    /** msg.offline: decided without Redis. */
    offline: boolean;
}

/** What one gate node shows: its last status, and its offline state as the node exposes it. */
export interface GateState {
    node: string;
    gateId?: string;
    status: { fill?: string; shape?: string; text?: string };
    /** node.transitJournal: {pending, replayed, overused, replaying}, once the gate has reported one. */
    journal?: JournalProgress;
}

export interface JournalProgress {
    pending: number;
    replayed: number;
    overused: number;
    replaying: boolean;
}

export interface RuntimeState {
    /** RED.settings.userDir as the nodes' RED sees it. */
    userDir?: string;
    gates: GateState[];
    /** The known-passes gates' shared copy of the passes, when they have one. */
    replica?: { synced: boolean; size: number };
}

type Command = { type: 'load'; flow: RuntimeFlow; connected: boolean } | { type: 'taps'; taps: Tap[] } | { type: 'query'; id: number } | { type: 'stop' };
type Report = { type: 'ready' } | { type: 'decision'; decision: Decision } | { type: 'state'; id: number; state: RuntimeState }
    | { type: 'failed'; error: string };

interface Waiting {
    resolve(d: Decision): void;
    reject(err: Error): void;
}

/** The parent's handle on one child runtime. */
export class GateRuntime {
    private readonly waiting = new Map<number, Waiting>();
    private ready?: () => void;
    /** Rejects start()'s promise while it waits; afterwards fail() rejects the taps waiting. */
    private failure?: (err: Error) => void;

    private readonly queries = new Map<number, (state: RuntimeState) => void>();
    private queryId = 0;
    readonly name: string;

    private constructor(private readonly child: ChildProcess, readonly flow: RuntimeFlow) {
        const name = this.name = flow.name;
        child.on('message', (report: Report) => {
            if (report.type === 'ready') this.ready?.();
            else if (report.type === 'failed') this.fail(new Error(`runtime ${name} failed: ${report.error}`));
            else if (report.type === 'state') {
                this.queries.get(report.id)?.(report.state);
                this.queries.delete(report.id);
            } else {
                this.waiting.get(report.decision.id)?.resolve(report.decision);
                this.waiting.delete(report.decision.id);
            }
        });
        child.on('exit', (code, signal) => this.fail(new Error(`runtime ${name} exited (${code ?? signal})`)));
        // A message sent as the child dies fails here too; its exit tells whatever waits.
        child.on('error', () => undefined);
    }

    /** Forks a runtime and resolves once every gate in its flow is connected (see StartOptions). */
    static async start(flow: RuntimeFlow, options: StartOptions | number = {}): Promise<GateRuntime> {
        const { timeoutMs = 30000, connected = true } = typeof options === 'number' ? { timeoutMs: options } : options;
        const runtime = new GateRuntime(fork(__filename, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }), flow);
        try {
            await new Promise<void>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error(`runtime ${flow.name} not ready after ${timeoutMs} ms`)), timeoutMs);
                runtime.ready = () => { clearTimeout(timer); resolve(); };
                runtime.failure = (err) => { clearTimeout(timer); reject(err); };
                runtime.send({ type: 'load', flow, connected });
            });
        } catch (err) {
            runtime.child.kill('SIGKILL');
            throw err;
        } finally {
            runtime.failure = undefined;
        }
        return runtime;
    }

    /**
     * Sends every tap at once; resolves with their decisions, in the order of `taps`. Fails
     * with the child's own error when it reports one (an exception in a gate) or exits.
     */
    tap(taps: Tap[], timeoutMs = 15000): Promise<Decision[]> {
        if (!isRunning(this.child)) return Promise.reject(new Error(`runtime ${this.name} is not running`));
        const answers = taps.map((t) => new Promise<Decision>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no decision for tap ${t.id} within ${timeoutMs} ms`)), timeoutMs);
            this.waiting.set(t.id, {
                resolve: (d) => { clearTimeout(timer); resolve(d); },
                reject: (err) => { clearTimeout(timer); reject(err); },
            });
        }));
        this.send({ type: 'taps', taps });
        return Promise.all(answers);
    }

    /** What each gate shows now (status, journal progress), and the userDir its nodes see. */
    state(timeoutMs = 5000): Promise<RuntimeState> {
        const id = ++this.queryId;
        return new Promise<RuntimeState>((resolve, reject) => {
            const timer = setTimeout(() => {
                this.queries.delete(id);
                reject(new Error(`runtime ${this.name}: no state within ${timeoutMs} ms`));
            }, timeoutMs);
            this.queries.set(id, (state) => { clearTimeout(timer); resolve(state); });
            this.send({ type: 'query', id });
        });
    }

    /** Whether the child process is still alive. */
    get running(): boolean {
        return isRunning(this.child);
    }

    /** SIGKILLs the runtime, as a power cut would end it, and waits until it is gone. */
    async kill(): Promise<void> {
        if (!isRunning(this.child)) return;
        this.child.kill('SIGKILL');
        await waitForExit(this.child, 5000);
    }

    /** A new runtime with this one's flow and userDir (stop or kill this one first). */
    restart(options: StartOptions = {}): Promise<GateRuntime> {
        if (isRunning(this.child)) throw new Error(`runtime ${this.name} is still running`);
        return GateRuntime.start(this.flow, options);
    }

    /** Asks the runtime to unload and exit; SIGKILLs it after 10 s. */
    async stop(): Promise<void> {
        if (!isRunning(this.child)) return;
        this.send({ type: 'stop' });
        if (await waitForExit(this.child, 10000)) return;
        this.child.kill('SIGKILL');
        await waitForExit(this.child, 5000);
    }

    /** The child failed: whatever waits for it (the start, or taps) learns why at once. */
    private fail(err: Error): void {
        this.failure?.(err);
        const waiting = [...this.waiting.values()];
        this.waiting.clear();
        waiting.forEach((w) => w.reject(err));
    }

    private send(command: Command): void {
        if (!isRunning(this.child)) throw new Error(`runtime ${this.name} is not running`);
        this.child.send(command);
    }
}

// --- the flow, also loaded in-process by tests that need no separate runtime ---

/**
 * `f.gates` transit gates (`gate<i>`, gate ids `<name>-gate-<i>`) on one config node, every
 * grant wired to the helper node `granted` and every denial to `denied`.
 */
export function gateFlow(f: RuntimeFlow): FlowNode[] {
    const flow = transitFlow(f.port, { gates: f.gates, gateIds: `${f.name}-gate`, keyPrefix: f.keyPrefix, stream: f.stream, gate: f.gate });
    f.perGate?.forEach((settings, i) => {
        const gate = flow.find((n) => n.id === `gate${i}`);
        if (gate && settings) Object.assign(gate, settings);
    });
    return flow;
}

// --- the child side ---

/** RED.settings as the node modules' RED sees it, taken by a module loaded beside them. */
let seenSettings: { userDir?: string } | undefined;
const settingsProbe = (RED: { settings: { userDir?: string } }) => { seenSettings = RED.settings; };

function gateState(node: string): GateState {
    const gate = helper.getNode(node) as unknown as { transitId?: string; transitJournal?: JournalProgress } | null;
    return { node, gateId: gate?.transitId, status: statusOf(node), journal: gate?.transitJournal };
}

/** PassReplica (nodes/lib/transit/replica.ts) as far as this reads it. */
interface SharedReplica {
    acquire(connection: unknown, options: { keyPrefix: string; layout: 'uid' }): { synced: boolean; size: number; release(): Promise<void> };
}

/**
 * The copy of the passes this runtime's known-passes gates share: PassReplica keeps one per
 * connection and key prefix, so acquiring it here finds theirs (and releasing it leaves
 * theirs running). Undefined when no gate of the flow uses known-passes.
 */
function replicaState(flow: RuntimeFlow): RuntimeState['replica'] {
    const policies = Array.from({ length: flow.gates }, (_, i) => flow.perGate?.[i]?.offlinePolicy ?? flow.gate?.offlinePolicy);
    const connection = (helper.getNode(SERVER_ID) as unknown as RedisServerNode | null)?.connection;
    if (!policies.includes('known-passes') || !connection) return undefined;
    const copy = (require('../../nodes/lib/transit/replica') as { PassReplica: SharedReplica }).PassReplica
        .acquire(connection, { keyPrefix: flow.keyPrefix, layout: 'uid' });
    try {
        return { synced: copy.synced, size: copy.size };
    } finally {
        void copy.release();
    }
}

function runChild(): void {
    const report = (r: Report) => process.send?.(r);
    let flow: RuntimeFlow | undefined;
    const answer = (granted: boolean) => (msg: Msg) => report({ type: 'decision', decision: {
        id: msg.tapRequest as number, granted, payload: msg.payload as Record<string, unknown>,
        tapId: String(msg.tapId), offline: msg.offline === true } });
    // The parent went away (it ended, or was killed): so does this runtime.
    process.on('disconnect', () => process.exit(0));
    process.on('message', (command: Command) => {
        void (async () => {
            if (command.type === 'load') {
                if (command.flow.userDir) helper.settings({ userDir: command.flow.userDir });
                await load([settingsProbe, require('../../nodes/redis-iot-server/redis-iot-server'), require('../../nodes/transit-gate/transit-gate')],
                    gateFlow(command.flow));
                flow = command.flow;
                if (command.connected) await waitGreen(gateNodeIds(flow.gates), 20000, 'every gate connected');
                helper.getNode('granted').on('input', answer(true));
                helper.getNode('denied').on('input', answer(false));
                report({ type: 'ready' });
            } else if (command.type === 'taps') {
                for (const t of command.taps) {
                    const msg = t.tapId === undefined ? { payload: t.card, tapRequest: t.id } : { payload: t.card, tapRequest: t.id, tapId: t.tapId };
                    helper.getNode(`gate${t.gate}`).receive(msg as never);
                }
            } else if (command.type === 'query') {
                const gates = flow ? gateNodeIds(flow.gates).map(gateState) : [];
                report({ type: 'state', id: command.id, state: { userDir: seenSettings?.userDir, gates, replica: flow && replicaState(flow) } });
            } else {
                await helper.unload();
                process.exit(0);
            }
        })().catch((err: Error) => report({ type: 'failed', error: err.stack ?? err.message }));
    });
}

if (require.main === module) runChild();
