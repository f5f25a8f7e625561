// Gates that keep working while Redis is away (issue 15). Gate runtimes (separate
// Node-REDs, each with a userDir of its own) talk to Redis through a TCP proxy; the test
// cuts them off (a blackhole, and Redis itself SIGKILLed and restarted behind it) while
// taps flow, heals, waits for every journal to be replayed, and compares what the gates
// said and journaled with what Redis holds and what a monitor showed.
import assert from 'node:assert/strict';
import { collect, helper, load, Msg, serverNode, SERVER_ID, statusOf, waitFor } from '../support/flow';
import { states, waitDrained, waitReplicas } from '../support/gate-journal';
import type { GateRuntime } from '../support/gate-runtime';
import { redisNowMs } from '../support/redis-time';
import type { StreamEvent } from '../../nodes/lib/transit/event-reader';
import type { Product } from '../../nodes/lib/transit/products';
import { checkOffline, decisionEntries } from './offline-check';
import { planOutage } from './offline-plan';
import {
    Decisions, denyOf, gateIdOf, isUnavailable, JournalLine, offlineCard, OfflineWorld, passOf, policyGate, PRODUCTS, readJournal,
    sleep, STREAM, streamEvents, tapRecord,
} from './offline-rig';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const monitorModule = require('../../nodes/transit-monitor/transit-monitor');

/** A transit-monitor in this process, straight on Redis, as a control room's Node-RED runs it. */
async function deployMonitor(port: number): Promise<Msg[]> {
    await load([serverModule, monitorModule], [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port), z: 'tab' },
        { id: 'monitor', type: 'transit-monitor', z: 'tab', server: SERVER_ID, stream: STREAM, group: 'offline-monitor', wires: [['events']] },
        { id: 'events', type: 'helper', z: 'tab' },
    ]);
    const shown = collect('events');
    await waitFor(() => statusOf('monitor').fill === 'green', 10000, 'the monitor connected');
    return shown;
}

/** Every journal line of these gates now, by tap id; fails on a tap journaled twice. */
function journals(gates: Array<[GateRuntime, number]>): Map<string, JournalLine> {
    const all = new Map<string, JournalLine>();
    for (const [runtime, gate] of gates) {
        for (const line of readJournal(runtime, gate)) {
            assert.ok(!all.has(line.tapId), `tap ${line.tapId} journaled twice`);
            all.set(line.tapId, line);
        }
    }
    return all;
}

describe('faults: gates that keep working while Redis is away (offline policies, journal, replay)', function () {
    this.timeout(180000);
    let world: OfflineWorld;
    beforeEach(async () => { world = await OfflineWorld.start(); });
    afterEach(async () => {
        await helper.unload();
        await world.close();
    });

    it('four known-passes gates in two Node-REDs: Redis away while 640 cards tap; every journal replayed, each tap charged once, each overuse reported once', async function () {
        const shown = await deployMonitor(world.redis.port);
        const { cards, perRuntime } = await planOutage(world);
        const runtimes = await Promise.all([0, 1].map((r) => world.runtime(`og${r}`, 2, policyGate('known-passes'))));
        const seenUserDirs = (await states(runtimes)).map((s) => s.userDir);
        assert.deepEqual(seenUserDirs, runtimes.map((r) => r.flow.userDir), 'RED.settings.userDir is the runtime\'s own');
        await waitReplicas(runtimes, cards.filter((c) => c.kind !== 'none').length);

        const said = new Decisions();
        const total = perRuntime[0].length + perRuntime[1].length;
        const cutAt = 40; // decisions before the cut: the warm cards' first taps, answered by Redis
        let cut = false;
        let killedRedis = false;
        const flow = async (r: number) => {
            for (let i = 0; i < perRuntime[r].length; i += 8) {
                await said.tap(runtimes[r], perRuntime[r].slice(i, i + 8));
                if (!cut && said.all.length >= cutAt) {
                    cut = true;
                    world.proxy.blackhole();
                }
            }
        };
        // Behind the blackhole, Redis itself dies and comes back from its AOF.
        const killer = async () => {
            await waitFor(() => said.all.length >= total / 2, 120000, 'half the taps');
            await world.redis.stop('SIGKILL');
            await sleep(300);
            await world.redis.start();
            killedRedis = true;
        };
        const tapsStarted = Date.now();
        await Promise.all([flow(0), flow(1), killer()]);
        const tapsMs = Date.now() - tapsStarted;
        assert.ok(killedRedis && cut);

        const unavailable = said.all.filter(isUnavailable);
        assert.deepEqual(unavailable.map((d) => d.tapId), [], 'known-passes gates answered unavailable');
        const offline = said.offline;
        const journaled = journals(runtimes.flatMap((r) => [[r, 0], [r, 1]] as Array<[GateRuntime, number]>));
        assert.deepEqual([...journaled.keys()].sort(), offline.map((d) => d.tapId).sort(), 'the journals hold exactly the offline decisions');
        for (const d of offline) assert.equal(journaled.get(d.tapId)?.gate, d.gateId, `tap ${d.tapId} in its own gate's journal`);
        // One gate alone never lets a card ride more than its pass holds.
        for (const c of cards.filter((c) => c.rides !== undefined)) {
            for (const r of runtimes) for (const g of [0, 1]) {
                const grants = offline.filter((d) => d.card === c.card && d.granted && d.gateId === gateIdOf(r, g)).length;
                assert.ok(grants <= (c.rides as number), `${gateIdOf(r, g)} granted ${c.card} (${c.product?.id}) ${grants} rides of ${c.rides}`);
            }
        }

        world.proxy.heal();
        const { ms: replayMs, sawReplaying } = await waitDrained(runtimes, 90000, new Set(offline.map((d) => d.gateId)));
        const stream = await streamEvents(world.direct);
        const checked = await checkOffline(world.direct, cards, said.all, journaled, stream);
        assert.deepEqual(checked.violations.slice(0, 20), [], `${checked.violations.length} disagreements`);

        // The monitor showed every entry once, in order; each offline decision among them once, marked offline.
        await waitFor(() => shown.length >= stream.length, 30000, () => `the monitor shows ${stream.length} entries (${shown.length})`);
        await sleep(300);
        assert.deepEqual(shown.map((m) => m.eventId), stream.map((e) => e.id), 'the monitor shows the stream once, in order');
        const entryOf = new Map(decisionEntries(stream).map((e: StreamEvent) => [e.id, e]));
        const shownOps = new Map<string, Msg[]>();
        for (const m of shown) {
            const op = entryOf.get(String(m.eventId))?.op;
            if (op) shownOps.set(op, [...(shownOps.get(op) ?? []), m]);
        }
        const entriesOf = (op: string) => decisionEntries(stream).filter((e) => e.op === op).length;
        for (const d of offline) {
            const msgs = shownOps.get(d.tapId) ?? [];
            // Once; twice only for a tap Redis refused live whose answer was lost (its denial, then the overuse: see checkOffline).
            assert.equal(msgs.length, Math.max(1, entriesOf(d.tapId)), `offline tap ${d.tapId} shown ${msgs.length} times`);
            // Marked offline, unless Redis had decided it live before the gate gave up on it (see checkOffline).
            for (const m of msgs) {
                const entry = entryOf.get(String(m.eventId)) as StreamEvent;
                assert.equal((m.payload as { offline?: boolean }).offline, (entry.event as { offline?: boolean }).offline, `offline tap ${d.tapId} shown as the stream has it`);
            }
        }
        const figures = {
            cards: cards.length, taps: said.all.length, online: said.all.length - offline.length, offline: offline.length,
            offlineGrants: offline.filter((d) => d.granted).length, overuses: checked.stats.overuses, firstUseOffline: checked.stats.firstUseChecked, decidedLiveAtTheCut: checked.stats.decidedLiveAtTheCut,
            tapsMs, replayMs, sawReplaying, replayedPerS: Math.round(offline.length / (replayMs / 1000)),
        };
        console.log(`      outage: ${JSON.stringify(figures)}`);
        assert.ok(checked.stats.overuses >= 25 + 40 + 30, 'the planned overuses happened');
    });

    it('a Node-RED SIGKILLed while it journals: restarted on its userDir, it replays; every answered tap charged once, at most one lost', async function () {
        const cards = Array.from({ length: 40 }, () => offlineCard());
        await Promise.all(cards.map((card) => world.sell(card, 'TEN_TRIP')));
        let runtime = await world.runtime('ok', 2, policyGate('known-passes'));
        await waitReplicas([runtime], cards.length);
        world.proxy.blackhole();

        const said = new Decisions();
        const killAfter = 60 + Math.floor(Math.random() * 40);
        let n = 0;
        for (;;) {
            const tapping = said.tap(runtime, [{ gate: n % 2, card: cards[n % cards.length] }], 1);
            if (++n === killAfter) {
                await sleep(Math.random() * 5);
                await runtime.kill();
                // Answered just before the kill, or never: either way it is the last one sent.
                await tapping.catch((err: Error) => assert.match(err.message, /exited/));
                break;
            }
            await tapping;
        }
        const sent = said.sent;
        assert.ok(n <= cards.length * 8, 'eight taps a card at most: no overuse');
        const answered = said.all.length;
        const lost = sent.length - answered;
        assert.ok(lost <= 1, `${lost} taps sent but not answered`);
        const onDisk = readJournal(runtime, 0).length + readJournal(runtime, 1).length;

        runtime = await world.restart(runtime);
        // The restarted gates reopen their journals and say what they hold, Redis still away.
        let pending = -1;
        await waitFor(async () => {
            const gates = (await runtime.state()).gates;
            pending = gates.reduce((sum, g) => sum + (g.journal?.pending ?? 0), 0);
            return gates.every((g) => g.journal !== undefined);
        }, 10000, () => `the restarted gates report their journals (${pending} pending so far)`);
        assert.ok(pending >= answered && pending <= answered + lost, `${pending} pending after the restart, ${answered} answered`);
        world.proxy.heal();
        const { ms: replayMs } = await waitDrained([runtime], 60000, new Set(said.all.map((d) => d.gateId)));

        let charged = 0;
        for (const d of said.all) {
            const record = await tapRecord(world.direct, d.card, d.tapId);
            assert.equal(record?.granted, d.granted, `answered tap ${d.tapId}: record ${JSON.stringify(record)}`);
        }
        for (const s of sent) if ((await tapRecord(world.direct, s.card, s.tapId))?.granted) charged++;
        assert.ok(charged >= answered && charged <= answered + lost, `${charged} charged, ${answered} answered`);
        for (const card of cards) {
            const rides = (await Promise.all(sent.filter((s) => s.card === card).map((s) => tapRecord(world.direct, card, s.tapId))))
                .filter((r) => r?.granted).length;
            assert.equal((await passOf(world.direct, card))?.tripsRemaining, String(10 - rides), `card ${card}: ${rides} rides charged`);
        }
        const ops = decisionEntries(await streamEvents(world.direct)).map((e) => e.op).filter((op) => op?.startsWith('ok-'));
        assert.equal(new Set(ops).size, ops.length, 'each tap once on the stream');
        console.log(`      SIGKILL: ${JSON.stringify({ answered, lost, onDisk, pending, charged, replayMs })}`);
    });

    it('each policy as documented: deny unchanged, open lets everyone in, known-passes decides from its copy', async function () {
        const TEN = PRODUCTS.find((p) => p.id === 'TEN_TRIP') as Product;
        const SHORT: Product = { id: 'SHORT', label: 'five seconds', rides: 0, validity: 5, starts: 'sale' };
        const [a0, a1, a2, b1, b2, u1, u2, e1] = Array.from({ length: 8 }, () => offlineCard());
        for (const card of [a0, a1, a2, b1, b2]) await world.sell(card, TEN);
        for (const card of [b1, b2]) await world.admin.block(card, 'stolen', 'staff', `block-${card}`);
        const runtime = await world.runtime('pol', 3, {}, [policyGate('deny'), policyGate('known-passes', 30), policyGate('open')]);
        // Sold once the gates run: the copy learns it from Redis, not from its first load.
        const short = await world.store.sell(e1, SHORT, `sale-${e1}`, 'offline-test');
        await waitReplicas([runtime], 6);
        world.proxy.blackhole();
        // The short pass runs out while the gates cannot hear Redis say so.
        await waitFor(async () => (await redisNowMs(world.direct)) > (short.expiresAt as number) + 200, 10000, 'the short pass expired');

        const said = new Decisions();
        await said.tap(runtime, [{ gate: 0, card: a0 }], 1);
        await said.tap(runtime, [a1, a1, u1, b1, e1].map((card) => ({ gate: 1, card })), 1);
        await said.tap(runtime, [a2, u2, b2].map((card) => ({ gate: 2, card })), 1);
        const [deny, known1, knownAgain, unknown, blocked, expired, open2, openUnknown, openBlocked] = said.all;
        const brief = (d: typeof deny) => ({ granted: d.granted, reason: d.payload.reason, offline: d.offline, payloadOffline: d.payload.offline });

        assert.deepEqual(brief(deny), { granted: false, reason: 'unavailable', offline: false, payloadOffline: undefined }, 'deny');
        assert.deepEqual(brief(known1), { granted: true, reason: undefined, offline: true, payloadOffline: true }, 'known pass');
        assert.deepEqual(brief(knownAgain), { granted: false, reason: 'repeat-tap', offline: true, payloadOffline: true }, 'repeat');
        assert.deepEqual(brief(unknown), { granted: false, reason: 'no-pass', offline: true, payloadOffline: true }, 'unknown card');
        assert.deepEqual(brief(blocked), { granted: false, reason: 'blocked', offline: true, payloadOffline: true }, 'blocked card');
        // Past its expiresAt the pass is gone from the copy as from Redis (PEXPIREAT): no-pass, as Redis would say; expired also denies.
        assert.deepEqual({ ...brief(expired), reason: undefined }, { granted: false, reason: undefined, offline: true, payloadOffline: true }, 'expired pass');
        assert.ok(['expired', 'no-pass'].includes(String(expired.payload.reason)), `expired pass denied for ${String(expired.payload.reason)}`);
        for (const d of [open2, openUnknown, openBlocked]) assert.deepEqual(brief(d), { granted: true, reason: undefined, offline: true, payloadOffline: true }, `open ${d.card}`);
        assert.deepEqual(readJournal(runtime, 0), [], 'the deny gate journals nothing');
        assert.deepEqual(readJournal(runtime, 1).map((l) => l.tapId), [known1, knownAgain, unknown, blocked, expired].map((d) => d.tapId));
        assert.deepEqual(readJournal(runtime, 2).map((l) => [l.tapId, l.policy, l.granted]), [open2, openUnknown, openBlocked].map((d) => [d.tapId, 'open', true]));

        world.proxy.heal();
        await waitDrained([runtime], 30000, new Set(['pol-gate-1', 'pol-gate-2']));
        const stream = await streamEvents(world.direct);
        const on = (d: typeof deny) => decisionEntries(stream).filter((e) => e.op === d.tapId);
        // deny: nothing journaled, nothing charged later.
        assert.equal(await tapRecord(world.direct, a0, deny.tapId), null);
        assert.equal((await passOf(world.direct, a0))?.tripsRemaining, '10');
        assert.deepEqual(on(deny), []);
        // known-passes: the grant charged once, each denial recorded (not charged) and on the stream once.
        assert.equal((await passOf(world.direct, a1))?.tripsRemaining, '9');
        for (const d of [known1, knownAgain, unknown, blocked, expired]) {
            assert.equal((await tapRecord(world.direct, d.card, d.tapId))?.granted, d.granted, `record of ${d.tapId}`);
            assert.deepEqual(on(d).map((e) => [e.channel, (e.event as { offline?: boolean }).offline]), [[d.granted ? 'pass-used:TEN_TRIP' : 'pass-denied', true]]);
        }
        assert.equal((await denyOf(world.direct, b1))?.reason, 'stolen');
        // open: the valid pass charged, the others recorded as unpaid rides; no deny entry for them.
        assert.equal((await passOf(world.direct, a2))?.tripsRemaining, '9');
        assert.deepEqual(on(open2).map((e) => e.channel), ['pass-used:TEN_TRIP']);
        for (const d of [openUnknown, openBlocked]) {
            assert.deepEqual(on(d).map((e) => [e.channel, (e.event as { offline?: boolean }).offline]), [['pass-unpaid', true]], `unpaid ${d.card}`);
        }
        assert.equal(await denyOf(world.direct, u2), null);
        assert.equal((await denyOf(world.direct, b2))?.reason, 'stolen');
        assert.equal(stream.filter((e) => e.channel === 'pass-overused').length, 0);
    });
});
