// The suites run once per Node-RED line (scripts/test.sh); this says which one ran, and
// checks that the runtime under test is that line on a Node.js it supports.
import assert from 'assert';
import { newestLineFor, nodeAtLeast } from '../../scripts/demo/node-red-line';
import { helper, nodeRedLine } from '../support/flow';

describe('the Node-RED line under test', function () {
    it(`is Node-RED ${nodeRedLine.name} (${nodeRedLine.version}) on Node.js ${process.versions.node}, which it supports`, function () {
        // Node-RED 4.1 adds "-git" when it finds a .git folder above its own.
        const runtime = (helper as unknown as { _RED: { version(): string } })._RED.version().replace(/-git$/, '');
        assert.strictEqual(runtime, nodeRedLine.version);
        assert.strictEqual(runtime.split('.')[0], nodeRedLine.name);
        assert.ok(nodeAtLeast(nodeRedLine.minimumNode), `Node-RED ${runtime} needs Node.js ${nodeRedLine.minimumNode} or later`);
        if (process.env.TEST_NODE_RED_LINE) assert.strictEqual(nodeRedLine.name, process.env.TEST_NODE_RED_LINE);
    });

    it('is what the demo picks: Node-RED 5 from Node.js 22.9, 4.1 before', function () {
        assert.deepStrictEqual(['20.20.2', '22.8.1', '22.9.0', '22.12.0', '24.21.0', '26.0.0'].map((v) => newestLineFor(v).line), ['4', '4', '5', '5', '5', '5']);
        assert.match(newestLineFor('20.20.2').why, /older than 22\.9\.0/);
    });
});
