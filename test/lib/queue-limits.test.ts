import assert from 'assert/strict';
import { parseQueueLimits } from '../../nodes/lib/queue-limits';

describe('queue limits (maxWait, maxQueue)', function () {
    const defaults = { maxWait: 2, maxQueue: 5 };

    it('takes the defaults for empty fields, and reads seconds as milliseconds', () => {
        assert.deepEqual(parseQueueLimits({}, defaults), { maxWaitMs: 2000, maxWaiting: 5 });
        assert.deepEqual(parseQueueLimits({ maxWait: '', maxQueue: '' }, defaults), { maxWaitMs: 2000, maxWaiting: 5 });
        assert.deepEqual(parseQueueLimits({ maxWait: '0.5', maxQueue: '0' }, defaults), { maxWaitMs: 500, maxWaiting: 0 });
        assert.deepEqual(parseQueueLimits({ maxWait: 3600, maxQueue: 1000 }, defaults), { maxWaitMs: 3_600_000, maxWaiting: 1000 });
    });

    it('refuses values out of range or not numbers, naming the field', () => {
        for (const maxWait of [0, -1, 'abc', 3601, '2s']) {
            assert.throws(() => parseQueueLimits({ maxWait }, defaults), /invalid maxWait/, String(maxWait));
        }
        for (const maxQueue of [-1, 1.5, 'five', 1001]) {
            assert.throws(() => parseQueueLimits({ maxQueue }, defaults), /invalid maxQueue/, String(maxQueue));
        }
    });
});
