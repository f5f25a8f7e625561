// Resident memory of each side alone: fresh Node-RED processes per side (the same line
// and Node.js as the rest of the bench), with only that side's flows deployed and only
// that side's package loaded (a palette allowList keeps the other package, and the
// dashboard installed beside them, out). 25 s after its flows start each process is made
// to collect its garbage (see gc-on-signal.ts), then sampled from /proc 30 to 60 s after.
// All the processes run at the same time, against the same Redis.
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { stopChild } from '../../scripts/demo/child';
import { missingTypes, waitForHttp } from '../../scripts/demo/node-red';
import type { NodeRedLine } from '../../scripts/demo/node-red-line';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { PACKAGE_NAME } from '../../scripts/demo/user-dir';
import { freePort } from '../../test/support/redis-process';
import { sampleProcess } from '../soak/probe';
import { MB, median } from '../stats';
import { OURS, oursFlow, PEER_PACKAGE, THEIRS, theirsFlow } from './flows';
import type { Side } from './in-process';

/** Processes per side: the figure is the median of all their samples. */
const PROCESSES = 2;
/** V8's last-resort collection (see gc-on-signal.ts), this long after the flows started. */
const GC_AT_S = 25;
/** Samples from 30 s to 60 s after the flows started, every 5 s. */
const FIRST_SAMPLE_S = 30;
const LAST_SAMPLE_S = 60;
const SAMPLE_EVERY_S = 5;
const START_TIMEOUT_MS = 90000;

export interface SideRss {
    /** The median of the samples of every process (MB). */
    rssMb: number;
    /** Each process's samples. */
    samplesMb: number[][];
    /** Each process's resident memory just before its collection. */
    beforeGcMb: number[];
    /** Why the side's package did not load or its flows did not start; the samples are then empty. */
    error?: string;
    /** Node-RED's [error] and [warn] lines, the first few. */
    logged: string[];
}

function settingsFile(port: number, allowed: string): string {
    return `// Written by npm run bench (bench/peer/rss.ts) for one side's resident memory.
module.exports = {
    uiPort: ${port},
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: false,
    editorTheme: { tours: false },
    telemetry: { enabled: false, updateNotification: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    // Only this side's package: the repository's node_modules holds the other side's too.
    externalModules: { palette: { allowList: [${JSON.stringify(allowed)}] } },
};
`;
}

function prepareUserDir(side: Side, uiPort: number, redisPort: number): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `redis-iot-peer-${side}-`));
    const none = { counter: [], gate: [] };
    const flows = side === 'ours' ? oursFlow(redisPort, OURS, none) : theirsFlow(redisPort, THEIRS, none);
    fs.writeFileSync(path.join(dir, 'flows.json'), `${JSON.stringify(flows, null, 2)}\n`);
    fs.writeFileSync(path.join(dir, 'settings.js'), settingsFile(uiPort, side === 'ours' ? PACKAGE_NAME : PEER_PACKAGE));
    if (side === 'ours') {
        // As the demo does: this repository, linked as the package, under the user dir.
        const scope = path.join(dir, 'node_modules', path.dirname(PACKAGE_NAME));
        fs.mkdirSync(scope, { recursive: true });
        fs.symlinkSync(REPO_ROOT, path.join(scope, path.basename(PACKAGE_NAME)), 'dir');
    }
    return dir;
}

/** The side's package as Node-RED's /nodes lists it: its error, or that it is absent. */
async function packageError(baseUrl: string, pkg: string): Promise<string | undefined> {
    const headers = { Accept: 'application/json' };
    const sets = (await (await fetch(`${baseUrl}/nodes`, { headers })).json()) as Array<{ module: string; err?: string; enabled: boolean }>;
    const mine = sets.filter((set) => set.module === pkg);
    if (mine.length === 0) return `Node-RED did not load ${pkg}`;
    const failed = mine.find((set) => set.err || !set.enabled);
    if (failed) return `${pkg} did not load: ${failed.err ?? 'disabled'}`;
    const missing = await missingTypes(baseUrl);
    return missing.length ? `no node for ${missing.join(', ')}` : undefined;
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

interface ProcessRss {
    samplesMb: number[];
    beforeGcMb: number;
    error?: string;
    logged: string[];
}

/** Resident memory in MB, or undefined once the process has exited. */
function residentMb(child: ChildProcess): number | undefined {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return undefined;
    return sampleProcess(child.pid).rssBytes / MB;
}

async function measureProcess(side: Side, line: NodeRedLine, redisPort: number): Promise<ProcessRss> {
    const uiPort = await freePort();
    const dir = prepareUserDir(side, uiPort, redisPort);
    const preload = path.join(__dirname, 'gc-on-signal.js');
    const child = spawn(process.execPath, ['--expose-gc', '--require', preload, line.redJs, '--userDir', dir, '--port', String(uiPort)], {
        cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logged: string[] = [];
    let output = '';
    // Set by the output handler, so an object: a plain let would stay narrowed to undefined here.
    const flows: { startedAt?: number } = {};
    let partial = '';
    const take = (text: string) => {
        output = (output + text).slice(-20000);
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) {
            if ((l.includes('[error]') || l.includes('[warn]')) && logged.length < 10) logged.push(l.trim().slice(0, 300));
            if (l.includes('Started flows') && flows.startedAt === undefined) flows.startedAt = performance.now();
        }
    };
    child.stdout.setEncoding('utf8').on('data', take);
    child.stderr.setEncoding('utf8').on('data', take);
    const failed = (error: string, samplesMb: number[] = []) => ({ samplesMb, beforeGcMb: NaN, error, logged });
    try {
        const baseUrl = `http://127.0.0.1:${uiPort}`;
        await waitForHttp(`${baseUrl}/`, START_TIMEOUT_MS, () => child.exitCode === null);
        const deadline = performance.now() + START_TIMEOUT_MS;
        while (flows.startedAt === undefined && performance.now() < deadline && child.exitCode === null) await sleep(100);
        const startedAt = flows.startedAt;
        if (startedAt === undefined) return failed(`the flows did not start (exit code ${child.exitCode}): ${output.slice(-600)}`);
        const error = await packageError(baseUrl, side === 'ours' ? PACKAGE_NAME : PEER_PACKAGE);
        if (error) return failed(error);
        const at = (s: number) => sleep(Math.max(0, startedAt + s * 1000 - performance.now()));
        await at(GC_AT_S);
        const beforeGcMb = residentMb(child);
        if (beforeGcMb === undefined) return failed(`Node-RED exited (code ${child.exitCode}) within ${GC_AT_S} s of its flows starting`);
        child.kill('SIGWINCH');
        const samplesMb: number[] = [];
        for (let s = FIRST_SAMPLE_S; s <= LAST_SAMPLE_S; s += SAMPLE_EVERY_S) {
            await at(s);
            const mb = residentMb(child);
            if (mb === undefined) return failed(`Node-RED exited (code ${child.exitCode}) ${s} s after its flows started`, samplesMb);
            samplesMb.push(mb);
        }
        return { samplesMb, beforeGcMb, logged };
    } finally {
        await stopChild(child, 'SIGINT', 20000);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function measureSide(side: Side, line: NodeRedLine, redisPort: number): Promise<SideRss> {
    const runs = await Promise.all(Array.from({ length: PROCESSES }, () => measureProcess(side, line, redisPort)));
    const error = runs.find((run) => run.error)?.error;
    const samplesMb = runs.map((run) => run.samplesMb);
    return {
        rssMb: error ? NaN : median(samplesMb.flat()), samplesMb, beforeGcMb: runs.map((run) => run.beforeGcMb), error,
        logged: [...new Set(runs.flatMap((run) => run.logged))],
    };
}

/** Each side alone in fresh Node-RED processes, all at once. */
export async function residentMemory(line: NodeRedLine, redisPort: number): Promise<Record<Side, SideRss>> {
    const [ours, theirs] = await Promise.all([measureSide('ours', line, redisPort), measureSide('theirs', line, redisPort)]);
    return { ours, theirs };
}
