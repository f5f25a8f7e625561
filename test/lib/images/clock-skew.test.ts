import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { describeSkew } from '../../../nodes/lib/images/clock-skew';
import { CLOCK_SKEW_LIMIT_MS } from '../../../nodes/lib/images/scripts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

// The image store's catalogue, rendered as Node-RED's i18next does (__name__ placeholders).
const catalogue = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'nodes', 'redis-image-store', 'locales', 'en-US', 'redis-image-store.json'), 'utf8'))['redis-image-store'];
const render = (template: string, values: Record<string, unknown>) => template.replace(/__(\w+)__/g, (_, k: string) => String(values[k]));

function statusText(skewMs: number): string {
    const skew = describeSkew(skewMs);
    return render(catalogue.status[`clock-${skew.direction}`], { amount: render(catalogue.units[skew.unit], { count: skew.count }) });
}

describe('images: describing a camera clock that is wrong', function () {
    it('says how far, in the unit a person would use', function () {
        assert.strictEqual(statusText(-10 * DAY), 'camera clock is 10 days behind Redis');
        assert.strictEqual(statusText(-10 * DAY - 7 * 3600_000), 'camera clock is 10 days behind Redis');
        assert.strictEqual(statusText(365 * DAY), 'camera clock is 365 days ahead of Redis');
        assert.strictEqual(statusText(-36 * 3600_000), 'camera clock is 36 hours behind Redis');
        assert.strictEqual(statusText(3 * 3600_000), 'camera clock is 3 hours ahead of Redis');
        assert.strictEqual(statusText(-(CLOCK_SKEW_LIMIT_MS + 1)), 'camera clock is 5 minutes behind Redis');
        assert.strictEqual(statusText(-119 * MINUTE), 'camera clock is 119 minutes behind Redis');
    });
});
