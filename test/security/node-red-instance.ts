// A real Node-RED (the repo's node_modules/node-red) in a child process with its own
// user dir, this package linked in, and its admin HTTP API: what the editor talks to
// when it deploys and exports flows. The test helper has no admin API (no /flows).
import { randomBytes } from 'crypto';
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { isRunning, stopChild } from '../../scripts/demo/child';
import { waitForHttp } from '../../scripts/demo/node-red';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { testLine } from '../../scripts/demo/node-red-line';
import { PACKAGE_NAME, settingsFile } from '../../scripts/demo/user-dir';
import { freePort } from '../support/redis-process';
import { ADMIN_HEADERS, deployFull } from '../support/admin-api';


export class NodeRedInstance {
    private output = '';
    /** All the output there has been, of which `output` keeps the end. */
    private outputLength = 0;

    private constructor(private readonly child: ChildProcess, readonly userDir: string, readonly baseUrl: string, readonly credentialSecret: string) {
        const keep = (text: string) => {
            this.output = (this.output + text).slice(-20000);
            this.outputLength += text.length;
        };
        child.stdout?.setEncoding('utf8').on('data', keep);
        child.stderr?.setEncoding('utf8').on('data', keep);
    }

    /** Node-RED's console output so far (the end of it), for failure messages. */
    get log(): string {
        return this.output;
    }

    /** A place in the output, for logSince. */
    get logMark(): number {
        return this.outputLength;
    }

    /** The output after a mark from logMark; throws when its start is no longer kept. */
    logSince(mark: number): string {
        const dropped = this.outputLength - this.output.length;
        if (mark < dropped) throw new Error(`the output since the mark is longer than the ${this.output.length} characters kept`);
        return this.output.slice(mark - dropped);
    }

    static async start(): Promise<NodeRedInstance> {
        const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-node-red-'));
        const port = await freePort();
        const secret = randomBytes(24).toString('hex');
        fs.writeFileSync(path.join(userDir, 'settings.js'), settingsFile(port, '127.0.0.1', secret));
        fs.writeFileSync(path.join(userDir, 'flows.json'), '[]\n');
        const scope = path.join(userDir, 'node_modules', path.dirname(PACKAGE_NAME));
        fs.mkdirSync(scope, { recursive: true });
        fs.symlinkSync(REPO_ROOT, path.join(userDir, 'node_modules', PACKAGE_NAME), 'dir');
        const child = spawn(process.execPath, [testLine().redJs, '--userDir', userDir, '--port', String(port)],
            { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        const instance = new NodeRedInstance(child, userDir, `http://127.0.0.1:${port}`, secret);
        try {
            await waitForHttp(`${instance.baseUrl}/`, 90000, () => isRunning(child));
        } catch (err) {
            await instance.stop();
            throw new Error(`${(err as Error).message}\n${instance.log}`, { cause: err });
        }
        return instance;
    }

    /** A full deploy, as the editor's Deploy button sends it (credentials inside the nodes). */
    async deploy(flows: unknown[]): Promise<void> {
        await deployFull(this.baseUrl, flows);
    }

    /** An admin API GET: the status and the body as text. */
    async get(urlPath: string): Promise<{ status: number; text: string }> {
        const response = await fetch(`${this.baseUrl}${urlPath}`, { headers: ADMIN_HEADERS });
        return { status: response.status, text: await response.text() };
    }

    readUserFile(name: string): string {
        return fs.readFileSync(path.join(this.userDir, name), 'utf8');
    }

    async stop(): Promise<void> {
        await stopChild(this.child, 'SIGINT', 20000);
    }

    async destroy(): Promise<void> {
        await this.stop();
        fs.rmSync(this.userDir, { recursive: true, force: true });
    }
}
