// Card administration against a real Redis: each change is one script, atomic against the
// gates and terminals deciding on the same card, and every refusal changes nothing.
import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../../support/global-redis';
import { blockedWhy, CardAdmin, cardText, CardRefusedError, HISTORY_LENGTH } from '../../../nodes/lib/transit/card-admin';
import { TransitStore } from '../../../nodes/lib/transit/store';
import { ORIGINAL_PRODUCTS } from '../../../nodes/lib/transit/products';

const PREFIX = 'admin:pass:';
const STREAM = 'admin:events';

describe('CardAdmin (real Redis)', function () {
    let redis: Redis;
    let store: TransitStore;
    let admin: CardAdmin;
    let n = 0;
    const card = () => `AD${Date.now().toString(16).toUpperCase()}${(++n).toString(16).toUpperCase().padStart(3, '0')}`;
    const op = () => `op-${++n}`;
    const refusedWith = (code: string) => (err: unknown) => err instanceof CardRefusedError && err.code === code;
    const day = { id: 'DAY', label: 'day', rides: 0, validity: 86400, starts: 'first-use' as const };

    before(() => {
        redis = new Redis(sharedRedis().port);
        store = new TransitStore(redis, { keyPrefix: PREFIX, stream: STREAM });
        admin = new CardAdmin(store);
    });
    after(() => redis.quit());

    it('blocks a card: gates deny it as blocked and charge nothing, terminals refuse it, and an unblock gives the pass back', async function () {
        const c = card();
        await store.sell(c, 'TEN_TRIP', `s-${c}`, 'terminal-1');
        await store.tap(c, 'gate-1', `t1-${c}`, 0);
        const blocked = await admin.block(c, 'lost', 'alice', op());
        assert.strictEqual(blocked.done, true);
        assert.strictEqual(blocked.operator, 'alice');

        const denied = await store.tap(c, 'gate-2', `t2-${c}`, 0);
        assert.deepStrictEqual([denied.granted, denied.reason], [false, 'blocked']);
        assert.strictEqual(await redis.hget(`${PREFIX}${c}`, 'tripsRemaining'), '9', 'nothing charged');
        assert.strictEqual(await store.saleRefusal(c), 'blocked');
        const fresh = card();
        await admin.block(fresh, 'stolen', 'alice', op());
        assert.strictEqual(await store.saleRefusal(fresh), 'blocked', 'a card without a pass can be blocked');
        const sale = await store.sell(fresh, 'SINGLE_USE', `s-${fresh}`, 'terminal-1');
        assert.deepStrictEqual([sale.sold, sale.reason], [false, 'blocked']);
        assert.strictEqual(await redis.exists(`${PREFIX}${fresh}`), 0);

        const lookup = await admin.lookup(c);
        assert.deepStrictEqual(lookup.blocked && { ...lookup.blocked, at: 0 }, { reason: 'lost', operator: 'alice', at: 0 });
        assert.deepStrictEqual([lookup.pass?.passType, lookup.pass?.tripsRemaining], ['TEN_TRIP', 9]);
        assert.deepStrictEqual(lookup.events.map((e) => e.channel), ['pass-denied', 'card-blocked', 'pass-used:TEN_TRIP', 'pass-issued:TEN_TRIP']);
        assert.strictEqual(lookup.events[1].text, `Card ${c} was blocked by alice: lost.`);

        const lifted = await admin.unblock(c, 'bob', op());
        assert.strictEqual(lifted.was?.reason, 'lost');
        const granted = await store.tap(c, 'gate-2', `t3-${c}`, 0);
        assert.deepStrictEqual([granted.granted, granted.remainingTrips], [true, 8]);
        assert.strictEqual(await store.saleRefusal(c), 'card-already-has-pass');
    });

    it('refuses what the card state does not allow, and changes nothing', async function () {
        const c = card();
        await assert.rejects(admin.unblock(c, 'alice', op()), refusedWith('not-blocked'));
        await assert.rejects(admin.remove('void', c, 'mistake', 'alice', op()), refusedWith('no-pass'));
        await assert.rejects(admin.remove('refund', c, 'mistake', 'alice', op()), refusedWith('no-pass'));
        await assert.rejects(admin.transfer(c, card(), 'alice', op()), refusedWith('no-pass'));
        await admin.block(c, 'lost', 'alice', op());
        await assert.rejects(admin.block(c, 'stolen', 'bob', op()), refusedWith('already-blocked'));
        assert.strictEqual(await redis.hget(`{${PREFIX}${c}}:deny`, 'reason'), 'lost');
        await assert.rejects(admin.block(c, '', 'bob', op()), /reason must be text/);
        await assert.rejects(admin.block(c, 'x'.repeat(201), 'bob', op()), /reason must be text/);
        await assert.rejects(admin.block(c, 'lost\u0007', 'bob', op()), /reason must be text/);
        await assert.rejects(admin.unblock(c, '', op()), /operator must be text/);

        // A record that is not a pass: voided by staff, never refunded or moved.
        const junk = card();
        await redis.set(`${PREFIX}${junk}`, 'not a hash');
        await assert.rejects(admin.remove('refund', junk, 'r', 'alice', op()), refusedWith('corrupt-pass'));
        await assert.rejects(admin.transfer(junk, card(), 'alice', op()), refusedWith('corrupt-pass'));
        assert.strictEqual((await admin.remove('void', junk, 'clean up', 'alice', op())).pass?.corrupt, true);
        assert.strictEqual(await redis.exists(`${PREFIX}${junk}`), 0);
    });

    it('reads a card a gate blocked for a ride Redis refused after an outage, and unblocks it as any other', async function () {
        const c = card();
        await store.sell(c, 'TEN_TRIP', `s-${c}`, 'terminal-1');
        // The deny entry as a gate's replay writes it (pass-overused): reason overused, the gate as operator.
        const at = Number((await redis.time())[0]) * 1000;
        await redis.hset(`{${PREFIX}${c}}:deny`, 'reason', 'overused', 'operator', 'gate-1', 'at', String(at));
        const lookup = await admin.lookup(c);
        assert.deepStrictEqual(lookup.blocked, { reason: 'overused', operator: 'gate-1', at });
        assert.strictEqual(cardText('lookup', undefined, lookup), `Card ${c}: blocked (overused offline at gate gate-1), it has a pass.`);
        assert.strictEqual((await store.tap(c, 'gate-2', `t-${c}`, 0)).reason, 'blocked');

        const unblocked = await admin.unblock(c, 'alice', op());
        assert.deepStrictEqual(unblocked.was, { reason: 'overused', operator: 'gate-1', at });
        assert.strictEqual(cardText('unblock', unblocked, await admin.lookup(c)), `Card ${c} unblocked by alice: it has a pass.`);
        assert.strictEqual((await store.tap(c, 'gate-2', `t2-${c}`, 0)).granted, true);
        // Staff's own reasons read as they were typed.
        assert.strictEqual(blockedWhy({ reason: 'lost', operator: 'alice', at }), 'lost');
    });

    it('voids and refunds a pass, recording what it held', async function () {
        const c = card();
        await store.sell(c, 'TEN_TRIP', `s-${c}`, 'terminal-1');
        await store.tap(c, 'gate-1', `t-${c}`, 0);
        const refund = await admin.remove('refund', c, 'moving away', 'alice', op());
        assert.deepStrictEqual([refund.pass?.passType, refund.pass?.tripsRemaining, refund.reason], ['TEN_TRIP', 9, 'moving away']);
        assert.strictEqual(await redis.exists(`${PREFIX}${c}`), 0);
        const [[, fields]] = await redis.xrevrange(STREAM, '+', '-', 'COUNT', 1);
        assert.strictEqual(fields[fields.indexOf('channel') + 1], 'pass-refunded');
        const event = JSON.parse(fields[fields.indexOf('event') + 1]);
        assert.deepStrictEqual([event.cardSerialNumber, event.operator, event.reason, event.pass.tripsRemaining], [c, 'alice', 'moving away', 9]);

        const v = card();
        await store.sell(v, day, `s-${v}`, 'terminal-1');
        const voided = await admin.remove('void', v, 'sold in error', 'bob', op());
        assert.strictEqual(voided.pass?.label, 'day');
        const denied = await store.tap(v, 'gate-1', `t-${v}`, 0);
        assert.strictEqual(denied.reason, 'no-pass');
        assert.deepStrictEqual((await admin.lookup(v)).events.map((e) => e.text).slice(0, 2),
            [`Card ${v} tried to start a journey without a valid pass!`, `Card ${v}'s day pass was voided by bob: sold in error.`]);
    });

    it('moves a pass with its state to a new card, and never onto a card that has one', async function () {
        const old = card();
        const replacement = card();
        await store.sell(old, day, `s-${old}`, 'terminal-1');
        await store.tap(old, 'gate-1', `t-${old}`, 0);
        const before = await admin.lookup(old);
        await admin.block(old, 'lost', 'alice', op());

        const other = card();
        await store.sell(other, 'SINGLE_USE', `s-${other}`, 'terminal-1');
        await assert.rejects(admin.transfer(old, other, 'alice', op()), refusedWith('target-has-pass'));
        await assert.rejects(admin.transfer(old, old, 'alice', op()), refusedWith('same-card'));
        const blockedTarget = card();
        await admin.block(blockedTarget, 'stolen', 'alice', op());
        await assert.rejects(admin.transfer(old, blockedTarget, 'alice', op()), refusedWith('target-blocked'));
        assert.strictEqual(await redis.hget(`${PREFIX}${other}`, 'passType'), 'SINGLE_USE', 'the other pass is untouched');

        const moved = await admin.transfer(old, replacement, 'alice', op());
        assert.strictEqual(moved.to, replacement);
        const after = await admin.lookup(replacement);
        assert.strictEqual(after.pass?.activatedAt, before.pass?.activatedAt, 'still activated at its first ride');
        assert.ok(after.pass?.remainingTime !== undefined && after.pass.remainingTime <= (before.pass?.remainingTime as number));
        assert.ok(await redis.pttl(`${PREFIX}${replacement}`) > 0, 'its expiry moved with it');
        assert.strictEqual(after.events[0].channel, 'pass-transferred', 'the new card\'s history shows the move');
        assert.strictEqual(after.events[0].text, `Card ${old}'s day pass was moved to card ${replacement} by alice.`);
        assert.strictEqual((await store.tap(replacement, 'gate-1', `t2-${replacement}`, 0)).granted, true);
        assert.strictEqual((await store.tap(old, 'gate-2', `t2-${old}`, 0)).reason, 'blocked');
    });

    it('answers a retried operation id with its first answer and changes nothing twice', async function () {
        const c = card();
        await store.sell(c, 'SINGLE_USE', `s-${c}`, 'terminal-1');
        const id = op();
        const first = await admin.block(c, 'lost', 'alice', id);
        const again = await admin.block(c, 'lost', 'alice', id);
        assert.deepStrictEqual(again, first);
        const events = await redis.xrange(STREAM, '-', '+');
        assert.strictEqual(events.filter(([, f]) => f.includes('card-blocked') && f.join().includes(c)).length, 1);
    });

    it('never lets a pass ride more than it holds while staff block, move and unblock it under racing gates', async function () {
        this.timeout(30000);
        const a = card();
        const b = card();
        await store.sell(a, 'TEN_TRIP', `s-${a}`, 'terminal-1');
        const taps: Array<Promise<boolean>> = [];
        for (let i = 0; i < 40; i++) {
            const on = i % 2 ? a : b;
            taps.push(store.tap(on, `gate-${i % 4}`, `race-${a}-${i}`, 0).then((d) => d.granted));
            if (i === 8) taps.push(admin.block(a, 'lost', 'alice', op()).then(() => false));
            if (i === 16) taps.push(admin.transfer(a, b, 'alice', op()).then(() => false));
        }
        const granted = (await Promise.all(taps)).filter(Boolean).length;
        const left = Number(await redis.hget(`${PREFIX}${b}`, 'tripsRemaining') ?? 0);
        assert.strictEqual(granted + left, ORIGINAL_PRODUCTS.find((p) => p.id === 'TEN_TRIP')?.rides, `${granted} rides granted, ${left} left`);
        assert.strictEqual(await redis.exists(`${PREFIX}${a}`), 0);
    });

    it('shows the card\'s last 20 events, newest first, found among other cards\' events', async function () {
        this.timeout(20000);
        const c = card();
        await store.sell(c, 'TEN_TRIP', `s-${c}`, 'terminal-1');
        for (let i = 0; i < 9; i++) await store.tap(c, 'gate-1', `h-${c}-${i}`, 0);
        await store.sell(c, 'TEN_TRIP', `s2-${c}`, 'terminal-1');
        for (let i = 0; i < 15; i++) {
            const other = card();
            await store.sell(other, 'SINGLE_USE', `s-${other}`, 'terminal-1');
        }
        for (let i = 0; i < 14; i++) await store.tap(c, 'gate-1', `h2-${c}-${i}`, 0);
        const { events } = await admin.lookup(c);
        assert.strictEqual(events.length, HISTORY_LENGTH);
        assert.ok(events.every((e) => (e.event as { cardSerialNumber?: string }).cardSerialNumber === c));
        const ids = events.map((e) => e.id);
        assert.deepStrictEqual(ids, [...ids].sort((x, y) => (Number(y.split('-')[0]) - Number(x.split('-')[0])) || (Number(y.split('-')[1]) - Number(x.split('-')[1]))));
        assert.ok(events.every((e) => Number.isFinite(e.at) && e.text.includes(c)));
    });
});
