// The shared input path (nodes/common/input.ts) with messages the Node-RED runtime itself
// cannot handle: one nested thousands of levels deep (Node-RED's copy for Catch and
// Complete nodes overflows the stack) and one with its own "hasOwnProperty" key (the
// runtime's error path calls msg.hasOwnProperty()). Both once made done() throw inside a
// promise callback: an unhandled rejection, on which Node-RED exits. Now each still ends
// exactly once at the Catch node and the process carries on.
import assert from 'assert/strict';
import { statusOf, waitFor } from '../support/flow';
import { nested } from './arbitraries';
import { DUT, fuzzFlow, fuzzSuite, loadFuzzFlow, Msg, OutcomeTracker } from './harness';

const displayModule = require('../../nodes/tm1637-display/tm1637-display');

describe('fuzz: messages the runtime cannot copy or inspect', function () {
    this.timeout(30000);
    fuzzSuite({ redis: false });

    it('end at the Catch node, once, and never as an unhandled rejection', async function () {
        await loadFuzzFlow([displayModule], fuzzFlow({ type: 'tm1637-display', clk: 23, dio: 24, brightness: 0, overflow: 'clamp', mode: 'simulated' }, 1));
        await waitFor(() => statusOf(DUT).text !== undefined, 5000, 'display ready');
        const tracker = new OutcomeTracker(1);
        const cases: Array<[string, Msg, string]> = [
            ['own hasOwnProperty, refused', { payload: 'zzzzzz', hasOwnProperty: 1 }, 'unknown-character'],
            ['deep payload, refused', { payload: nested(5000), topic: 'deep' }, 'invalid-payload'],
            // Deep enough that no Node.js clones it: Node 24 sometimes copies 5,000 levels.
            ['deep extra field, shown', { payload: 12, extra: nested(100_000), topic: 'deep' }, 'unusable-message'],
        ];
        const ids = tracker.send(cases.map(([, msg]) => msg));
        await tracker.waitEnded(ids, 10000);
        await tracker.quiet();
        tracker.assertEachEndedOnce();
        ids.forEach((id, i) => {
            const [what, , code] = cases[i];
            const caught = tracker.outcomes.get(id)?.errors[0] as Msg;
            assert.equal((caught.error as Msg).code, code, what);
            if (what.startsWith('deep')) assert.equal(caught.topic, 'deep', 'the stand-in message keeps the topic');
        });
    });
});
