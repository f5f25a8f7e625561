import assert from 'assert';
import { durationWords, gateDecisionText, saleText } from '../../../nodes/lib/transit/decision-text';

describe('decision sentences (msg.text of the gate and the sales terminal)', function () {
    it('says what a gate granted: the pass in words and what is left of it', function () {
        assert.strictEqual(gateDecisionText(true, { card: '04A1B2C3', passType: 'TEN_TRIP', remainingTrips: 9 }),
            'Granted: card 04A1B2C3, ten trip pass, 9 of 10 trips left.');
        assert.strictEqual(gateDecisionText(true, { card: '04A1B2C3', passType: 'SINGLE_USE' }), 'Granted: card 04A1B2C3, single trip pass.');
        assert.strictEqual(gateDecisionText(true, { card: '04A1B2C3', passType: 'TWO_HOUR', remainingTime: 7200 }),
            'Granted: card 04A1B2C3, two hour pass, 120 minutes left.');
    });

    it('names a catalogue product by its label and counts its trips without "of 10"', function () {
        assert.strictEqual(gateDecisionText(true, { card: 'AB', passType: 'FIVE_TRIP', label: 'five trip', remainingTrips: 4 }),
            'Granted: card AB, five trip pass, 4 trips left.');
        assert.strictEqual(gateDecisionText(true, { card: 'AB', passType: 'TEN_TRIP', label: 'ten trip', remainingTrips: 1 }),
            'Granted: card AB, ten trip pass, 1 trip left.');
        assert.strictEqual(gateDecisionText(true, { card: 'AB', passType: 'DAY', label: 'day', remainingTime: 86400 }),
            'Granted: card AB, day pass, 24 hours left.');
        assert.strictEqual(gateDecisionText(true, { card: 'AB', passType: 'WEEK5', label: 'week', remainingTrips: 5, remainingTime: 7 * 86400 }),
            'Granted: card AB, week pass, 5 trips and 7 days left.');
        // A pass type the words do not know, without a label: its id, as the flows printed it.
        assert.strictEqual(gateDecisionText(true, { card: 'AB', passType: 'OLD' }), 'Granted: card AB, OLD pass.');
    });

    it('says why a gate denied, and "?" for a card id it could not read', function () {
        assert.strictEqual(gateDecisionText(false, { card: '04D5E6F7', reason: 'no-pass' }), 'Denied: card 04D5E6F7, no valid pass.');
        assert.strictEqual(gateDecisionText(false, { card: null, reason: 'invalid-card' }), 'Denied: card ?, the card id is not valid.');
        assert.strictEqual(gateDecisionText(false, { card: 'AB', reason: 'expired' }), 'Denied: card AB, the pass has expired.');
        assert.strictEqual(gateDecisionText(false, { card: 'AB', reason: 'unavailable' }), 'Denied: card AB, Redis is unavailable.');
        // A reason added later is shown as it is; an own property, not Object.prototype's.
        assert.strictEqual(gateDecisionText(false, { card: 'AB', reason: 'gate-closed' }), 'Denied: card AB, gate-closed.');
        assert.strictEqual(gateDecisionText(false, { card: 'AB', reason: 'toString' }), 'Denied: card AB, toString.');
    });

    it('says what a terminal sold or why it did not', function () {
        assert.strictEqual(saleText(true, { card: '04A1B2C3', passType: 'TEN_TRIP', tripsRemaining: 10 }),
            'Sold a ten trip pass (10 trips) to card 04A1B2C3.');
        assert.strictEqual(saleText(true, { card: '04A1B2C3', passType: 'TWO_HOUR' }), 'Sold a two hour pass to card 04A1B2C3.');
        assert.strictEqual(saleText(true, { card: 'AB', passType: 'DAY', label: 'day' }), 'Sold a day pass to card AB.');
        assert.strictEqual(saleText(true, { card: 'AB', passType: 'ONE', label: 'one ride', tripsRemaining: 1 }), 'Sold a one ride pass (1 trip) to card AB.');
        assert.strictEqual(saleText(false, { card: 'ABCDEF01', reason: 'cancelled' }), 'No sale for card ABCDEF01: the sale was cancelled.');
        assert.strictEqual(saleText(false, { card: 'AB', reason: 'card-already-has-pass' }), 'No sale for card AB: this card already has a pass.');
        assert.strictEqual(saleText(false, { card: null, reason: 'invalid-card' }), 'No sale for card ?: the card id is not valid.');
    });

    it('rounds times to minutes, hours or days as a rider reads them', function () {
        assert.deepStrictEqual([30, 60, 5940, 10799, 10800, 86400, 172799, 172800, 604800].map(durationWords),
            ['1 minute', '1 minute', '99 minutes', '3 hours', '3 hours', '24 hours', '2 days', '2 days', '7 days']);
    });
});
