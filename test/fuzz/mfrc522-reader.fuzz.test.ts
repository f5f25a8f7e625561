// mfrc522-reader (simulated chip) under 1,000 generated input messages. A card id is sent
// on as a tap (ids of a real UID size are presented to the simulated chip instead, which
// then reports them as a tap and a removal of their own); anything else is an error for
// Catch nodes. The reader keeps reading cards afterwards.
import assert from 'assert/strict';
import type { Node } from 'node-red';
import type { SimulatedMfrc522 } from '../../nodes/lib/mfrc522/simulated-chip';
import { helper, statusOf, waitFor } from '../support/flow';
import { acceptedCardId, anyCardId, field, message, oddString } from './arbitraries';
import { DUT, fuzzFlow, fuzzMessages, fuzzSuite, loadFuzzFlow, Msg, Outcome, OutcomeTracker } from './harness';

const readerModule = require('../../nodes/mfrc522-reader/mfrc522-reader');

/** Hex ids of 4, 7 or 10 bytes are real UIDs: the simulated chip holds each for a few polls. */
const isUidSize = (id: string) => /^[0-9A-F]+$/.test(id) && [8, 14, 20].includes(id.length);

describe('fuzz: mfrc522-reader', function () {
    this.timeout(120000);
    fuzzSuite({ redis: false });

    it('sends each of 1,000 generated card ids on as a tap or refuses it, exactly once', async function () {
        await loadFuzzFlow([readerModule], fuzzFlow({ type: 'mfrc522-reader', bus: 0, device: 0, rstPin: 25, pollInterval: 10, mode: 'simulated' }, 2));
        await waitFor(() => statusOf(DUT).text !== undefined, 5000, 'reader ready');
        const tracker = new OutcomeTracker(2);
        // Presenting a UID takes a few hundred ms of polling; the fuzz is about bad input, so
        // the probe at the end presents real UIDs and the generated ones are passed on directly.
        const messages = message({
            payload: anyCardId.filter((value) => !isUidSize(acceptedCardId(value) ?? '')),
            topic: field(oddString),
        });
        const seen = { taps: 0, refused: 0 };
        const check = (o: Outcome) => {
            const id = acceptedCardId(o.sent.payload);
            if (id === undefined) {
                assert.equal(o.outputs.length, 0);
                assert.equal(o.errors.length, 1, 'a bad card id is an error for Catch');
                assert.match(String((o.errors[0].error as Msg).message), /invalid card id/);
                seen.refused++;
                return;
            }
            assert.equal(o.errors.length, 0);
            assert.equal(o.outputs.length, 1);
            const { port, msg } = o.outputs[0];
            assert.equal(port, 0);
            assert.equal(msg.topic, 'card');
            assert.equal(msg.payload, id);
            assert.deepEqual(msg.card, { uid: null, number: null, uidLength: null, sak: null, atqa: null, source: 'input' });
            seen.taps++;
        };
        const sent = await fuzzMessages(tracker, { seed: 5201, runs: 125, batch: 8, messages, check });
        assert.ok(sent >= 1000);
        assert.ok(seen.taps > 50 && seen.refused > 50, JSON.stringify(seen));
        assert.equal(tracker.unsolicited.length, 0, 'no card read by itself');

        // Still reading: a 4-byte and a 7-byte UID go through the simulated chip.
        const reader = helper.getNode(DUT) as Node & { simulator: SimulatedMfrc522 };
        assert.ok(reader.simulator);
        const ids = tracker.send([{ payload: '04:a1:b2:c3' }, { payload: '04A1B2C3D4E5F6' }]);
        await tracker.waitEnded(ids, 20000);
        await waitFor(() => tracker.unsolicited.length === 4, 10000, 'two taps and two removals');
        assert.deepEqual(tracker.unsolicited.map((u) => [u.port, u.msg.topic, u.msg.payload]), [
            [0, 'card', '04A1B2C3'], [1, 'removed', '04A1B2C3'], [0, 'card', '04A1B2C3D4E5F6'], [1, 'removed', '04A1B2C3D4E5F6'],
        ]);
    });
});
