// A Node-RED runtime with N transit gates in a child process of its own, as a separate
// Node-RED installation at another entrance would be: its own config node and Redis
// connection. The parent drives it over IPC (process.send): load a flow, tap cards at
// given gates, stop. Run as `node dist/test/support/gate-runtime.js` through GateRuntime.
import { ChildProcess, fork } from 'child_process';
import { isRunning, waitForExit } from '../../scripts/demo/child';
import { FlowNode, helper, load, Msg, waitGreen } from './flow';
import { gateNodeIds, transitFlow } from './transit-flow';

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

    private constructor(private readonly child: ChildProcess, readonly name: string) {
        child.on('message', (report: Report) => {
            if (report.type === 'ready') this.ready?.();
            else if (report.type === 'failed') this.fail(new Error(`runtime ${name} failed: ${report.error}`));
            else {
                this.waiting.get(report.decision.id)?.resolve(report.decision);
                this.waiting.delete(report.decision.id);
            }
        });
        child.on('exit', (code, signal) => this.fail(new Error(`runtime ${name} exited (${code ?? signal})`)));
    }

    /** Forks a runtime and resolves once every gate in its flow is connected. */
    static async start(flow: RuntimeFlow, timeoutMs = 30000): Promise<GateRuntime> {
        const runtime = new GateRuntime(fork(__filename, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }), flow.name);
        try {
            await new Promise<void>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error(`runtime ${flow.name} not ready after ${timeoutMs} ms`)), timeoutMs);
                runtime.ready = () => { clearTimeout(timer); resolve(); };
                runtime.failure = (err) => { clearTimeout(timer); reject(err); };
                runtime.send({ type: 'load', flow });
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
        this.child.send(command);
    }
}

// --- the flow, also loaded in-process by tests that need no separate runtime ---

/**
 * `f.gates` transit gates (`gate<i>`, gate ids `<name>-gate-<i>`) on one config node, every
 * grant wired to the helper node `granted` and every denial to `denied`.
 */
export function gateFlow(f: RuntimeFlow): FlowNode[] {
    return transitFlow(f.port, { gates: f.gates, gateIds: `${f.name}-gate`, keyPrefix: f.keyPrefix, stream: f.stream });
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
                await waitGreen(gateNodeIds(command.flow.gates), 20000, 'every gate connected');
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
