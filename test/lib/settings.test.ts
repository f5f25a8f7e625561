import assert from 'assert/strict';
import { integerSetting, numberSetting } from '../../nodes/lib/settings';

describe('numeric settings (the one parser)', function () {
    it('gives the fallback for an empty field, and undefined when there is none', function () {
        assert.equal(numberSetting('', 'timeout', { fallback: 30 }), 30);
        assert.equal(numberSetting(undefined, 'timeout', { fallback: 30 }), 30);
        assert.equal(numberSetting(null, 'timeout', { fallback: 30 }), 30);
        assert.equal(numberSetting('', 'max count', { min: 0 }), undefined);
    });

    it('reads numbers and numeric text within the rule', function () {
        assert.equal(numberSetting('2.5', 'timeout', { fallback: 30, min: 0 }), 2.5);
        assert.equal(numberSetting(' 7 ', 'page size', { fallback: 24, min: 1, max: 200, integer: true }), 7);
        assert.equal(numberSetting(0, 'timeout', { fallback: 30, min: 0 }), 0);
        assert.equal(integerSetting('15', 0, 0, 15, 'SPI bus'), 15);
    });

    it('refuses text that is not a number instead of reading it as 0 or as the default', function () {
        // The sales terminal once read "abc" as 0 seconds: no timeout at all.
        for (const bad of ['abc', ' ', '1e400', 'NaN', 'Infinity', '0x', true, {}, [], [5]]) {
            assert.throws(() => numberSetting(bad, 'timeout', { fallback: 30, min: 0 }), /^Error: invalid timeout: /, String(bad));
        }
    });

    it('refuses numbers outside the rule, naming the field', function () {
        assert.throws(() => numberSetting(-1, 'max count', { min: 0 }), /invalid max count: -1/);
        assert.throws(() => numberSetting('201', 'page size', { fallback: 24, min: 1, max: 200, integer: true }), /invalid page size: 201/);
        assert.throws(() => numberSetting('1.5', 'port', { fallback: 6379, min: 1, max: 65535, integer: true }), /invalid port: 1.5/);
        assert.throws(() => integerSetting(16, 0, 0, 15, 'SPI bus'), /invalid SPI bus: 16/);
    });
});
