// tsc compiles only the runtime .ts files; Node-RED also needs each node's editor
// .html, locales/ and icons/ (and any shipped sounds) beside the compiled .js.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const src = path.join(root, 'nodes');
const out = path.join(root, 'dist', 'nodes');

function copyTree(from, to) {
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
        const a = path.join(from, entry.name);
        const b = path.join(to, entry.name);
        if (entry.isDirectory()) {
            copyTree(a, b);
        } else if (!entry.name.endsWith('.ts')) {
            fs.mkdirSync(to, { recursive: true });
            fs.copyFileSync(a, b);
        }
    }
}

copyTree(src, out);
