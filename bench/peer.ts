// Against the peer, side by side: what a Node-RED user would pick instead of our nodes,
// node-red-contrib-redis, in the same Node-RED runtime and the same run, on the same
// Redis and load as ours (issue 13). Counter propagation, gate decisions and resident
// memory, each ours beside theirs. How the two sides' flows are built: bench/peer/flows.ts.
import Redis from 'ioredis';
import { nodeRedLine as testedLine, helper } from '../test/support/flow';
import { PEER_PACKAGE } from './peer/flows';
import { counterPropagation, countersReady, gateDecisions, GateSide, loadBothSides, prepareRedis, Side } from './peer/in-process';
import { residentMemory, SideRss } from './peer/rss';
import { progress, Summary } from './stats';
import { megabytes, rate, row, TableRow, times } from './table';

/** Counter changes a side, at this rate a side (the two sides' changes interleave). */
const COUNTER_CHANGES = 1000;
const COUNTER_PER_SECOND = 50;
/** Gate taps go to the two sides in turn, this many at a time. */
const GATE_BLOCK = 250;

export interface PeerBench {
    results: {
        peer: string;
        nodeRed: string;
        counter: Record<Side, Summary>;
        gate: Record<string, Record<GateSide, Summary>>;
        rss: Record<Side, SideRss>;
    };
    rows: TableRow[];
}

function peerVersion(): string {
    return (require(`${PEER_PACKAGE}/package.json`) as { version: string }).version;
}

export async function benchPeer(port: number, n: number): Promise<PeerBench> {
    const peer = `${PEER_PACKAGE} ${peerVersion()}`;
    const system = `Against ${peer}`;
    const redis = new Redis(port);
    const gate: Record<string, Record<GateSide, Summary>> = {};
    let counter: Record<Side, Summary>;
    try {
        await prepareRedis(redis);
        progress(`peer: ours and ${peer} in one Node-RED ${testedLine.version}`);
        await loadBothSides(port);
        try {
            await countersReady(redis);
            progress(`peer: counter, ${COUNTER_PER_SECOND} changes/s a side, alternating, ${COUNTER_CHANGES} each`);
            counter = await counterPropagation(port, COUNTER_PER_SECOND, COUNTER_CHANGES);
            for (const concurrency of [1, 16]) {
                progress(`peer: gate, ${n} taps a side, ${concurrency} in flight, ${GATE_BLOCK} at a time in turn`);
                gate[concurrency] = await gateDecisions(n, concurrency, GATE_BLOCK);
            }
        } finally {
            await helper.unload();
        }
    } finally {
        redis.disconnect();
    }
    progress('peer: resident memory, each side alone in two fresh Node-REDs, after a full GC, 30 to 60 s after its flows start');
    const rss = await residentMemory(testedLine, port);
    for (const side of ['ours', 'theirs'] as const) {
        for (const line of rss[side].logged) progress(`peer: ${side}'s Node-RED logged: ${line}`);
    }

    const rows: TableRow[] = [
        row(system, `counter propagation, INCR elsewhere to node output (${COUNTER_PER_SECOND} changes/s): p50 / p99`,
            times(counter.ours), 'redis-in (keyspace) + change + redis-command GET', times(counter.theirs)),
    ];
    for (const [concurrency, sides] of Object.entries(gate)) {
        const inFlight = `${concurrency} in flight`;
        const theirs = 'redis-lua-script alone, the same tap script, its arguments handed ready-made';
        const asBuilt = 'their gate as a flow: function (arguments) + redis-lua-script + json + switch (granted / denied)';
        rows.push(
            row(system, `gate decisions/s, ${inFlight}`, rate(sides.ours), asBuilt, rate(sides.theirsAsBuilt)),
            row(system, `gate p50 / p99, ${inFlight}`, times(sides.ours), asBuilt, times(sides.theirsAsBuilt)),
            row(system, `gate decisions/s, ${inFlight}`, rate(sides.ours), theirs, rate(sides.theirs)),
            row(system, `gate p50 / p99, ${inFlight}`, times(sides.ours), theirs, times(sides.theirs)),
        );
    }
    rows.push(row(system, `RSS, flows alone in a fresh Node-RED ${testedLine.version} (after a full GC, median 30-60 s)`,
        megabytes(rss.ours.rssMb), 'their flows alone, likewise',
        rss.theirs.error ? `did not run: ${rss.theirs.error}` : megabytes(rss.theirs.rssMb)));
    if (rss.ours.error) throw new Error(`our flows did not run for the resident memory figure: ${rss.ours.error}`);
    return { results: { peer, nodeRed: testedLine.version, counter, gate, rss }, rows };
}
