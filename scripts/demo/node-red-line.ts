// The two Node-RED lines this package supports, both installed in the repository's
// node_modules: 5 (`node-red-5`, an npm alias; Node.js 22.9 or later) is the current line,
// and 4.1 (`node-red`) serves 32-bit Raspberry Pis, which have no Node.js 24. The demo runs
// the newest line the installed Node.js can run; the tests run on the line they are given.
import fs from 'fs';
import path from 'path';
import { REPO_ROOT } from './paths';

export type LineName = '4' | '5';

export interface NodeRedLine {
    name: LineName;
    /** The installed node-red package. */
    packageDir: string;
    /** Its command line entry point. */
    redJs: string;
    /** Its runtime module, for node-red-node-test-helper. */
    runtime: string;
    version: string;
    /** The oldest Node.js it runs on. */
    minimumNode: string;
}

const PACKAGES: Record<LineName, string> = { 4: 'node-red', 5: 'node-red-5' };
const MINIMUM_NODE: Record<LineName, string> = { 4: '18.5.0', 5: '22.9.0' };

export function nodeRedLine(name: LineName, repoRoot: string = REPO_ROOT): NodeRedLine {
    const packageDir = path.join(repoRoot, 'node_modules', PACKAGES[name]);
    const manifest = path.join(packageDir, 'package.json');
    if (!fs.existsSync(manifest)) throw new Error(`Node-RED ${name} is not installed (${packageDir}): run npm ci`);
    const { version, main } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string; main: string };
    return {
        name, packageDir, version, minimumNode: MINIMUM_NODE[name],
        redJs: path.join(packageDir, 'red.js'),
        runtime: path.join(packageDir, main),
    };
}

/** Whether this Node.js version (default: the running one) is at least `minimum`. */
export function nodeAtLeast(minimum: string, version: string = process.versions.node): boolean {
    const [a, b, c] = version.split('.').map(Number);
    const [x, y, z] = minimum.split('.').map(Number);
    return a !== x ? a > x : b !== y ? b > y : c >= z;
}

/** The newest line this Node.js can run, and why, in one sentence for the demo's output. */
export function newestLineFor(version: string = process.versions.node): { line: LineName; why: string } {
    return nodeAtLeast(MINIMUM_NODE[5], version)
        ? { line: '5', why: `the current line, which Node.js ${version} runs` }
        : { line: '4', why: `Node.js ${version} is older than ${MINIMUM_NODE[5]}, which Node-RED 5 needs` };
}

/** The line the tests run on: TEST_NODE_RED_LINE (4 or 5), else the newest this Node.js runs. */
export function testLine(): NodeRedLine {
    const asked = process.env.TEST_NODE_RED_LINE;
    if (asked !== undefined && asked !== '4' && asked !== '5') throw new Error(`TEST_NODE_RED_LINE must be 4 or 5, not ${JSON.stringify(asked)}`);
    return nodeRedLine(asked ?? newestLineFor().line);
}

/** A core node's module (e.g. 'common/25-catch.js') from the given line's @node-red/nodes. */
export function coreNodeModule(line: NodeRedLine, file: string): unknown {
    const nodesDir = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [line.packageDir] }));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(nodesDir, 'core', file));
}
