// Runs one of the repo's own Node-RED lines (node-red-line.ts) with the demo user dir
// and waits until the editor and the dashboard answer over HTTP.
import { ChildProcess, spawn } from 'child_process';
import { AdminLogin, adminToken, revokeAdminToken } from './admin-token';
import { isRunning, stopChild } from './child';
import type { NodeRedLine } from './node-red-line';

/** Where this machine reaches a Node-RED that listens on host: a wildcard address is reached on loopback. */
export function localBaseUrl(host: string, port: number): string {
    const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** A dashboard route behind httpNodeAuth (base is localBaseUrl's answer). */
export function dashboardCheckUrl(base: string): string {
    return `${base}/dashboard/_setup`;
}

export interface NodeRedOptions {
    repoRoot: string;
    line: NodeRedLine;
    userDir: string;
    port: number;
    host: string;
    env?: NodeJS.ProcessEnv;
    /** Receives Node-RED's console output; without it the output goes to this terminal. */
    onOutput?: (text: string) => void;
    startTimeoutMs?: number;
    /** Aborting stops the wait (and Node-RED), e.g. on Ctrl-C during start-up. */
    signal?: AbortSignal;
    /** With adminAuth on: a read-only login for the start-up check of the deployed flows. */
    startupLogin?: AdminLogin;
}

export class NodeRedProcess {
    readonly exited: Promise<number | null>;

    private constructor(private readonly child: ChildProcess, readonly baseUrl: string) {
        this.exited = new Promise((resolve) => {
            if (!isRunning(child)) resolve(child.exitCode);
            else child.once('exit', (code) => resolve(code));
        });
    }

    get running(): boolean {
        return isRunning(this.child);
    }

    get pid(): number | undefined {
        return this.child.pid;
    }

    get editorUrl(): string {
        return `${this.baseUrl}/`;
    }

    get dashboardUrl(): string {
        return `${this.baseUrl}/dashboard`;
    }

    /**
     * The engine.io handshake of the dashboard's socket.io server. It answers 200 without
     * a login (the login is checked when the client joins, see dashboard-login.ts), and the
     * dashboard makes the server in the same step as its page routes: so it tells when the
     * dashboard is up whether or not httpNodeAuth hides its pages behind a 401.
     */
    get dashboardSocketUrl(): string {
        return `${this.dashboardUrl}/socket.io/?EIO=4&transport=polling`;
    }

    static async start(options: NodeRedOptions): Promise<NodeRedProcess> {
        const args = [options.line.redJs, '--userDir', options.userDir, '--port', String(options.port)];
        // Its own process group: on Ctrl-C the launcher stops Node-RED before Redis, so the
        // flows close while their Redis is still there.
        const child = spawn(process.execPath, args, {
            cwd: options.repoRoot,
            env: { ...process.env, ...options.env },
            stdio: options.onOutput ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
            detached: true,
        });
        if (options.onOutput) {
            const forward = options.onOutput;
            child.stdout?.setEncoding('utf8').on('data', forward);
            child.stderr?.setEncoding('utf8').on('data', forward);
        }
        const nodeRed = new NodeRedProcess(child, localBaseUrl(options.host, options.port));
        try {
            const timeout = options.startTimeoutMs ?? 90000;
            const alive = () => {
                if (options.signal?.aborted) throw new Error('start-up cancelled');
                return nodeRed.running;
            };
            await waitForHttp(nodeRed.editorUrl, timeout, alive);
            // Flows with a type no installed node provides never start (nor does the
            // dashboard): say which types instead of waiting for /dashboard in vain.
            const missing = await missingTypesAs(nodeRed.baseUrl, options.startupLogin);
            if (missing.length > 0) throw new Error(`Node-RED has no node for these types in the flows: ${missing.join(', ')} (see its log)`);
            await waitForHttp(nodeRed.dashboardSocketUrl, timeout, alive);
        } catch (err) {
            await nodeRed.stop();
            throw err;
        }
        return nodeRed;
    }

    /** SIGINT is Node-RED's own clean stop: it closes every flow, then exits. */
    stop(): Promise<void> {
        return stopChild(this.child, 'SIGINT', 20000);
    }
}

/** Polls url until it answers 200; fails early when alive() turns false. */
export async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
        if (!alive()) throw new Error(`the process serving ${url} exited before it answered`);
        try {
            const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
            await response.arrayBuffer();
            if (response.status === 200) return;
            last = `HTTP ${response.status}`;
        } catch (err) {
            last = (err as Error).message;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`${url} did not answer within ${Math.round(timeoutMs / 1000)} s (${last})`);
}

/** missingTypes, logged in with a token that is revoked straight after when login is given. */
async function missingTypesAs(baseUrl: string, login: AdminLogin | undefined): Promise<string[]> {
    if (!login) return missingTypes(baseUrl);
    const token = await adminToken(baseUrl, login, 'read');
    try {
        return await missingTypes(baseUrl, { Authorization: `Bearer ${token}` });
    } finally {
        await revokeAdminToken(baseUrl, token);
    }
}

/** Types used in the deployed flows that no enabled, loaded node set provides. */
export async function missingTypes(baseUrl: string, auth: Record<string, string> = {}): Promise<string[]> {
    const headers = { Accept: 'application/json', 'Node-RED-API-Version': 'v2', ...auth };
    const flows = (await (await fetch(`${baseUrl}/flows`, { headers })).json()) as { flows: Array<{ type: string }> };
    const sets = (await (await fetch(`${baseUrl}/nodes`, { headers })).json()) as Array<{ types: string[]; enabled: boolean; err?: string }>;
    const available = new Set(['tab', 'group', 'junction', ...sets.filter((set) => set.enabled && !set.err).flatMap((set) => set.types)]);
    return [...new Set(flows.flows.map((node) => node.type))]
        .filter((type) => !available.has(type) && !type.startsWith('subflow:'));
}
