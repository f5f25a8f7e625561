// redis-iot-server (the config node) fuzzed through flows: 500 generated settings, each
// deployed with a transit-gate using it. Hosts that do not resolve, ports that are closed,
// that accept and never answer, or that answer something other than Redis, wrong modes,
// sentinel and cluster lists, TLS against a plain Redis, odd databases and timeouts: every
// gate ends up green (a Redis it can use) or red, never stuck connecting, and a tap sent to
// it is answered once. A gate whose settings the config node refuses outright shows red at
// once and turns each tap into one error for Catch nodes.
import assert from 'assert/strict';
import net from 'net';
import fc from 'fast-check';
import { FlowNode, helper, loggedBy, statusOf, waitFor } from '../support/flow';
import { freePort } from '../support/redis-process';
import { oddString, settingValue } from './arbitraries';
import { describeValue, fuzzFlow, fuzzReporter, fuzzSuite, loadFuzzFlow, Msg, Outcome, OutcomeTracker } from './harness';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');

// 500 settings in five deploys: each deploy waits for its slowest setting, a TLS handshake
// with a port that never answers (the connect timeout, 2 s).
const PAIRS = 100;
const RUNS = 5;

interface OddServers {
    silent: net.Server;
    chatty: net.Server;
    /** Connections still open to either server. */
    open: Set<net.Socket>;
}

/** A port that accepts connections and never says a word, and one that answers like a web server. */
async function oddServers(): Promise<OddServers> {
    const open = new Set<net.Socket>();
    const track = (socket: net.Socket) => {
        open.add(socket);
        socket.on('close', () => open.delete(socket));
        socket.on('error', () => undefined);
    };
    // It reads (and drops) what it gets, as any peer's kernel would: a socket that is never
    // read never sees the client's FIN, and would look open for good.
    const silent = net.createServer((socket) => {
        track(socket);
        socket.resume();
    }).listen(0, '127.0.0.1');
    const chatty = net.createServer((socket) => {
        track(socket);
        socket.on('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
    }).listen(0, '127.0.0.1');
    await Promise.all([silent, chatty].map((s) => new Promise((r) => s.once('listening', r))));
    return { silent, chatty, open };
}

const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;

/**
 * Nodes that have logged an error: called right after a deploy, the config nodes that refused
 * their settings and the users that could not register with a config node (refused settings,
 * or a client that could not be opened).
 */
function failedAtDeploy(): Set<string> {
    return new Set(loggedBy(undefined, 20).map((e) => String(e.id)));
}

/** A gate (the node under test) using one config node with these settings. */
function oneServerFlow(settings: Record<string, unknown>): FlowNode[] {
    return fuzzFlow({ type: 'transit-gate', server: 'odd-server', keyPrefix: 'fuzz:pass:', stream: 'fuzz:events' }, 2, [
        { host: '127.0.0.1', db: 0, timeout: 250, ...settings, id: 'odd-server', type: 'redis-iot-server' },
    ]);
}

describe('fuzz: redis-iot-server settings', function () {
    this.timeout(180000);
    const ctx = fuzzSuite({ redis: true });
    let servers: OddServers;
    let closed: number;
    before(async () => {
        servers = await oddServers();
        closed = await freePort();
    });
    after(async function () {
        this.timeout(30000);
        // A client that outlived its flow (the socket test below would fail) retries against closed ports from now on.
        servers.open.forEach((socket) => socket.destroy());
        servers.silent.close();
        servers.chatty.close();
        // Lookups already queued cannot be cancelled: let them drain before the next suite needs the pool.
        await waitFor(() => !process.getActiveResourcesInfo().includes('GetAddrInfoReqWrap'), 20000, 'pending host name lookups').catch(() => undefined);
    });

    function configArb(): fc.Arbitrary<Record<string, unknown>> {
        const ports = [ctx.port, closed, portOf(servers.silent), portOf(servers.chatty)];
        // Names that do not resolve are looked up in libuv's four-thread pool, where each lookup
        // waits for the resolver: kept rare, so that the lookups and their retries cannot fill
        // the pool that file access needs too.
        const dnsName = fc.oneof(fc.constantFrom('nowhere.invalid', '-rf.invalid', '256.1.1.1.invalid'),
            oddString.filter((s) => s.length < 100).map((s) => `${encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '')).slice(0, 50)}.invalid`));
        const address = fc.constantFrom('127.0.0.1', 'localhost', '::1', '0.0.0.0', '127.0.0.2');
        const hostList = fc.array(fc.tuple(fc.oneof({ arbitrary: address.map((a) => (a.includes(':') ? `[${a}]` : a)), weight: 12 }, { arbitrary: dnsName, weight: 1 }),
            fc.constantFrom(...ports)), { maxLength: 3 }).map((hosts) => hosts.map(([h, p]) => `${h}:${p}`).join(', '));
        return fc.record({
            host: fc.oneof({ arbitrary: fc.oneof(address, fc.constant('')), weight: 12 }, { arbitrary: dnsName, weight: 1 }),
            port: fc.oneof({ arbitrary: fc.constantFrom(...ports), weight: 8 }, { arbitrary: settingValue, weight: 1 }),
            db: fc.oneof({ arbitrary: fc.constantFrom(0, 1, 15, 16, '3', ''), weight: 8 }, { arbitrary: settingValue, weight: 1 }),
            mode: fc.oneof({ arbitrary: fc.constantFrom('standalone', 'sentinel', 'cluster'), weight: 4 }, { arbitrary: settingValue, weight: 1 }),
            tls: fc.oneof({ arbitrary: fc.boolean(), weight: 8 }, { arbitrary: settingValue, weight: 1 }),
            sentinels: fc.oneof(hostList, settingValue),
            sentinelName: fc.oneof(fc.constantFrom('mymaster', ''), settingValue),
            clusterNodes: fc.oneof(hostList, settingValue),
            timeout: fc.oneof({ arbitrary: fc.constantFrom(250, 1000, '', '300'), weight: 8 }, { arbitrary: settingValue, weight: 1 }),
        });
    }

    it('gives every user of 500 generated settings a red or green status and answers each tap once', async function () {
        const seen = { green: 0, red: 0, refused: 0, reachedRedis: 0, unavailable: 0 };
        const configs = fc.array(configArb(), { minLength: PAIRS, maxLength: PAIRS });
        await fc.assert(fc.asyncProperty(configs, async (batch) => {
            const flow: FlowNode[] = [{ id: 'tab', type: 'tab' }, { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] }, { id: 'caught', type: 'helper', z: 'tab' }];
            batch.forEach((config, i) => {
                flow.push({ ...config, id: `server${i}`, type: 'redis-iot-server', z: 'tab' } as FlowNode);
                flow.push({ id: `gate${i}`, type: 'transit-gate', z: 'tab', server: `server${i}`, keyPrefix: 'fuzz:pass:', stream: 'fuzz:events', repeatWindow: 0, wires: [['answers'], ['answers']] });
            });
            flow.push({ id: 'answers', type: 'helper', z: 'tab' });
            await loadFuzzFlow([serverModule, gateModule], flow);
            const answers: Msg[] = [];
            const caught: Msg[] = [];
            (helper.getNode('answers') as unknown as NodeJS.EventEmitter).on('input', (m: Msg) => answers.push(m));
            (helper.getNode('caught') as unknown as NodeJS.EventEmitter).on('input', (m: Msg) => caught.push(m));
            const all = batch.map((_, i) => i);
            for (const i of all) if (!helper.getNode(`gate${i}`)) assert.fail(`no gate for settings ${describeValue(batch[i])}`);
            // Settings the config node refuses, or cannot open a client with (Sentinel mode with no
            // sentinel listed): the gate says so at deploy, and shows red from the start.
            const failed = failedAtDeploy();
            const refused = all.filter((i) => failed.has(`server${i}`) || failed.has(`gate${i}`));
            for (const i of refused) {
                assert.equal(statusOf(`gate${i}`).fill, 'red', `a red status for refused settings ${describeValue(batch[i])}: ${JSON.stringify(statusOf(`gate${i}`))}`);
            }
            const stuck = () => all.filter((i) => !['red', 'green'].includes(String(statusOf(`gate${i}`).fill)));
            await waitFor(() => stuck().length === 0, 15000, 'a red or green status')
                .catch(() => assert.fail(`no red or green status for settings ${describeValue(batch[stuck()[0]])}: ${JSON.stringify(statusOf(`gate${stuck()[0]}`))}`));
            for (const i of all) seen[statusOf(`gate${i}`).fill as 'red' | 'green']++;
            seen.refused += refused.length;

            all.forEach((i) => helper.getNode(`gate${i}`).receive({ payload: 'AB12', _msgid: `tap-${i}` } as never));
            await waitFor(() => answers.length + caught.length >= all.length, 15000, 'an answer to every tap');
            await new Promise((r) => setTimeout(r, 50));
            assert.equal(answers.length + caught.length, all.length, 'one answer per tap');
            // A gate with refused settings has no store: its tap is one error for Catch nodes.
            const tapOf = (m: Msg) => Number(String(m._msgid).slice(4));
            assert.deepEqual(caught.map(tapOf).sort((a, b) => a - b), refused,
                `only a gate with refused settings answers a tap with an error: ${caught.map((m) => describeValue(m.error)).join('; ')}`);
            for (const answer of answers) {
                const reason = String((answer.payload as Msg).reason);
                // A gate that reaches Redis finds no pass there; one that cannot says so at once.
                // (Which of the two is not asserted: on a loaded machine a health check can miss.)
                assert.ok(['no-pass', 'unavailable'].includes(reason), `tap at ${describeValue(batch[tapOf(answer)])}: ${reason}`);
                seen[reason === 'no-pass' ? 'reachedRedis' : 'unavailable']++;
            }
            await helper.unload();
        }), { seed: 6001, numRuns: RUNS, endOnFailure: true, asyncReporter: fuzzReporter(6001) });
        assert.equal(seen.green + seen.red, PAIRS * RUNS);
        assert.equal(seen.reachedRedis + seen.unavailable + seen.refused, PAIRS * RUNS);
        assert.ok(seen.green > 0 && seen.red > 0 && seen.refused > 0 && seen.reachedRedis > 0 && seen.unavailable > 0, JSON.stringify(seen));
    });

    // Found by this suite: ioredis's Cluster reports seed nodes whose names do not resolve by closing,
    // without an 'error' event, so the state stays "connecting" for ever instead of turning red.
    it('shows red for a cluster whose seed nodes do not resolve', async function () {
        await loadFuzzFlow([serverModule, gateModule], oneServerFlow({ port: ctx.port, mode: 'cluster', clusterNodes: 'nowhere.invalid:6379' }));
        await waitFor(() => statusOf('dut').fill === 'red', 10000, `red, not ${JSON.stringify(statusOf('dut'))}`);
    });

    // Found by this suite: the Sentinel client's commands have no time limit (ioredis's
    // sentinelCommandTimeout is unset), so a sentinel that accepts and never answers (paused, half-open)
    // keeps the state at "connecting" for ever.
    it('shows red for a sentinel that never answers', async function () {
        await loadFuzzFlow([serverModule, gateModule], oneServerFlow({ port: ctx.port, mode: 'sentinel', sentinelName: 'mymaster', sentinels: `127.0.0.1:${portOf(servers.silent)}` }));
        await waitFor(() => statusOf('dut').fill === 'red', 10000, `red, not ${JSON.stringify(statusOf('dut'))}`);
    });

    // A Sentinel-mode client whose sentinel never answers tries again every second with a
    // fresh connection: none of them may outlive the flow.
    it('closes every socket when the flow stops, whatever the settings', async function () {
        for (const [mode, list] of [['sentinel', 'sentinels'], ['cluster', 'clusterNodes'], ['standalone', 'x']]) {
            await loadFuzzFlow([serverModule, gateModule], oneServerFlow({ port: portOf(servers.silent), mode, sentinelName: 'mymaster', [list]: `127.0.0.1:${portOf(servers.silent)}` }));
            await waitFor(() => servers.open.size > 0, 5000, 'a connection');
            await helper.unload();
            await waitFor(() => servers.open.size === 0, 5000, `${mode}: every socket closed, not ${servers.open.size}`);
        }
    });

    // Found by this suite: with settings the config node refuses (a port that is not a number, a negative
    // database, an unparsable sentinel list), register() throws inside each user's constructor, so the user
    // node is never created: no red status, and its input goes nowhere.
    // Also found by this suite: a command timeout longer than Node's timers hold (2^31-1 ms) was accepted
    // and turned into 1 ms, so every command failed while the status showed connected; it is refused now.
    it('gives the users of refused settings a red status and an error for each message', async function () {
        for (const refused of [{ port: 'abc' }, { port: 70000 }, { db: -1 }, { timeout: 'soon' }, { timeout: 1e10 },
            { mode: 'sentinel', sentinels: 'a:b:c' }, { mode: 'sentinel', sentinels: '' }]) {
            await loadFuzzFlow([serverModule, gateModule], oneServerFlow({ port: ctx.port, mode: 'standalone', ...refused }));
            assert.ok(helper.getNode('dut'), `a gate for ${JSON.stringify(refused)}`);
            assert.equal(statusOf('dut').fill, 'red');
            const tracker = new OutcomeTracker(2);
            const [id] = tracker.send([{ payload: 'AB12' }]);
            await tracker.waitEnded([id], 5000);
            const o = tracker.outcomes.get(id) as Outcome;
            assert.equal(o.errors.length, 1, `an error for Catch with ${JSON.stringify(refused)}`);
            assert.equal(o.outputs.length, 0, `no answer with ${JSON.stringify(refused)}`);
            await helper.unload();
        }
    });
});
