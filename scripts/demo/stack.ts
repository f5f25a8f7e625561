// The whole demo in one call, shared by `npm start` (main.ts) and the flow tests:
// the login (beyond loopback), a Redis (private, or the one REDIS_URL names), the user
// dir, then Node-RED.
import { randomBytes } from 'crypto';
import fs from 'fs';
import path from 'path';
import type { AdminLogin } from './admin-token';
import { bcryptHash } from './bcrypt';
import { FlowNode, mergeFlows, readFlowFile, systemFlowFiles } from './flows';
import { AuthSetting, decideLogin, LoginState } from './login';
import { NodeRedProcess } from './node-red';
import { LineName, newestLineFor, nodeRedLine, NodeRedLine } from './node-red-line';
import { firstFreePort, isPortFree } from './ports';
import { RedisServer } from './redis-server';
import { parseRedisUrl, RedisTarget } from './redis-url';
import { prepareUserDir, PreparedUserDir, SettingsLogin } from './user-dir';

export interface DemoOptions {
    repoRoot: string;
    /** Holds redis/ (private Redis data) and node-red/ (the user dir); `.demo` for npm start. */
    stateDir: string;
    /** Use this Redis instead of starting a private one. */
    redisUrl?: string;
    /** Node-RED's port; the first free one from 1880 when unset. */
    port?: number;
    /** Address Node-RED listens on (127.0.0.1 by default); beyond loopback it asks for a login. */
    host?: string;
    /** The Node-RED line to run; the newest this Node.js can run when unset. */
    line?: LineName;
    /** AUTH: 'auto' (the default) asks for a login beyond loopback only; 'on' and 'off' force it. */
    auth?: AuthSetting;
    redisBinary?: string;
    onNodeRedOutput?: (text: string) => void;
    /** Aborting during start-up stops whatever has started and rejects. */
    signal?: AbortSignal;
    /**
     * Changes the merged shipped flows before they are deployed (e.g. the soak's driver
     * nodes); `npm start` leaves it unset and deploys the systems as they are.
     */
    adjustFlows?: (flows: FlowNode[]) => FlowNode[];
}

export interface DemoStack {
    nodeRed: NodeRedProcess;
    line: NodeRedLine;
    /** Only when the demo started its own Redis; stop() stops whichever server this holds. */
    redisServer?: RedisServer;
    redis: RedisTarget;
    flows: FlowNode[];
    userDir: PreparedUserDir & { dir: string };
    conflicts: string[];
    /** Whether Node-RED asks for a login, and the new password on the run that generated it. */
    login: LoginState;
    stop(): Promise<void>;
}

export const DEFAULT_NODE_RED_PORT = 1880;
export const FIRST_REDIS_PORT = 6380;
/** The user name of the launcher's own read-only admin login (see SettingsLogin). */
export const LAUNCHER_USER = 'demo-launcher';

/** The demo's tabs start with the transit parts in the order a rider meets them; the other systems follow by name. */
const TAB_ORDER = ['Transit ticketing 1 - sales terminal.json', 'Transit ticketing 2 - entry gate.json', 'Transit ticketing 3 - monitor.json',
    'Transit ticketing 4 - operations.json'];

export function loadShippedFlows(repoRoot: string): { flows: FlowNode[]; conflicts: string[] } {
    const rank = (file: string) => {
        const index = TAB_ORDER.indexOf(path.basename(file));
        return index === -1 ? TAB_ORDER.length : index;
    };
    const files = systemFlowFiles(repoRoot).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    return mergeFlows(files.map(readFlowFile));
}

export async function startDemoStack(options: DemoOptions): Promise<DemoStack> {
    const host = options.host ?? '127.0.0.1';
    const shipped = loadShippedFlows(options.repoRoot);
    const flows = options.adjustFlows ? options.adjustFlows(shipped.flows) : shipped.flows;
    const { conflicts } = shipped;
    const port = await choosePort(options.port, host);
    const line = nodeRedLine(options.line ?? newestLineFor().line, options.repoRoot);
    // Before anything starts, so a broken login.json stops the demo at once.
    const login = decideLogin(options.stateDir, host, options.auth ?? 'auto');
    const launcher = login.kind === 'required' ? launcherLogin(login.login.user) : undefined;

    let redisServer: RedisServer | undefined;
    try {
        let redis: RedisTarget;
        if (options.redisUrl) {
            redis = parseRedisUrl(options.redisUrl);
        } else {
            redisServer = await RedisServer.start({
                dir: path.join(options.stateDir, 'redis'),
                port: await firstFreePort(FIRST_REDIS_PORT, '127.0.0.1'),
                binary: options.redisBinary,
            });
            redis = { host: '127.0.0.1', port: redisServer.port, db: 0, tls: false };
        }
        const dir = path.join(options.stateDir, 'node-red');
        if (options.signal?.aborted) throw new Error('start-up cancelled');
        const settingsLogin: SettingsLogin | undefined = login.kind === 'required' && launcher
            ? { user: login.login, launcher: launcher.stored } : undefined;
        const prepared = prepareUserDir({ userDir: dir, repoRoot: options.repoRoot, port, host, shippedFlows: flows, redis, login: settingsLogin });
        const nodeRed = await NodeRedProcess.start({
            repoRoot: options.repoRoot, line, userDir: dir, port, host, onOutput: options.onNodeRedOutput, signal: options.signal,
            startupLogin: launcher?.login,
        });
        const stack: DemoStack = {
            nodeRed, line, redisServer, redis, flows, conflicts, login,
            userDir: { ...prepared, dir },
            async stop() {
                // Node-RED first, so its flows close while their Redis is still there.
                await stack.nodeRed.stop();
                await stack.redisServer?.stop();
            },
        };
        return stack;
    } catch (err) {
        await redisServer?.stop();
        // A password nobody saw is not kept: a start that fails forgets the one it generated.
        if (login.kind === 'required' && login.newPassword !== undefined) fs.rmSync(login.file, { force: true });
        throw err;
    }
}

/** A fresh random password for the launcher's read-only login, and its hash for settings.js. */
function launcherLogin(personUser: string): { login: AdminLogin; stored: { user: string; hash: string } } {
    if (personUser === LAUNCHER_USER) throw new Error(`the user name ${LAUNCHER_USER} is the demo launcher's own: choose another in login.json`);
    const password = randomBytes(32).toString('base64url');
    return { login: { username: LAUNCHER_USER, password }, stored: { user: LAUNCHER_USER, hash: bcryptHash(password) } };
}

async function choosePort(requested: number | undefined, host: string): Promise<number> {
    if (requested === undefined) return firstFreePort(DEFAULT_NODE_RED_PORT, host);
    if (!(await isPortFree(requested, host))) throw new Error(`port ${requested} on ${host} is already in use (set PORT to another one)`);
    return requested;
}
