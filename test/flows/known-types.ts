// Which node types a flow may use: those this package, Node-RED's core nodes, the
// dashboard and pi-gpio register (read from their editor .html files), plus the
// editor's own structural types.
import fs from 'fs';
import path from 'path';
import { REPO_ROOT } from '../../scripts/demo/paths';

const REGISTER = /RED\.nodes\.registerType\(\s*['"]([^'"]+)['"]/g;
const STRUCTURAL = ['tab', 'group', 'junction', 'subflow'];

function htmlFilesUnder(dir: string): string[] {
    const found: string[] = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory() && entry.name !== 'locales' && entry.name !== 'node_modules') found.push(...htmlFilesUnder(full));
        else if (entry.isFile() && entry.name.endsWith('.html')) found.push(full);
    }
    return found;
}

function typesIn(files: string[]): string[] {
    return files.flatMap((file) => [...fs.readFileSync(file, 'utf8').matchAll(REGISTER)].map((m) => m[1]));
}

/** The editor .html of every node set package.json declares, beside its source .ts. */
export function packageNodeHtmlFiles(): string[] {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
    return Object.values(pkg['node-red'].nodes).map((file) => path.join(REPO_ROOT, file.replace(/^dist\//, '').replace(/\.js$/, '.html')));
}

export interface KnownTypes {
    ours: Set<string>;
    all: Set<string>;
}

export function knownTypes(): KnownTypes {
    const modules = path.join(REPO_ROOT, 'node_modules');
    const ours = new Set(typesIn(packageNodeHtmlFiles().filter((file) => fs.existsSync(file))));
    const all = new Set([
        ...STRUCTURAL,
        ...ours,
        ...typesIn(htmlFilesUnder(path.join(modules, '@node-red', 'nodes', 'core'))),
        ...typesIn(htmlFilesUnder(path.join(modules, '@flowfuse', 'node-red-dashboard', 'nodes'))),
        ...typesIn(htmlFilesUnder(path.join(modules, 'node-red-node-pi-gpio'))),
    ]);
    return { ours, all };
}
