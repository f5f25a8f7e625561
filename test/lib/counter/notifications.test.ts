import assert from 'assert';
import Redis from 'ioredis';
import { ensureKeyspaceNotifications, mergedFlags, missingClasses } from '../../../nodes/lib/counter/notifications';
import { counterValue, integerInput } from '../../../nodes/lib/counter/value';
import { RedisProcess } from '../../support/redis-process';

describe('keyspace notification flags', function () {
    it('adds only what is missing and keeps what the server has', function () {
        assert.strictEqual(mergedFlags(''), 'K$gx');
        assert.strictEqual(mergedFlags('Ex'), 'ExK$g');
        assert.deepStrictEqual(missingClasses('KA'), []);
        assert.deepStrictEqual(missingClasses('AK'), []);
        assert.deepStrictEqual(missingClasses('Elg$'), ['K', 'x']);
    });

    it('switches them on in a real Redis, and reports a server that refuses CONFIG', async function () {
        const plain = await RedisProcess.start(['--notify-keyspace-events', 'Ez']);
        const locked = await RedisProcess.start(['--rename-command', 'CONFIG', '""']);
        const a = new Redis(plain.port);
        const b = new Redis(locked.port);
        try {
            const first = await ensureKeyspaceNotifications(a);
            assert.ok(first.ok && first.changed);
            const [, flags] = (await a.config('GET', 'notify-keyspace-events')) as string[];
            assert.deepStrictEqual([...flags].sort(), [...'$EKgxz'].sort());
            const again = await ensureKeyspaceNotifications(a);
            assert.ok(again.ok && !again.changed, 'nothing to change the second time');
            const refused = await ensureKeyspaceNotifications(b);
            assert.strictEqual(refused.ok, false);
        } finally {
            a.disconnect();
            b.disconnect();
            await plain.destroy();
            await locked.destroy();
        }
    });
});

describe('counter values', function () {
    it('reads a missing key as 0 and integers as they are', function () {
        assert.strictEqual(counterValue('k', null), 0);
        assert.strictEqual(counterValue('k', '-42'), -42);
        assert.strictEqual(counterValue('k', '9007199254740991'), 9007199254740991);
    });

    it('refuses what is not an integer it can show exactly', function () {
        for (const raw of ['', 'abc', '1.5', '1e3', ' 1', '9007199254740993', '99999999999999999999']) {
            assert.throws(() => counterValue('k', raw), /does not hold an integer/, raw);
        }
        assert.throws(() => integerInput('2.5', 'step'), /step must be an integer/);
        assert.throws(() => integerInput({}, 'step'), /not object/);
        assert.strictEqual(integerInput(' -3 ', 'step'), -3);
    });
});
