// Each system imported alone, as a Pi owner imports it from Import › Examples after a palette
// install: one real Node-RED with an empty user dir (this package, the dashboard and pi-gpio
// installed) gets the file's nodes, config nodes included, as a full deploy (what Deploy sends
// after an import into an empty workspace; each deploy replaces the previous system). Only
// the Redis config node is pointed at this test's Redis, as the demo does. The deploy must be
// taken, no node may log an error, and every node of ours must show what it shows when all is
// well: green, or off a Pi the grey of simulated or missing hardware. The statuses are read
// as the editor reads them (test/support/node-red-comms.ts), the errors from Node-RED's log.
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import Redis from 'ioredis';
import { CLOCK_SKEW_LIMIT_MS } from '../../nodes/lib/images/scripts';
import { FlowNode, pointAtRedis, readFlowFile, systemFlowFiles } from '../../scripts/demo/flows';
import { missingTypes } from '../../scripts/demo/node-red';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { NodeRedInstance } from '../security/node-red-instance';
import { waitFor } from '../support/flow';
import { NodeStatus, NodeStatuses } from '../support/node-red-comms';
import { RedisProcess } from '../support/redis-process';
import { redisNowMs } from '../support/redis-time';
import { knownTypes } from './known-types';

/** A text from one of our nodes' en-US catalogues, as a pattern: its words, any text for each __placeholder__. */
function catalogueText(type: string, key: string): RegExp {
    const file = path.join(REPO_ROOT, 'nodes', type, 'locales', 'en-US', `${type}.json`);
    let text: unknown = (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)[type];
    for (const part of key.split('.')) text = (text as Record<string, unknown> | undefined)?.[part];
    assert.ok(typeof text === 'string', `${type}.${key} is in the catalogue`);
    const literal = (words: string) => words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(text.split(/__\w+__/).map(literal).join('.*'));
}

/** Whether a status's text begins with one of these catalogue texts. */
function begins(status: NodeStatus | undefined, texts: RegExp[]): boolean {
    return texts.some((text) => new RegExp(`^${text.source}`).test(String(status?.text)));
}

/**
 * Our nodes that drive hardware, and what they show in grey when they run without it: the
 * reader, the display and the camera run simulated; the speaker has no player or no sound card.
 */
const WITHOUT_HARDWARE: Record<string, RegExp[]> = {
    'mfrc522-reader': [catalogueText('mfrc522-reader', 'status.simulated')],
    'tm1637-display': [catalogueText('tm1637-display', 'status.simulated')],
    'pi-camera': [catalogueText('pi-camera', 'status.simulated')],
    'audio-prompt': [catalogueText('audio-prompt', 'status.no-sound-device'), catalogueText('audio-prompt', 'status.no-player')],
};

const PICTURE_STORED = [catalogueText('redis-image-store', 'status.stored')];
const CAMERA_CLOCK_FLAGGED = [catalogueText('redis-image-store', 'status.clock-ahead'), catalogueText('redis-image-store', 'status.clock-behind')];

/** Why this status is not what the node shows when all is well; undefined when it is. */
function statusProblem(node: FlowNode, status: NodeStatus | undefined, cameraClockOff: boolean): string | undefined {
    let well: boolean;
    if (node.type === 'redis-image-store') {
        // The camera system takes its first picture 2 s after deploy: the store is well once
        // it has stored it. A camera clock (Node-RED's) more than 5 minutes off Redis's is
        // flagged instead, in yellow.
        well = cameraClockOff ? status?.fill === 'yellow' && begins(status, CAMERA_CLOCK_FLAGGED)
            : status?.fill === 'green' && begins(status, PICTURE_STORED);
    } else {
        // Connected to Redis or to the hardware; without the hardware, grey and saying so; and
        // a speaker that can play shows a status only while it plays.
        well = status?.fill === 'green'
            || (status?.fill === 'grey' && begins(status, WITHOUT_HARDWARE[node.type] ?? []))
            || (status === undefined && node.type === 'audio-prompt');
    }
    return well ? undefined : `${node.type} ${node.id}: ${status ? `${status.fill} ${status.shape} "${status.text}"` : 'no status'}`;
}

/** The log lines that say something went wrong: any error, and any warning from a node of ours but the expected ones. */
function complaints(log: string, ours: Set<string>, expected: RegExp[]): string[] {
    return log.split('\n').filter((line) => {
        if (line.includes('[error]')) return true;
        const warner = /\[warn\] \[([^:\]]+)/.exec(line)?.[1];
        return warner !== undefined && ours.has(warner) && !expected.some((pattern) => pattern.test(line));
    });
}

describe('each system imported alone into an empty Node-RED', function () {
    this.timeout(60000);
    const { ours } = knownTypes();
    let redis: RedisProcess;
    let nodeRed: NodeRedInstance;
    let statuses: NodeStatuses;
    /** Whether Node-RED's clock, which stamps the simulated camera's pictures, is more than 5 minutes off Redis's. */
    let cameraClockOff: boolean;

    before(async function () {
        this.timeout(120000);
        redis = await RedisProcess.start();
        nodeRed = await NodeRedInstance.start();
        statuses = await NodeStatuses.connect(nodeRed.baseUrl);
        // This process's clock stands for Node-RED's: it inherits NODE_OPTIONS, so
        // TEST_NODE_CLOCK_AHEAD_DAYS moves both.
        const client = new Redis(redis.port);
        try {
            cameraClockOff = Math.abs(Date.now() - await redisNowMs(client)) > CLOCK_SKEW_LIMIT_MS;
        } finally {
            client.disconnect();
        }
    });

    after(async function () {
        this.timeout(60000);
        await statuses?.close();
        await nodeRed?.destroy();
        await redis?.destroy();
    });

    for (const file of systemFlowFiles(REPO_ROOT)) {
        const name = path.basename(file, '.json');
        it(`${name}: deploys, nothing logs an error, every node of ours is green (or grey without its hardware)`, async function () {
            const flows = pointAtRedis(readFlowFile(file), { host: '127.0.0.1', port: redis.port, db: 0, tls: false });
            const mark = nodeRed.logMark;
            const deployedAt = Date.now();
            await nodeRed.deploy(flows);
            assert.deepStrictEqual(await missingTypes(nodeRed.baseUrl), [], 'every node type is installed');

            const mine = flows.filter((n) => ours.has(n.type) && n.z);
            assert.ok(mine.length > 0, 'the system uses nodes of this package');
            const problems = () => mine.map((n) => statusProblem(n, statuses.of(n.id), cameraClockOff)).filter((p) => p !== undefined);
            await waitFor(() => problems().length === 0, 20000, () => `every node of ours to show all is well; not yet: ${problems().join('; ')}`);

            // The flow's injects that fire once at deploy have fired, so what they caused is logged.
            const startDelayMs = Math.max(0, ...flows.filter((n) => n.type === 'inject' && n.once).map((n) => Number(n.onceDelay ?? 0.1) * 1000));
            const settled = deployedAt + startDelayMs + 1000;
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, settled - Date.now())));
            const log = nodeRed.logSince(mark);
            assert.match(log, /Started flows/);
            const expected = cameraClockOff ? [catalogueText('redis-image-store', 'log.clock-wrong')] : [];
            assert.deepStrictEqual(complaints(log, ours, expected), [], 'Node-RED\'s log after the deploy');
            assert.deepStrictEqual(problems(), [], 'every node of ours still shows all is well');
        });
    }

    it('a node imported without its Redis config node says so in words, not as a message key', async function () {
        // The config node's texts live in its own catalogue; the other nodes must name it to use them.
        await nodeRed.deploy([{ id: 'lonely-tab', type: 'tab' }, { id: 'lonely-gate', type: 'transit-gate', z: 'lonely-tab', wires: [[], []] }]);
        const words = catalogueText('redis-iot-server', 'errors.missing-config');
        await waitFor(() => statuses.of('lonely-gate')?.fill === 'red', 10000, 'the gate\'s red status');
        assert.ok(begins(statuses.of('lonely-gate'), [words]), `status "${statuses.of('lonely-gate')?.text}" reads ${words}`);
    });
});
