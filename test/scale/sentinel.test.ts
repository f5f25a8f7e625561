// Gates and a sales terminal on a config node in Sentinel mode, under continuous traffic,
// while the primary fails over: once on request (SENTINEL FAILOVER, the old primary stays
// up and is demoted) and once by a crash (SIGKILL). The gates must come back by
// themselves, and the final state of the new primary must hold every acknowledged sale
// and grant, with no card granted more entries than its pass held.
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { catchNode, collect, FlowNode, helper, load, Msg, SERVER_ID, statusOf, waitFor, waitGreen } from '../support/flow';
import { uniqueCard } from '../support/cards';
import { skipWithoutTmpfs } from '../support/redis-process';
import { RedisSentinelGroup } from '../support/redis-sentinel';
import { gateNodeIds, transitFlow } from '../support/transit-flow';
import { cardKeys } from '../../nodes/lib/transit/keys';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');
const saleModule = require('../../nodes/transit-sale/transit-sale');

const PREFIX = 'sentinel:pass:';
const GATES = 4;
const RIDES = { SINGLE_USE: 1, TEN_TRIP: 10 } as const;
type SoldType = keyof typeof RIDES;
/**
 * From the end of the failover (every sentinel names the new primary) to the first grant
 * on it. With one replica, a decision can be confirmed again only once the old primary
 * follows the new one, and Sentinel reconfigures a demoted or restarted primary 10 to 20 s
 * after the failover. A second failover can start up to 10 s after the first (Sentinel's
 * failover delay), so the bound starts when the failover under test has ended.
 */
const RECOVERY_BOUND_MS = 30000;
/** How long the test watches for a recovery that takes longer than the bound, to report it. */
const RECOVERY_WATCH_MS = 40000;

/** The gates, and the terminal `terminal0` that sells the cards they are tapped with. */
function flow(group: RedisSentinelGroup): FlowNode[] {
    return [
        ...transitFlow(0, { keyPrefix: PREFIX, stream: 'sentinel:events', gates: GATES, gateIds: 'sentinel-gate', terminals: 1,
            // A decision counts once the replica has it: a write only the primary took is lost
            // when the replica is promoted.
            server: { mode: 'sentinel', sentinels: group.sentinelList, sentinelName: group.name, replicas: 1 } }),
        { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
    ];
}

interface Sale { card: string; passType: SoldType; saleId: string }
interface Grant { card: string; tapId: string; at: number }

const newCard = () => uniqueCard('5E');

/**
 * Sells cards at the terminal and taps them at random gates, continuously, keeping every
 * answer: acknowledged sales, grants (with their tap ids) and denials by reason.
 */
class Traffic {
    readonly sales: Sale[] = [];
    readonly grants: Grant[] = [];
    readonly denials = new Map<string, number>();
    private readonly granted = collect('granted');
    private readonly denied = collect('denied');
    private readonly sold = collect('sold');
    private readonly refused = collect('refused');
    /** Cards sold during the traffic, newest last: these still have rides. */
    private readonly recent: Sale[] = [];
    /**
     * Cards sold (and replicated) before the failure and first tapped after it: a ride
     * charged on a primary whose writes are then lost would be granted again on the new one.
     */
    private readonly commuterCards = new Set<string>();
    private commuters: Sale[] = [];
    private tapsSent = 0;
    private salesSent = 0;
    private timers: NodeJS.Timeout[] = [];
    private seen = { granted: 0, denied: 0, sold: 0 };

    start(): void {
        this.timers.push(setInterval(() => this.sell(newCard(), this.salesSent % 2 ? 'TEN_TRIP' : 'SINGLE_USE'), 40));
        this.timers.push(setInterval(() => this.tap(), 8));
    }

    /** Sells `count` cards of each type, to be tapped only from tapCommuters() on. */
    async sellCommuters(count: number): Promise<void> {
        for (let i = 0; i < 2 * count; i++) {
            const card = newCard();
            this.commuterCards.add(card);
            this.sell(card, i % 2 ? 'TEN_TRIP' : 'SINGLE_USE');
        }
        await waitFor(() => {
            this.absorb();
            return this.sales.filter((s) => this.commuterCards.has(s.card)).length === this.commuterCards.size;
        }, 10000, 'the commuters\' passes sold');
    }

    /** From now on every other tap goes to a commuter's card. */
    tapCommuters(): void {
        this.commuters = this.sales.filter((s) => this.commuterCards.has(s.card));
    }

    /** Stops sending at once (also when a test fails half way). */
    halt(): void {
        this.timers.forEach(clearInterval);
        this.timers = [];
    }

    /** Stops sending and waits for an answer to everything sent. */
    async stop(): Promise<void> {
        this.halt();
        await waitFor(() => this.granted.length + this.denied.length === this.tapsSent
            && this.sold.length + this.refused.length === this.salesSent, 15000, 'an answer to every tap and sale');
        this.absorb();
    }

    /** When the first grant at or after `moment` came (NaN: none yet). */
    firstGrantSince(moment: number): number {
        this.absorb();
        return this.grants.find((g) => g.at >= moment)?.at ?? Number.NaN;
    }

    grantsSince(moment: number): number {
        this.absorb();
        return this.grants.filter((g) => g.at >= moment).length;
    }

    private sell(card: string, passType: SoldType): void {
        this.salesSent += 1;
        helper.getNode('terminal0').receive({ payload: { card, passType } } as never);
    }

    private tap(): void {
        this.absorb();
        // Recent cards still have rides: tapping them keeps most taps granted, and each
        // card is tapped several times, by different gates.
        const pool = this.commuters.length > 0 && this.tapsSent % 2 ? this.commuters : this.recent.slice(-24);
        if (pool.length === 0) return;
        const card = pool[Math.floor(Math.random() * pool.length)].card;
        const gate = Math.floor(Math.random() * GATES);
        this.tapsSent += 1;
        helper.getNode(`gate${gate}`).receive({ payload: card } as never);
    }

    // Output messages are collected as they come; this turns the new ones into records.
    private absorb(): void {
        const now = Date.now();
        for (; this.seen.sold < this.sold.length; this.seen.sold++) {
            const m = this.sold[this.seen.sold] as Msg & { saleId: string };
            const pass = m.payload as { card: string; passType: SoldType };
            const sale = { card: pass.card, passType: pass.passType, saleId: m.saleId };
            this.sales.push(sale);
            if (!this.commuterCards.has(sale.card)) this.recent.push(sale);
        }
        for (; this.seen.granted < this.granted.length; this.seen.granted++) {
            const m = this.granted[this.seen.granted] as Msg & { tapId: string };
            this.grants.push({ card: (m.payload as { card: string }).card, tapId: m.tapId, at: now });
        }
        for (; this.seen.denied < this.denied.length; this.seen.denied++) {
            const reason = (this.denied[this.seen.denied].payload as { reason: string }).reason;
            this.denials.set(reason, (this.denials.get(reason) ?? 0) + 1);
        }
    }
}

interface Audit {
    cards: number;
    grants: number;
    /** Cards granted more entries than their pass held. */
    doubleGranted: Array<{ card: string; passType: SoldType; grants: number }>;
    /** Acknowledged grants whose tap record is missing on the final primary. */
    lostGrants: number;
    /** Acknowledged sales whose sale record is missing on the final primary. */
    lostSales: number;
    /** Cards whose final pass shows fewer rides used than were granted. */
    underCharged: number;
}

/** Checks every acknowledged answer against the final state of the (new) primary. */
async function audit(traffic: Traffic, primary: Redis): Promise<Audit> {
    const grantsByCard = new Map<string, Grant[]>();
    for (const g of traffic.grants) grantsByCard.set(g.card, [...(grantsByCard.get(g.card) ?? []), g]);
    const result: Audit = { cards: traffic.sales.length, grants: traffic.grants.length, doubleGranted: [], lostGrants: 0, lostSales: 0, underCharged: 0 };
    for (const sale of traffic.sales) {
        const keys = cardKeys(PREFIX, sale.card);
        const grants = grantsByCard.get(sale.card) ?? [];
        const [saleRecord, passExists, trips, ...tapRecords] = await Promise.all([
            primary.exists(keys.record(`sale:${sale.saleId}`)),
            primary.exists(keys.pass),
            primary.hget(keys.pass, 'tripsRemaining'),
            ...grants.map((g) => primary.exists(keys.record(`tap:${g.tapId}`))),
        ]);
        const rides = RIDES[sale.passType];
        if (!saleRecord) result.lostSales += 1;
        if (grants.length > rides) result.doubleGranted.push({ card: sale.card, passType: sale.passType, grants: grants.length });
        result.lostGrants += tapRecords.filter((exists) => !exists).length;
        const left = !passExists ? 0 : sale.passType === 'TEN_TRIP' ? Number(trips) : 1;
        if (rides - left < grants.length) result.underCharged += 1;
    }
    return result;
}

/** Whether the config node's command client (named node-red:<id>) is connected to this server. */
const gateClientOn = (group: RedisSentinelGroup, port: number): Promise<boolean> => group.hasClient(port, `node-red:${SERVER_ID}`);

interface FailoverOptions {
    /** How many times, at least, the sentinels must have switched the primary; 1 by default. */
    switches?: number;
    /** Keep the data servers' AOF on a tmpfs (see RedisProcessOptions). */
    filesInMemory?: boolean;
}

/**
 * Runs gate and sale traffic through a failure (`fail` resolves with the first new
 * primary) and checks every acknowledged answer against the primary the deployment
 * settles on.
 */
async function failoverDuringTraffic(fail: (group: RedisSentinelGroup) => Promise<number>, label: string, options: FailoverOptions = {}): Promise<void> {
    const switches = options.switches ?? 1;
    const group = await RedisSentinelGroup.start({ filesInMemory: options.filesInMemory });
    let primary: Redis | undefined;
    let running: Traffic | undefined;
    try {
        await load([serverModule, gateModule, saleModule, catchNode], flow(group));
        await waitGreen(['terminal0', ...gateNodeIds(GATES)], 15000, 'every node connected');
        const caught = collect('caught');
        const traffic = new Traffic();
        running = traffic;
        traffic.start();
        await traffic.sellCommuters(20);
        await waitFor(() => traffic.grantsSince(0) >= 100, 15000, '100 grants before the failure');

        const oldPrimary = await group.primaryPort();
        const failedAt = Date.now();
        traffic.tapCommuters();
        const newPrimary = await fail(group);
        const failedOverAt = Date.now();
        // A crashed Redis is restarted by its supervisor, with its AOF: Sentinel makes it
        // a replica of the new primary, so that the deployment has a replica again (or, if
        // the new primary is slow to answer its first pings, promotes it back).
        if (!group.server(oldPrimary).running) await group.server(oldPrimary).start();

        let onNewPrimaryAt = Number.NaN;
        let recoveredAt = Number.NaN;
        // The primary the sentinels name now: usually `newPrimary`, but a second failover can follow.
        const onCurrentPrimary = async () => gateClientOn(group, await group.primaryPort().catch(() => newPrimary));
        await waitFor(onCurrentPrimary, RECOVERY_WATCH_MS, 'the gates on the new primary').then(
            () => { onNewPrimaryAt = Date.now(); }, () => undefined);
        if (!Number.isNaN(onNewPrimaryAt)) {
            await waitFor(() => traffic.grantsSince(onNewPrimaryAt) > 0, RECOVERY_WATCH_MS, 'a grant on the new primary').then(
                () => { recoveredAt = traffic.firstGrantSince(onNewPrimaryAt); }, () => undefined);
        }
        if (!Number.isNaN(recoveredAt)) {
            // Long enough on the new primary for every commuter's card to be tapped again.
            await waitFor(() => traffic.grantsSince(recoveredAt) >= 50, 15000, 'grants on the new primary').catch(() => undefined);
            await new Promise((r) => setTimeout(r, Math.max(0, recoveredAt + 3000 - Date.now())));
        }
        await traffic.stop();

        // A server drops whatever it took on its own once it follows the primary: only once
        // every server follows one primary is that primary's state the final one.
        const finalPrimary = await group.settledPrimary();
        primary = new Redis({ port: finalPrimary, host: '127.0.0.1' });
        const result = await audit(traffic, primary);
        const summary = {
            test: label,
            primarySwitches: group.switches,
            finalPrimary: finalPrimary === newPrimary ? 'the first new primary' : finalPrimary === oldPrimary ? 'the old primary' : 'another',
            failoverMs: failedOverAt - failedAt,
            clientOnNewPrimaryMs: onNewPrimaryAt - failedAt,
            firstGrantAfterMs: recoveredAt - failedAt,
            sales: result.cards,
            grants: result.grants,
            grantsAfterFailure: traffic.grantsSince(failedAt),
            denials: Object.fromEntries(traffic.denials),
            doubleGrantedCards: result.doubleGranted.length,
            lostGrants: result.lostGrants,
            lostSales: result.lostSales,
            underChargedCards: result.underCharged,
            errorsCaught: caught.length,
        };
        console.log(`      sentinel ${JSON.stringify(summary)}`);
        const detail = JSON.stringify(summary);

        // The failure under test really happened. A spontaneous second failover (a new
        // primary slow to answer its first pings) is allowed: the audit holds it too.
        assert.ok(summary.primarySwitches >= switches, `fewer primary switches than ${switches}: ${detail}`);

        assert.deepEqual(result.doubleGranted, [], `cards granted more entries than sold: ${detail}`);
        assert.equal(result.lostGrants, 0, `acknowledged grants missing on the new primary: ${detail}`);
        assert.equal(result.lostSales, 0, `acknowledged sales missing on the new primary: ${detail}`);
        assert.equal(result.underCharged, 0, `grants not charged on the new primary: ${detail}`);
        // An outage is answered with denials and refusals, not with errors for Catch nodes.
        assert.deepEqual(caught.map((m) => (m.error as { message?: string })?.message), [], `errors caught: ${detail}`);
        assert.ok(recoveredAt - failedOverAt <= RECOVERY_BOUND_MS, `no grant on the new primary within ${RECOVERY_BOUND_MS} ms of the failover: ${detail}`);

        // Every gate grants again, on the flow as deployed, and shows it in green.
        for (let i = 0; i < GATES; i++) {
            const card = newCard();
            const sold = collect('sold');
            helper.getNode('terminal0').receive({ payload: { card, passType: 'TEN_TRIP' } } as never);
            await waitFor(() => sold.length === 1, 5000, `a sale for gate ${i}`);
            const granted = collect('granted');
            helper.getNode(`gate${i}`).receive({ payload: card } as never);
            await waitFor(() => granted.length === 1, 5000, `a grant at gate ${i}`);
            assert.equal(statusOf(`gate${i}`).fill, 'green');
            assert.equal(await primary.hget(cardKeys(PREFIX, card).pass, 'tripsRemaining'), '9');
        }
    } finally {
        running?.halt();
        await helper.unload();
        primary?.disconnect();
        await group.destroy();
    }
}

describe('gates on Sentinel, failing over during traffic', function () {
    this.timeout(180000);

    // Sentinel leaves the demoted primary writable for 10-15 s, and gates that kept deciding
    // there lost it all when it followed the new primary (measured before the fix: 34 cards
    // granted more entries than sold, 677 grants and 273 sales lost). The config node's
    // `replicas` (WAIT) and ioredis's failover detector make it hold.
    it('recover by themselves after SENTINEL FAILOVER, with no entry granted twice and nothing acknowledged lost', async function () {
        await failoverDuringTraffic((group) => group.failover(), 'SENTINEL FAILOVER');
    });

    it('recover by themselves after the primary is SIGKILLed, with no entry granted twice and nothing acknowledged lost', async function () {
        await failoverDuringTraffic((group) => group.killPrimary(), 'SIGKILL');
    });

    // Seen in CI: the new primary answered its first pings late (1.1 s against the 1 s
    // down-after), and the sentinels failed over again, back to the old primary that had
    // just been restarted with its AOF. The writes the first new primary took alone are
    // dropped when it follows; none of them may have been acknowledged.
    // The acknowledged writes survive only in the old primary's AOF here (the replica that
    // also had them drops them when it follows), so the AOF is kept in memory: on a busy disk
    // an everysec SIGKILL can lose acknowledged writes (see kill-mid-burst), Redis's bound.
    it('recover by themselves when the new primary stalls and the restarted old one is promoted back, with nothing acknowledged lost', async function () {
        skipWithoutTmpfs(this);
        await failoverDuringTraffic(async (group) => {
            const old = await group.primaryPort();
            const first = await group.killPrimary();
            await group.server(old).start();
            // The gates move to the first new primary and decide there (unconfirmed: it has
            // no replica yet), then it stops answering, before Sentinel can make the
            // restarted server its replica (at least 8 s).
            await waitFor(() => gateClientOn(group, first), 5000, 'the gates on the first new primary');
            await new Promise((r) => setTimeout(r, 1000));
            group.server(first).signal('SIGSTOP');
            try {
                await group.waitForNewPrimary(first, 20000);
            } finally {
                group.server(first).signal('SIGCONT');
            }
            return first;
        }, 'SIGKILL, then the new primary stalls', { switches: 2, filesInMemory: true });
    });
});
