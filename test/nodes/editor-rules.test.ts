// The editors check some settings with the runtime's own rules, typed again into each
// .html file (the editor cannot import the runtime's modules). Each copy must equal the
// rule the runtime applies at deploy: one that drifts lets the editor accept a setting the
// node then refuses, or refuse one it would take.
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { COUNTER_KEY } from '../../nodes/lib/counter/key';
import { CAMERA_NAME, KEY_PART } from '../../nodes/lib/images/ids';
import { KEY_PREFIX, STREAM_KEY } from '../../nodes/lib/transit/keys';
import { offlinePolicy } from '../../nodes/lib/transit/offline';
import { OP_ID } from '../../nodes/lib/transit/store';

const NODES = path.join(__dirname, '..', '..', '..', 'nodes');

/**
 * The regex literal the editor validates `field` of node `type` with: in its
 * RED.validators.regex, or, for a typed input whose validator depends on the type, the
 * editor's constant of that name.
 */
function editorRule(type: string, field: string): RegExp {
    const html = fs.readFileSync(path.join(NODES, type, `${type}.html`), 'utf8');
    const line = new RegExp(`^\\s*${field}: \\{.*RED\\.validators\\.regex\\((/.*/[a-z]*)\\) \\},?$`, 'm').exec(html)
        ?? new RegExp(`^\\s*var ${field} = (/.*/[a-z]*);$`, 'm').exec(html);
    assert.ok(line, `${type}.html validates ${field} with RED.validators.regex or a constant ${field}`);
    const literal = line[1];
    const end = literal.lastIndexOf('/');
    return new RegExp(literal.slice(1, end), literal.slice(end + 1));
}

const RULES: Array<[type: string, field: string, runtime: RegExp]> = [
    ['transit-gate', 'gateId', OP_ID],
    ['transit-sale', 'terminalId', OP_ID],
    ['transit-gate', 'keyPrefix', KEY_PREFIX],
    ['transit-sale', 'keyPrefix', KEY_PREFIX],
    ['transit-gate', 'stream', STREAM_KEY],
    ['transit-sale', 'stream', STREAM_KEY],
    ['transit-monitor', 'stream', STREAM_KEY],
    ['transit-cards', 'keyPrefix', KEY_PREFIX],
    ['transit-cards', 'stream', STREAM_KEY],
    ['transit-operations', 'stream', STREAM_KEY],
    ['redis-counter', 'TEXT_KEY', COUNTER_KEY], // the key typed as text
    ['redis-image-store', 'keyPrefix', KEY_PART],
    ['redis-image-store', 'index', KEY_PART],
    ['redis-image-gallery', 'keyPrefix', KEY_PART],
    ['redis-image-gallery', 'index', KEY_PART],
    ['pi-camera', 'cameraName', CAMERA_NAME],
];

describe("editor rules equal the runtime's", function () {
    for (const [type, field, runtime] of RULES) {
        it(`${type}: ${field}`, function () {
            const editor = editorRule(type, field);
            assert.strictEqual(editor.source, runtime.source);
            assert.strictEqual(editor.flags, runtime.flags);
        });
    }

    it('transit-gate: offlinePolicy, and its default is what the runtime does without one', function () {
        const html = fs.readFileSync(path.join(NODES, 'transit-gate', 'transit-gate.html'), 'utf8');
        const line = /^\s*offlinePolicy: \{ value: '([^']*)', validate: (function \(v\) \{.*\}) \},?$/m.exec(html);
        assert.ok(line, 'transit-gate.html validates offlinePolicy with a one-line function');
        const editor = new Function(`return ${line[2]};`)() as (v: unknown) => boolean;
        const runtime = (v: unknown) => {
            try {
                offlinePolicy(v);
                return true;
            } catch {
                return false;
            }
        };
        for (const v of [undefined, '', 'deny', 'known-passes', 'open', 'Open', 'known_passes', 'deny ', 'closed', null, 0]) {
            assert.strictEqual(editor(v), runtime(v), JSON.stringify(v) ?? 'undefined');
        }
        assert.strictEqual(line[1], offlinePolicy(undefined));
    });

    it('a camera name the runtime takes (spaces, a colon) is one the editor takes, and one too long is refused by both', function () {
        const editor = editorRule('pi-camera', 'cameraName');
        for (const name of ['Front door', 'gate:1', 'x'.repeat(64)]) assert.ok(editor.test(name) && CAMERA_NAME.test(name), name);
        assert.ok(!editor.test('x'.repeat(65)) && !CAMERA_NAME.test('x'.repeat(65)));
    });
});
