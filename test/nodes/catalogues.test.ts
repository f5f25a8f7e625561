// Every message key the nodes use exists in their en-US catalogue: RED._ is the identity
// in node tests, so a typo there would otherwise show the raw key to users.
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { SERVER_CATALOGUE } from '../../nodes/common/redis-user';

const NODES = path.join(__dirname, '..', '..', '..', 'nodes');

function nodeTypes(): string[] {
    return fs.readdirSync(NODES).filter((d) => fs.existsSync(path.join(NODES, d, `${d}.html`)));
}

function catalogue(type: string): Record<string, unknown> {
    const file = path.join(NODES, type, 'locales', 'en-US', `${type}.json`);
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function lookup(tree: unknown, key: string): unknown {
    return key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), tree);
}

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === 'locales' ? [] : sources(p);
        return /\.(ts|html)$/.test(e.name) ? [p] : [];
    });
}

describe('message catalogues', function () {
    const types = nodeTypes();
    const all: Record<string, unknown> = {};
    for (const t of types) Object.assign(all, catalogue(t));

    it('every node has a catalogue and help under locales/en-US', function () {
        assert.ok(types.length >= 6, `found ${types.join(', ')}`);
        for (const t of types) {
            assert.ok(lookup(all, t), `${t}.json has no top-level "${t}" key`);
            const help = fs.readFileSync(path.join(NODES, t, 'locales', 'en-US', `${t}.html`), 'utf8');
            assert.match(help, new RegExp(`data-help-name="${t}"`));
        }
    });

    it("names the config node's catalogue as Node-RED does, and every key read from it exists", function () {
        const manifest = JSON.parse(fs.readFileSync(path.join(NODES, '..', 'package.json'), 'utf8')) as { name: string };
        assert.strictEqual(SERVER_CATALOGUE, `${manifest.name}/redis-iot-server`);
        const keys = sources(NODES).flatMap((file) => [...fs.readFileSync(file, 'utf8').matchAll(/serverText\(RED, '([^']+)'\)/g)].map((m) => m[1]));
        assert.ok(keys.length >= 2, `found ${keys.join(', ')}`);
        assert.deepStrictEqual(keys.filter((key) => lookup(catalogue('redis-iot-server'), `redis-iot-server.${key}`) === undefined), []);
    });

    it('every literal key used in code and editors exists', function () {
        const missing: string[] = [];
        for (const file of sources(NODES)) {
            const text = fs.readFileSync(file, 'utf8');
            const keys = [...text.matchAll(/RED\._\('([^'`$]+)'/g), ...text.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g),
                ...text.matchAll(/this\._\('([^'$]+)'/g)].map((m) => m[1]);
            for (const key of keys) {
                if (key.startsWith('node-red:') || key.endsWith('.')) continue;
                if (lookup(all, key) === undefined) missing.push(`${path.relative(NODES, file)}: ${key}`);
            }
        }
        assert.deepStrictEqual(missing, []);
    });
});
