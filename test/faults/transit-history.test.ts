// The history checker is what the kill test's verdict rests on: it must pass a clean
// history and name each kind of damage when Redis is tampered with behind its back.
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { redisNowMs } from '../support/redis-time';
import { TransitStore } from '../../nodes/lib/transit/store';
import { check, History, readView } from './transit-history';
import { freshCard, KEY_PREFIX, STREAM } from './transit-rig';

describe('test support: the transit history checker', function () {
    let redis: Redis;
    let store: TransitStore;
    let history: History;
    let cards: string[];

    beforeEach(async () => {
        redis = new Redis(sharedRedis().port);
        await redis.del(STREAM);
        store = new TransitStore(redis, { keyPrefix: KEY_PREFIX, stream: STREAM });
        history = new History();
        cards = [freshCard(), freshCard(), freshCard()];
        for (const [i, card] of cards.entries()) {
            await store.sell(card, 'TEN_TRIP', `s${i}`, 'terminal');
            history.add({ kind: 'sale', id: `s${i}`, card, attempt: 1, sentAt: 0, ms: 1, outcome: 'ok', detail: 'sold' });
            await store.tap(card, 'gate', `t${i}`, 0);
            history.add({ kind: 'tap', id: `t${i}`, card, attempt: 1, sentAt: 0, ms: 1, outcome: 'ok', detail: 'granted' });
        }
    });
    afterEach(async () => {
        await redis.del(STREAM);
        redis.disconnect();
    });

    it('passes a history that matches Redis', async function () {
        assert.deepEqual(check(history, await readView(redis, history), 0).violations, []);
    });

    it('names a charge nobody was told about, a ride charged twice and a lost sale', async function () {
        await store.tap(cards[0], 'gate', 'unreported', 0);
        await redis.hincrby(`${KEY_PREFIX}${cards[1]}`, 'tripsRemaining', -1);
        await redis.del(`${KEY_PREFIX}${cards[2]}`);
        const { violations } = check(history, await readView(redis, history), 0);
        assert.equal(violations.length, 4, violations.join('\n'));
        assert.match(violations[0], /stream charges unreported, which no answer granted/);
        assert.match(violations[1], new RegExp(`card ${cards[0]}: 1 entries granted, pass shows .*"tripsRemaining":"8"`));
        assert.match(violations[2], new RegExp(`card ${cards[1]}: 1 entries granted, pass shows .*"tripsRemaining":"8"`));
        assert.match(violations[3], new RegExp(`card ${cards[2]}: 1 entries granted, pass shows \\{\\}`));
    });

    it('names an unresolved operation, two different answers to one id, and a lost reply', async function () {
        history.add({ kind: 'tap', id: 'never', card: cards[0], attempt: 1, sentAt: 0, ms: 1, outcome: 'unknown', detail: 'unavailable' });
        history.add({ kind: 'tap', id: 't1', card: cards[1], attempt: 2, sentAt: 0, ms: 1, outcome: 'fail', detail: 'no-pass' });
        // t2 answered unknown first, then granted: its record predates the "fault", so its reply was lost.
        for (const op of history.attempts('tap', 't2')) op.outcome = 'unknown';
        history.add({ kind: 'tap', id: 't2', card: cards[2], attempt: 2, sentAt: 0, ms: 1, outcome: 'ok', detail: 'granted' });
        const { violations, stats } = check(history, await readView(redis, history), (await redisNowMs(redis)) + 60000);
        assert.deepEqual(violations.sort(), ['tap never never got a definite answer', 'tap t1 was answered granted and no-pass']);
        assert.equal(stats.lostReplies, 1);
    });
});
