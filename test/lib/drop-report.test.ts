import assert from 'assert/strict';
import { DropCounts, DropReport } from '../../nodes/lib/drop-report';

type Reason = 'late' | 'queue-full';

describe('drop report: every drop logged, at most one line per interval', function () {
    const reports: Array<{ counts: DropCounts<Reason>; total: number }> = [];
    let report: DropReport<Reason> | undefined;
    const make = (intervalMs: number) => {
        report = new DropReport<Reason>(['late', 'queue-full'], (counts, total) => reports.push({ counts, total }), intervalMs);
        return report;
    };
    beforeEach(() => {
        reports.length = 0;
    });
    afterEach(() => report?.stop());

    it('reports the first drop at once, and the rest of a burst as one line with its counts when the interval ends', async () => {
        const r = make(150);
        r.add('late');
        assert.deepEqual(reports, [{ counts: { late: 1, 'queue-full': 0 }, total: 1 }]);
        r.add('late');
        r.add('queue-full');
        r.add('queue-full');
        r.add('queue-full');
        assert.equal(reports.length, 1, 'a line per drop');
        await new Promise((resolve) => setTimeout(resolve, 400));
        assert.deepEqual(reports[1], { counts: { late: 1, 'queue-full': 3 }, total: 4 });
        assert.equal(reports.length, 2, 'a line for an interval without drops');
    });

    it('after a quiet interval, the next drop is reported at once again', async () => {
        const r = make(50);
        r.add('queue-full');
        await new Promise((resolve) => setTimeout(resolve, 200));
        r.add('late');
        assert.deepEqual(reports.map((x) => x.counts), [{ late: 0, 'queue-full': 1 }, { late: 1, 'queue-full': 0 }]);
    });

    it('stop() reports what is pending, so no drop goes unlogged when the node closes', () => {
        const r = make(60000);
        r.add('late');
        r.add('late');
        r.stop();
        assert.deepEqual(reports.map((x) => x.total), [1, 1]);
        r.stop();
        assert.equal(reports.length, 2);
    });

    it('keeps counting when the log line throws', () => {
        let calls = 0;
        report = new DropReport<Reason>(['late', 'queue-full'], () => {
            calls++;
            throw new Error('log is broken');
        }, 60000);
        report.add('late');
        report.add('late');
        report.stop();
        assert.equal(calls, 2);
    });
});
