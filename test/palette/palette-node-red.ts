// A Pi owner's Node-RED, as the palette test needs it: Node-RED of the line under test
// installed from the npm registry into a folder of its own (as `npm install -g node-red`
// does, so that nothing of this repository's node_modules is in its reach), run on an empty
// user dir, and driven through its admin HTTP API the way the editor drives it: the palette
// manager's module upload and install, the examples library, deploys, and node statuses
// from the editor's comms socket (NodeStatuses).
import { ChildProcess, execFile, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { isRunning, stopChild } from '../../scripts/demo/child';
import { waitForHttp } from '../../scripts/demo/node-red';
import type { NodeRedLine } from '../../scripts/demo/node-red-line';
import { NodeStatuses } from '../support/node-red-comms';
import { freePort } from '../support/redis-process';
import { ADMIN_HEADERS, deployFull } from '../support/admin-api';

const run = promisify(execFile);

/** The environment of a process run by the Node.js under test, npm included (Node-RED's installer runs `npm`). */
function lineEnv(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
}

/** Runs npm (with the Node.js under test) in `cwd`; rejects with its output when it fails. */
export async function npm(cwd: string, args: string[], timeoutMs = 300_000): Promise<string> {
    try {
        const { stdout } = await run('npm', args, { cwd, env: lineEnv(), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
        return stdout;
    } catch (err) {
        const e = err as Error & { stdout?: string; stderr?: string };
        throw new Error(`npm ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, { cause: err });
    }
}

/** Packs this repository as `npm publish` would (dist/ is built by the test run). */
export async function packPackage(repoRoot: string, into: string): Promise<string> {
    const out = await npm(repoRoot, ['pack', '--ignore-scripts', '--json', '--pack-destination', into]);
    const [{ filename }] = JSON.parse(out) as Array<{ filename: string }>;
    return path.join(into, filename);
}

/** Installs Node-RED of `line`'s version on its own, as a global install would; returns its red.js. */
export async function installNodeRed(line: NodeRedLine, prefix: string): Promise<string> {
    fs.mkdirSync(prefix, { recursive: true });
    await npm(prefix, ['install', '--no-audit', '--no-fund', '--omit=dev', '--no-save', `node-red@${line.version}`]);
    return path.join(prefix, 'node_modules', 'node-red', 'red.js');
}

export interface NodeSet {
    id: string;
    module: string;
    version: string;
    types: string[];
    enabled: boolean;
    err?: string;
}

export class PaletteNodeRed {
    private output = '';
    /** Every node's status, as the editor shows it. */
    statuses!: NodeStatuses;

    private child!: ChildProcess;

    private constructor(private readonly redJs: string, readonly userDir: string, readonly baseUrl: string) {}

    private async run(): Promise<void> {
        const child = spawn(process.execPath, [this.redJs, '--userDir', this.userDir], { cwd: this.userDir, env: lineEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
        this.child = child;
        const keep = (text: string) => {
            this.output = (this.output + text).slice(-60000);
        };
        child.stdout?.setEncoding('utf8').on('data', keep);
        child.stderr?.setEncoding('utf8').on('data', keep);
        try {
            await waitForHttp(`${this.baseUrl}/`, 120_000, () => isRunning(child));
            this.statuses = await NodeStatuses.connect(this.baseUrl);
        } catch (err) {
            await this.stop();
            throw new Error(`${(err as Error).message}\n${this.log}`, { cause: err });
        }
    }

    /** Node-RED's console output so far (the end of it). */
    get log(): string {
        return this.output;
    }

    /** Starts red.js on a new, empty user dir with a settings file like the one Node-RED writes. */
    static async start(redJs: string, userDir: string): Promise<PaletteNodeRed> {
        fs.mkdirSync(userDir, { recursive: true });
        const port = await freePort();
        fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = {
    uiPort: ${port},
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: 'palette-test',
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
};
`);
        const nodeRed = new PaletteNodeRed(redJs, userDir, `http://127.0.0.1:${port}`);
        await nodeRed.run();
        return nodeRed;
    }

    /** What the owner does after installing: `sudo systemctl restart nodered`. */
    async restart(): Promise<void> {
        await this.stop();
        await this.run();
    }

    private async api(method: string, urlPath: string, body?: unknown): Promise<unknown> {
        const init: RequestInit = { method, headers: { ...ADMIN_HEADERS } };
        if (body instanceof FormData) init.body = body;
        else if (body !== undefined) {
            init.body = JSON.stringify(body);
            (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
        }
        const response = await fetch(`${this.baseUrl}${urlPath}`, init);
        const text = await response.text();
        if (response.status >= 300) throw new Error(`${method} ${urlPath} answered ${response.status}: ${text}\n${this.log.slice(-4000)}`);
        return text ? JSON.parse(text) : undefined;
    }

    /** The palette manager's "Upload module tgz file". */
    uploadModule(tarball: string): Promise<unknown> {
        const form = new FormData();
        form.append('tarball', new Blob([fs.readFileSync(tarball)]), path.basename(tarball));
        return this.api('POST', '/nodes', form);
    }

    /** The palette manager's Install button: a module from the registry, at a version. */
    installModule(module: string, version: string): Promise<unknown> {
        return this.api('POST', '/nodes', { module, version });
    }

    async nodeSets(): Promise<NodeSet[]> {
        return await this.api('GET', '/nodes') as NodeSet[];
    }

    /** GET /library/examples/flows/<path>: a folder listing, or an example's nodes. */
    examples(urlPath: string): Promise<unknown> {
        return this.api('GET', `/library/examples/flows/${urlPath}`);
    }

    /** A full deploy, as the editor's Deploy button sends it. */
    async deploy(flows: unknown[]): Promise<void> {
        await deployFull(this.baseUrl, flows);
    }

    async stop(): Promise<void> {
        await this.statuses?.close();
        await stopChild(this.child, 'SIGINT', 20000);
    }
}

export function tempDir(name: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `redis-iot-${name}-`));
}
