// Many gates racing on the same cards, round after round: twenty gate nodes in one
// Node-RED runtime, then gates in several Node-RED processes (each with its own config
// node and Redis connection), all against one Redis. Every round sells a single-use, a
// ten-trip and a two-hour pass and has every gate tap each card at once: exactly one
// entry on the single use, exactly ten on the ten trip, and the two-hour pass activated
// exactly once while it lets everyone in.
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { collect, helper, load, Msg, waitFor, waitGreen } from '../support/flow';
import { uniqueCard } from '../support/cards';
import { Decision, gateFlow, GateRuntime, Tap } from '../support/gate-runtime';
import { gateNodeIds } from '../support/transit-flow';
import { cardKeys } from '../../nodes/lib/transit/keys';
import { TransitStore } from '../../nodes/lib/transit/store';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');

const PREFIX = 'many:pass:';
const STREAM = 'many:events';
const ROUNDS = 100;

const newCard = () => uniqueCard('3A');

interface RoundCards { single: string; ten: string; two: string }
interface Answer { granted: boolean; payload: Record<string, unknown>; source: string }

async function sellRound(store: TransitStore, round: number): Promise<RoundCards> {
    const cards = { single: newCard(), ten: newCard(), two: newCard() };
    await store.sell(cards.single, 'SINGLE_USE', `many-${round}-single`, 'many-terminal');
    await store.sell(cards.ten, 'TEN_TRIP', `many-${round}-ten`, 'many-terminal');
    await store.sell(cards.two, 'TWO_HOUR', `many-${round}-two`, 'many-terminal');
    return cards;
}

/** Checks one round's answers: `tapsPerCard` taps of each card, by as many gates. */
async function checkRound(redis: Redis, round: number, cards: RoundCards, answers: Answer[], tapsPerCard: number): Promise<void> {
    const of = (card: string) => answers.filter((a) => a.payload.card === card);
    const grants = (card: string) => of(card).filter((a) => a.granted);
    assert.equal(answers.length, 3 * tapsPerCard, `round ${round}: every tap answered`);
    assert.equal(grants(cards.single).length, 1, `round ${round}: single use granted ${grants(cards.single).length} times`);
    assert.equal(grants(cards.ten).length, 10, `round ${round}: ten trip granted ${grants(cards.ten).length} times`);
    assert.equal(grants(cards.two).length, tapsPerCard, `round ${round}: two hour granted ${grants(cards.two).length} of ${tapsPerCard}`);
    assert.equal(grants(cards.two).filter((a) => a.payload.activated).length, 1, `round ${round}: two hour activated once`);
    // Every ride left on the ten trip was handed out exactly once: 9, 8, ... 0.
    assert.deepEqual(grants(cards.ten).map((a) => a.payload.remainingTrips).sort((a, b) => Number(b) - Number(a)),
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], `round ${round}: ten trip rides`);
    for (const card of [cards.single, cards.ten]) {
        const refused = of(card).filter((a) => !a.granted).map((a) => a.payload.reason);
        assert.ok(refused.every((r) => r === 'no-pass'), `round ${round}: refusals ${JSON.stringify(refused)}`);
    }
    assert.equal(await redis.exists(cardKeys(PREFIX, cards.single).pass, cardKeys(PREFIX, cards.ten).pass), 0, `round ${round}: used passes gone`);
    assert.ok(await redis.hget(cardKeys(PREFIX, cards.two).pass, 'activatedAt'), `round ${round}: two hour pass activated in Redis`);
}

describe('many gates racing on the same cards', function () {
    this.timeout(60000);
    let redis: Redis;
    let store: TransitStore;

    before(() => {
        redis = new Redis(sharedRedis().port);
        store = new TransitStore(redis, { keyPrefix: PREFIX, stream: STREAM });
    });
    after(() => redis.quit());

    it('twenty gate nodes in one runtime never grant more entries than the passes allow', async function () {
        const GATES = 20;
        try {
            await load([serverModule, gateModule], gateFlow({ name: 'many', port: sharedRedis().port, gates: GATES, keyPrefix: PREFIX, stream: STREAM }));
            await waitGreen(gateNodeIds(GATES), 10000, 'every gate connected');
            const granted = collect('granted');
            const denied = collect('denied');
            for (let round = 0; round < ROUNDS; round++) {
                const cards = await sellRound(store, round);
                granted.length = 0;
                denied.length = 0;
                // Gate by gate, each card once: the three cards' taps interleave in flight.
                for (let g = 0; g < GATES; g++) {
                    for (const card of [cards.single, cards.ten, cards.two]) helper.getNode(`gate${g}`).receive({ payload: card } as never);
                }
                await waitFor(() => granted.length + denied.length === 3 * GATES, 10000, `round ${round} answered`);
                const answers = [...granted.map((m) => answer(m, true)), ...denied.map((m) => answer(m, false))];
                await checkRound(redis, round, cards, answers, GATES);
            }
            console.log(`      ${ROUNDS} rounds, ${ROUNDS * 3 * GATES} taps`);
        } finally {
            await helper.unload();
        }
    });

    it('gates in four Node-RED processes never grant more entries than the passes allow', async function () {
        const RUNTIMES = 4;
        const GATES = 6;
        const runtimes = await Promise.allSettled(Array.from({ length: RUNTIMES }, (_, r) =>
            GateRuntime.start({ name: `proc${r}`, port: sharedRedis().port, gates: GATES, keyPrefix: PREFIX, stream: STREAM })));
        const started = runtimes.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        try {
            const failed = runtimes.find((r): r is PromiseRejectedResult => r.status === 'rejected');
            if (failed) throw failed.reason;
            let nextId = 0;
            let splitRounds = 0;
            for (let round = 0; round < ROUNDS; round++) {
                const cards = await sellRound(store, round);
                const batches = started.map(() => {
                    const taps: Tap[] = [];
                    for (let g = 0; g < GATES; g++) {
                        for (const card of [cards.single, cards.ten, cards.two]) taps.push({ id: nextId++, gate: g, card });
                    }
                    return taps;
                });
                // Every runtime gets its taps before any answer comes back: they race in Redis.
                const decided = await Promise.all(started.map((runtime, r) => runtime.tap(batches[r])));
                const answers = decided.flatMap((decisions, r) => decisions.map((d: Decision) => ({ granted: d.granted, payload: d.payload, source: `proc${r}` })));
                await checkRound(redis, round, cards, answers, RUNTIMES * GATES);
                const tenGrantedBy = new Set(answers.filter((a) => a.granted && a.payload.card === cards.ten).map((a) => a.source));
                if (tenGrantedBy.size > 1) splitRounds += 1;
            }
            // The processes really raced: the ten rides were shared between processes in
            // some rounds, rather than one process taking every card before the next started.
            console.log(`      ${ROUNDS} rounds, ${nextId} taps; ten trip rides shared between processes in ${splitRounds} rounds`);
            assert.ok(splitRounds > 0, 'no round had ten trip rides granted in more than one process');
        } finally {
            await Promise.all(started.map((r) => r.stop()));
        }
    });
});

function answer(m: Msg, granted: boolean): Answer {
    return { granted, payload: m.payload as Record<string, unknown>, source: 'gate' };
}
