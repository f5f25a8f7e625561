import assert from 'assert';
import { sharedRedis } from '../../support/global-redis';
import { waitFor } from '../../support/flow';
import { RedisConnection } from '../../../nodes/lib/redis/connection';
import { decisionClient as decisionClientOf } from '../../../nodes/lib/transit/decision-client';
import { storeForConnection } from '../../../nodes/lib/transit/store';
import { uniqueCard } from '../../support/cards';
import { redisNowMs } from '../../support/redis-time';
import { DAY_MS, withWallClockStepped } from '../../support/wall-clock';

describe('RedisConnection (real Redis)', function () {
    let connection: RedisConnection | undefined;
    afterEach(async () => connection?.close());

    it('keeps decisions that wait for replicas off the shared socket, so a WAIT holds nothing else up', async function () {
        // The test Redis has no replica: every WAIT runs to its timeout (1.8 s here). Replies
        // come back in the order sent on a socket, so behind a WAIT the PING would come
        // back with the sale's answer; on its own socket it comes back at once.
        connection = new RedisConnection({ mode: 'standalone', host: '127.0.0.1', port: sharedRedis().port, db: 0, tls: false,
            replicas: 1, commandTimeout: 3000, healthCheckInterval: 0 });
        const { command } = connection;
        const decisionClient = decisionClientOf(connection);
        await waitFor(() => command.status === 'ready' && decisionClient.status === 'ready', 5000, 'both clients ready');
        const store = storeForConnection(connection, { keyPrefix: 'conn-test:pass:', stream: 'conn-test:events' });
        const sale = store.sell('C0FFEE01', 'TEN_TRIP', `s-${Date.now()}`, 't').then(
            () => ({ at: Date.now(), outcome: 'sold' }), (err: Error) => ({ at: Date.now(), outcome: err.name }));
        await command.ping();
        const pingAt = Date.now();
        const { at, outcome } = await sale;
        assert.strictEqual(outcome, 'NotReplicatedError');
        assert.ok(at - pingAt > 900, `the PING came back ${at - pingAt} ms before the sale's answer, not with it`);
    });

    it("keeps decisions on Redis's clock when this host's wall clock is stepped by days between two checks", async function () {
        // A Pi's clock jumps when NTP first answers after a boot. The deadline each decision
        // carries (on Redis's clock) must not jump with it: stepped back, every decision would
        // arrive "late" and change nothing; stepped ahead, a late one would still act.
        connection = new RedisConnection({ mode: 'standalone', host: '127.0.0.1', port: sharedRedis().port, db: 0, tls: false,
            commandTimeout: 250, healthCheckInterval: 3_600_000 });
        const { command } = connection;
        // The check made when the client is ready is the only one in this test.
        await waitFor(() => connection?.deadline() !== 0, 5000, 'the clock offset measured');
        const store = storeForConnection(connection, { keyPrefix: 'conn-test:pass:', stream: 'conn-test:events' });
        for (const stepDays of [-10, 10]) {
            await withWallClockStepped(stepDays * DAY_MS, async () => {
                const before = await redisNowMs(command);
                const deadline = connection?.deadline() ?? 0;
                assert.ok(deadline > before && deadline <= before + 250 + 50, `stepped ${stepDays} days: deadline ${deadline - before} ms after Redis's now`);
                const card = uniqueCard('C10C');
                const sale = await store.sell(card, 'TEN_TRIP', `s-${card}`, 't');
                assert.strictEqual(sale.sold, true, `stepped ${stepDays} days: ${JSON.stringify(sale)}`);
            });
        }
    });

    it('sends decisions on the command client when none wait for replicas', function () {
        connection = new RedisConnection({ mode: 'standalone', host: '127.0.0.1', port: sharedRedis().port, db: 0, tls: false,
            commandTimeout: 250, healthCheckInterval: 0 });
        assert.strictEqual(decisionClientOf(connection), connection.command);
    });
});
