// A Node-RED runtime with N transit gates in a child process of its own, as a separate
// Node-RED installation at another entrance would be: its own config node and Redis
// connection. The parent drives it over IPC (process.send): load a flow, tap cards at
// given gates, stop. Run as `node dist/test/support/gate-runtime.js` through GateRuntime.
import { ChildProcess, fork } from 'child_process';
import { FlowNode, helper, load, Msg, SERVER_ID, serverNode, statusOf, waitFor } from './flow';

export interface RuntimeFlow {
    /** Names this runtime's gates (`<name>-gate-<i>`), so tap ids differ between runtimes. */
    name: string;
    port: number;
    gates: number;
    keyPrefix: string;
    stream: string;
}

export interface Tap {
    id: number;
    gate: number;
    card: string;
}

export interface Decision {
    id: number;
    granted: boolean;
    /** The gate's output payload: the grant, or {card, reason}. */
    payload: Record<string, unknown>;
}

type Command = { type: 'load'; flow: RuntimeFlow } | { type: 'taps'; taps: Tap[] } | { type: 'stop' };
type Report = { type: 'ready' } | { type: 'decision'; decision: Decision } | { type: 'failed'; error: string };

/** The parent's handle on one child runtime. */
export class GateRuntime {
    private readonly waiting = new Map<number, (d: Decision) => void>();
    private ready?: () => void;
    private failure?: (err: Error) => void;

    private constructor(private readonly child: ChildProcess) {
        child.on('message', (report: Report) => {
            if (report.type === 'ready') this.ready?.();
            else if (report.type === 'failed') this.failure?.(new Error(report.error));
            else {
                this.waiting.get(report.decision.id)?.(report.decision);
                this.waiting.delete(report.decision.id);
            }
        });
    }

    /** Forks a runtime and resolves once every gate in its flow is connected. */
    static async start(flow: RuntimeFlow, timeoutMs = 30000): Promise<GateRuntime> {
        const runtime = new GateRuntime(fork(__filename, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
        try {
            await new Promise<void>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error(`runtime ${flow.name} not ready after ${timeoutMs} ms`)), timeoutMs);
                runtime.ready = () => { clearTimeout(timer); resolve(); };
                runtime.failure = (err) => { clearTimeout(timer); reject(err); };
                runtime.child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`runtime ${flow.name} exited (${code})`)); });
                runtime.send({ type: 'load', flow });
            });
        } catch (err) {
            runtime.child.kill('SIGKILL');
            throw err;
        }
        return runtime;
    }

    /** Sends every tap at once; resolves with their decisions, in the order of `taps`. */
    tap(taps: Tap[], timeoutMs = 15000): Promise<Decision[]> {
        const answers = taps.map((t) => new Promise<Decision>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no decision for tap ${t.id} within ${timeoutMs} ms`)), timeoutMs);
            this.waiting.set(t.id, (d) => { clearTimeout(timer); resolve(d); });
        }));
        this.send({ type: 'taps', taps });
        return Promise.all(answers);
    }

    async stop(): Promise<void> {
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        const exited = new Promise((r) => this.child.once('exit', r));
        const killer = setTimeout(() => this.child.kill('SIGKILL'), 10000);
        this.send({ type: 'stop' });
        await exited;
        clearTimeout(killer);
    }

    private send(command: Command): void {
        this.child.send(command);
    }
}

// --- the flow, also loaded in-process by tests that need no separate runtime ---

/**
 * `f.gates` transit gates (`gate<i>`, gate ids `<name>-gate-<i>`) on one config node, every
 * grant wired to the helper node `granted` and every denial to `denied`.
 */
export function gateFlow(f: RuntimeFlow): FlowNode[] {
    const nodes: FlowNode[] = [
        { id: 'tab', type: 'tab' },
        { ...serverNode(f.port), z: 'tab' },
        { id: 'granted', type: 'helper', z: 'tab' },
        { id: 'denied', type: 'helper', z: 'tab' },
    ];
    for (let i = 0; i < f.gates; i++) {
        nodes.push({ id: `gate${i}`, type: 'transit-gate', z: 'tab', server: SERVER_ID, gateId: `${f.name}-gate-${i}`,
            repeatWindow: 0, keyPrefix: f.keyPrefix, stream: f.stream, wires: [['granted'], ['denied']] });
    }
    return nodes;
}

/** Waits until each of the `gates` gates of a loaded gateFlow shows it is connected. */
export function waitGatesGreen(gates: number, timeoutMs = 20000): Promise<void> {
    return waitFor(() => Array.from({ length: gates }, (_, i) => statusOf(`gate${i}`).fill === 'green').every(Boolean),
        timeoutMs, 'every gate connected');
}

// --- the child side ---

function runChild(): void {
    const report = (r: Report) => process.send?.(r);
    const answer = (granted: boolean) => (msg: Msg) => report({ type: 'decision', decision: {
        id: msg.tapRequest as number, granted, payload: msg.payload as Record<string, unknown> } });
    // The parent went away (it ended, or was killed): so does this runtime.
    process.on('disconnect', () => process.exit(0));
    process.on('message', (command: Command) => {
        void (async () => {
            if (command.type === 'load') {
                await load([require('../../nodes/redis-iot-server/redis-iot-server'), require('../../nodes/transit-gate/transit-gate')],
                    gateFlow(command.flow));
                await waitGatesGreen(command.flow.gates);
                helper.getNode('granted').on('input', answer(true));
                helper.getNode('denied').on('input', answer(false));
                report({ type: 'ready' });
            } else if (command.type === 'taps') {
                for (const t of command.taps) helper.getNode(`gate${t.gate}`).receive({ payload: t.card, tapRequest: t.id } as never);
            } else {
                await helper.unload();
                process.exit(0);
            }
        })().catch((err: Error) => report({ type: 'failed', error: err.stack ?? err.message }));
    });
}

if (require.main === module) runChild();
