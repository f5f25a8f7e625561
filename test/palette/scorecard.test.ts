// The Flow Library scorecard (`node-red-dev validate`, node-red/node-red-dev src/libs/check*.js)
// on the packed tarball. The tool itself cannot run here: it stops at its first look-up of
// https://catalogue.nodered.org/catalogue.json, which this network does not reach, and that
// catalogue is what its P08 (similar names) and N01 (unique type names) need. So this test
// checks every other rule as the tool does, on the files the package publishes:
// P01 licence, P03 repository or bugs, P04 scoped name, P05 keyword, P06 node-red.version
// admits a current Node-RED, P07 engines.node admits the oldest Node.js the latest Node-RED
// runs on, N02 an example for every non-config node (parsed with acorn from the <script> of
// the .html beside each .js, as the tool parses it), D01 at most 6 dependencies, D02 no known
// bad package in the tree, D03 no dependency whose latest release is outside its range.
import assert from 'assert';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import semver from 'semver';
import { nodeRedLine } from '../../scripts/demo/node-red-line';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { npm, packPackage, tempDir } from './palette-node-red';

interface Manifest {
    name: string;
    license?: string;
    repository?: unknown;
    bugs?: unknown;
    keywords?: string[];
    engines?: { node?: string };
    dependencies?: Record<string, string>;
    'node-red': { version?: string; nodes: Record<string, string> };
}

/** The node types an editor file registers, and their category when it is a literal (as checknodes.js reads them). */
function registeredTypes(html: string): Map<string, string | undefined> {
    const types = new Map<string, string | undefined>();
    for (const [, script] of html.matchAll(/<script.+?type=['"]text\/javascript['"].*?>([\S\s]*?)<\/script>/gi)) {
        walk.simple(acorn.parse(script, { ecmaVersion: 'latest' }), {
            CallExpression(node) {
                const callee = node.callee as acorn.MemberExpression;
                if (callee.property?.type !== 'Identifier' || callee.property.name !== 'registerType') return;
                const [type, definition] = node.arguments;
                assert.strictEqual(type.type, 'Literal', 'registerType names its type with a literal');
                assert.strictEqual(definition.type, 'ObjectExpression', 'registerType gets an object literal');
                const category = (definition as acorn.ObjectExpression).properties
                    .find((p): p is acorn.Property => p.type === 'Property' && p.key.type === 'Identifier' && p.key.name === 'category');
                types.set(String((type as acorn.Literal).value), category?.value.type === 'Literal' ? String(category.value.value) : undefined);
            },
        });
    }
    return types;
}

function jsonFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const file = path.join(dir, e.name);
        return e.isDirectory() ? jsonFiles(file) : e.name.endsWith('.json') ? [file] : [];
    });
}

describe('the Flow Library scorecard on the packed package', function () {
    this.timeout(120_000);
    let work: string;
    let pkgDir: string;
    let manifest: Manifest;

    before(async () => {
        work = tempDir('scorecard');
        const tarball = await packPackage(REPO_ROOT, work);
        execFileSync('tar', ['xzf', tarball, '-C', work]);
        pkgDir = path.join(work, 'package');
        manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as Manifest;
    });
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    it('P01, P03, P04, P05: a licence, a repository and bugs link, a scoped name, the node-red keyword', function () {
        assert.ok(manifest.license && fs.existsSync(path.join(pkgDir, 'LICENSE')), 'P01');
        assert.ok(manifest.repository || manifest.bugs, 'P03');
        assert.match(manifest.name, /^@[^/]+\/[^/]+$/, 'P04');
        assert.ok(manifest.keywords?.includes('node-red'), 'P05');
    });

    it('P06, P07: node-red.version admits both Node-RED lines, engines.node the oldest Node.js Node-RED 5 runs on', function () {
        const latest = nodeRedLine('5');
        const maintenance = nodeRedLine('4');
        for (const line of [latest, maintenance]) {
            assert.ok(semver.satisfies(line.version, manifest['node-red'].version ?? ''), `P06: Node-RED ${line.version} within ${manifest['node-red'].version}`);
        }
        const nodeForLatest = (JSON.parse(fs.readFileSync(path.join(latest.packageDir, 'package.json'), 'utf8')) as Manifest).engines?.node ?? '';
        const oldest = semver.minVersion(nodeForLatest);
        assert.ok(oldest && semver.satisfies(oldest, manifest.engines?.node ?? ''), `P07: Node.js ${oldest} (what Node-RED ${latest.version} needs) within ${manifest.engines?.node}`);
    });

    it('N02: every node that is not a config node has an example, and every example is a JSON array of nodes', function () {
        const examples = jsonFiles(path.join(pkgDir, 'examples'));
        const used = new Set<string>();
        for (const file of examples) {
            const flow: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
            assert.ok(Array.isArray(flow), `${path.relative(pkgDir, file)} is an array`);
            for (const node of flow as Array<{ type: string }>) used.add(node.type);
        }
        const missing: string[] = [];
        let nodes = 0;
        for (const file of Object.values(manifest['node-red'].nodes)) {
            for (const [type, category] of registeredTypes(fs.readFileSync(path.join(pkgDir, file.replace(/\.js$/, '.html')), 'utf8'))) {
                nodes += 1;
                if (category !== 'config' && !used.has(type)) missing.push(type);
            }
        }
        assert.strictEqual(nodes, Object.keys(manifest['node-red'].nodes).length, 'one registered type per node file');
        assert.deepStrictEqual(missing, []);
    });

    it('D01, D02: at most 6 dependencies, and no known bad package in the installed tree', async function () {
        assert.ok(Object.keys(manifest.dependencies ?? {}).length <= 6, `D01: ${Object.keys(manifest.dependencies ?? {}).join(', ')}`);
        // The tool's list of bad packages (fetched from its author's server) holds agent-base < 6.
        // The tree is the one a user installs: the packed package's own dependencies.
        fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'scorecard-tree', private: true, dependencies: manifest.dependencies }));
        await npm(work, ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--package-lock-only']);
        const lock = JSON.parse(fs.readFileSync(path.join(work, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
        const bad = Object.entries(lock.packages)
            .filter(([where, { version }]) => /(^|\/)node_modules\/agent-base$/.test(where) && version && semver.lt(version, '6.0.0'));
        assert.deepStrictEqual(bad, [], 'D02');
        assert.ok(Object.keys(lock.packages).length > Object.keys(manifest.dependencies ?? {}).length, 'the tree was resolved');
    });

    it('D03: the latest release of every dependency is within its declared range (asks the npm registry)', async function () {
        const outside: string[] = [];
        for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
            const latest = (await npm(REPO_ROOT, ['view', name, 'version'])).trim();
            if (!semver.satisfies(latest, range)) outside.push(`${name} ${latest} outside ${range}`);
        }
        assert.deepStrictEqual(outside, []);
    });
});
