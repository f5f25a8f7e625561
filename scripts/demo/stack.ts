// The whole demo in one call, shared by `npm start` (main.ts) and the flow tests:
// a Redis (private, or the one REDIS_URL names), the user dir, then Node-RED.
import path from 'path';
import { FlowNode, mergeFlows, readFlowFile, systemFlowFiles } from './flows';
import { NodeRedProcess } from './node-red';
import { LineName, newestLineFor, nodeRedLine, NodeRedLine } from './node-red-line';
import { firstFreePort, isPortFree } from './ports';
import { RedisServer } from './redis-server';
import { parseRedisUrl, RedisTarget } from './redis-url';
import { prepareUserDir, PreparedUserDir } from './user-dir';

export interface DemoOptions {
    repoRoot: string;
    /** Holds redis/ (private Redis data) and node-red/ (the user dir); `.demo` for npm start. */
    stateDir: string;
    /** Use this Redis instead of starting a private one. */
    redisUrl?: string;
    /** Node-RED's port; the first free one from 1880 when unset. */
    port?: number;
    /** Address Node-RED listens on; 127.0.0.1 keeps the (unauthenticated) editor local. */
    host?: string;
    /** The Node-RED line to run; the newest this Node.js can run when unset. */
    line?: LineName;
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
    stop(): Promise<void>;
}

export const DEFAULT_NODE_RED_PORT = 1880;
export const FIRST_REDIS_PORT = 6380;

/** The demo's tabs start with the transit parts in the order a rider meets them; the other systems follow by name. */
const TAB_ORDER = ['Transit ticketing 1 - sales terminal.json', 'Transit ticketing 2 - entry gate.json', 'Transit ticketing 3 - monitor.json'];

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

    let redisServer: RedisServer | undefined;
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

    try {
        const dir = path.join(options.stateDir, 'node-red');
        if (options.signal?.aborted) throw new Error('start-up cancelled');
        const prepared = prepareUserDir({ userDir: dir, repoRoot: options.repoRoot, port, host, shippedFlows: flows, redis });
        const nodeRed = await NodeRedProcess.start({
            repoRoot: options.repoRoot, line, userDir: dir, port, host, onOutput: options.onNodeRedOutput, signal: options.signal,
        });
        const stack: DemoStack = {
            nodeRed, line, redisServer, redis, flows, conflicts,
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
        throw err;
    }
}

async function choosePort(requested: number | undefined, host: string): Promise<number> {
    if (requested === undefined) return firstFreePort(DEFAULT_NODE_RED_PORT, host);
    if (!(await isPortFree(requested, host))) throw new Error(`port ${requested} on ${host} is already in use (set PORT to another one)`);
    return requested;
}
