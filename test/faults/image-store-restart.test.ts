// The camera keeps storing through Redis being SIGKILLed and restarted from its AOF.
// A checker connection takes atomic snapshots (one read-only script) all the time and
// demands that no half-written image is ever visible: every indexed id has its hash,
// every image hash is indexed, the byte count matches the sizes and the bytes, and
// every store that was acknowledged is there (or was evicted, oldest first, by retention).
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { Node } from 'node-red';
import { catchNode, FlowNode, helper, load, Msg, serverNode, SERVER_ID, statusOf, waitFor } from '../support/flow';
import { RedisProcess, skipWithoutTmpfs } from '../support/redis-process';
import { freshNames, makeJpeg } from '../lib/images/fixtures';
import { sleep } from './transit-rig';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const storeModule = require('../../nodes/redis-image-store/redis-image-store');

const MAX_COUNT = 25;
const KILLS = 3;

/** Everything about one image set, read in one atomic step. */
const SNAPSHOT_SCRIPT = `
local prefix, index = ARGV[1], ARGV[2]
local ids = redis.call('ZRANGE', index, 0, -1)
local images = {}
for _, id in ipairs(ids) do
  local key = prefix .. id
  images[#images + 1] = {redis.call('EXISTS', key), redis.call('HSTRLEN', key, 'image_data'),
    redis.call('HSTRLEN', key, 'thumbnail'), redis.call('HGET', key, 'size') or '', redis.call('HGET', key, 'mime_type') or ''}
end
return cjson.encode({ids = ids, images = images, hashes = redis.call('KEYS', prefix .. '*'),
  sizes = redis.call('HGETALL', index .. ':sizes'), bytes = redis.call('GET', index .. ':bytes') or '0',
  camera = redis.call('ZRANGE', index .. ':camera:camera', 0, -1)})
`;

interface Snapshot {
    ids: string[];
    images: Array<[number, number, number, string, string]>;
    hashes: string[];
    sizes: string[];
    bytes: string;
    camera: string[];
}

// cjson writes an empty Lua table as {}.
const list = <T>(value: T[] | Record<string, never>): T[] => (Array.isArray(value) ? value : []);

/** What is wrong with a snapshot; `acked` are the stores acknowledged before it was taken. */
function problems(s: Snapshot, keyPrefix: string, acked: string[]): string[] {
    const out: string[] = [];
    const ids = list(s.ids);
    const idSet = new Set(ids);
    const hashIds = list(s.hashes).map((k) => k.slice(keyPrefix.length));
    for (const id of hashIds) if (!idSet.has(id)) out.push(`hash ${id} without index entry`);
    const sizes = new Map<string, number>();
    const flat = list(s.sizes);
    for (let i = 0; i + 1 < flat.length; i += 2) sizes.set(flat[i], Number(flat[i + 1]));
    let total = 0;
    list(s.images).forEach(([exists, data, thumb, sizeField, mime], i) => {
        const id = ids[i];
        if (exists !== 1) out.push(`index entry ${id} without hash`);
        else if (data === 0 || sizeField !== String(data) || mime !== 'image/jpeg') out.push(`image ${id} incomplete: ${data} bytes, size ${sizeField}, ${mime}`);
        if (sizes.get(id) !== data + thumb) out.push(`image ${id}: size record ${sizes.get(id)}, stored ${data + thumb}`);
        total += sizes.get(id) ?? 0;
    });
    if (sizes.size !== ids.length) out.push(`${sizes.size} size records for ${ids.length} images`);
    if (Number(s.bytes) !== total) out.push(`byte count ${s.bytes}, sizes add up to ${total}`);
    if (list(s.camera).join() !== ids.join()) out.push('camera index differs from the main index');
    if (ids.length > MAX_COUNT) out.push(`${ids.length} images kept, limit ${MAX_COUNT}`);
    // Acknowledged and missing is fine only if retention evicted it. With these limits
    // (100 MB, one day) retention evicts by count alone, so an eviction always leaves
    // exactly MAX_COUNT images, all newer than the evicted one; an empty or short index
    // after a restart excuses nothing. Ids are `%.0f-%012d`, so they compare as strings.
    const evicted = (id: string) => ids.length === MAX_COUNT && id < ids[0];
    for (const id of acked) if (!idSet.has(id) && !evicted(id)) out.push(`acknowledged image ${id} is missing`);
    return out;
}

describe('faults: the camera stores through Redis being killed and restarted', function () {
    this.timeout(120000);
    afterEach(() => helper.unload());

    for (const fsync of ['everysec', 'always']) {
        it(`(appendfsync ${fsync}) never shows a half-written image and keeps every acknowledged store`, async function () {
            // everysec keeps its AOF in memory, for the reason kill-mid-burst gives: on a busy
            // disk a SIGKILL can lose writes Redis has acknowledged (its documented everysec
            // bound), and this test must fail on the package's losses only. `always` runs on the disk.
            const filesInMemory = fsync === 'everysec';
            if (filesInMemory) skipWithoutTmpfs(this);
            const own = await RedisProcess.start(['--appendonly', 'yes', '--appendfsync', fsync], { filesInMemory });
            const checker = new Redis(own.port, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
            checker.on('error', () => undefined); // Redis is down on purpose; the loop retries
            try {
                const names = freshNames();
                const flow: FlowNode[] = [
                    { id: 'tab', type: 'tab' },
                    { ...serverNode(own.port), z: 'tab' },
                    { id: 'store', type: 'redis-image-store', z: 'tab', server: SERVER_ID, ...names, maxCount: MAX_COUNT,
                        maxBytes: 104857600, maxAge: 86400, maxImageSize: 5242880, thumbnailWidth: 16, wires: [['out']] },
                    { id: 'out', type: 'helper', z: 'tab' },
                    { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
                    { id: 'caught', type: 'helper', z: 'tab' },
                ];
                await load([serverModule, storeModule, catchNode], flow);
                await waitFor(() => statusOf('store').fill === 'green', 10000, 'store connected');

                // Feeders: each sends a picture, waits for its answer (stored or an error), repeats.
                const acked: string[] = [];
                let failed = 0;
                const answers = new Map<string, (ok: boolean, msg: Msg) => void>();
                (helper.getNode('out') as Node).on('input', (m: Msg) => answers.get(String(m.feed))?.(true, m));
                (helper.getNode('caught') as Node).on('input', (m: Msg) => answers.get(String(m.feed))?.(false, m));
                const pictures = [0, 60, 120, 180].map((shade) => makeJpeg(48, 32, shade));
                let feeding = true;
                let sent = 0;
                const feeder = async () => {
                    while (feeding) {
                        const feed = `f${++sent}`;
                        const answered = new Promise<boolean>((resolve, reject) => {
                            const timer = setTimeout(() => reject(new Error(`${feed}: no answer`)), 10000);
                            answers.set(feed, (ok, m) => {
                                clearTimeout(timer);
                                answers.delete(feed);
                                if (ok) acked.push(String(m.imageId));
                                resolve(ok);
                            });
                        });
                        helper.getNode('store').receive({ payload: pictures[sent % pictures.length], feed } as never);
                        if (!(await answered)) {
                            failed++;
                            await sleep(10);
                        }
                    }
                };

                // The checker: atomic snapshots, back to back, for the whole run.
                const violations: string[] = [];
                let snapshots = 0;
                let checking = true;
                const check = async () => {
                    while (checking) {
                        const ackedBefore = [...acked];
                        let snapshot: Snapshot;
                        try {
                            snapshot = JSON.parse(await checker.eval(SNAPSHOT_SCRIPT, 0, names.keyPrefix, names.index) as string) as Snapshot;
                        } catch {
                            await sleep(20); // Redis is down: nothing to see
                            continue;
                        }
                        snapshots++;
                        violations.push(...problems(snapshot, names.keyPrefix, ackedBefore).map((p) => `snapshot ${snapshots}: ${p}`));
                        await sleep(2);
                    }
                };

                const feeders = [feeder(), feeder()];
                const checking$ = check();
                const snapshotsPerRestart: number[] = [];
                try {
                    for (let kill = 0; kill < KILLS; kill++) {
                        const mark = acked.length;
                        await waitFor(() => acked.length >= mark + 30, 30000, `30 stores before kill ${kill + 1}`);
                        await own.stop('SIGKILL');
                        await sleep(300);
                        await own.start();
                        const after = snapshots;
                        const ackedAtRestart = acked.length;
                        await waitFor(() => acked.length >= ackedAtRestart + 30 && snapshots > after + 10, 30000, `stores and checks after restart ${kill + 1}`);
                        snapshotsPerRestart.push(snapshots - after);
                    }
                } finally {
                    feeding = false;
                    await Promise.all(feeders);
                    checking = false;
                    await checking$;
                }
                const final = JSON.parse(await checker.eval(SNAPSHOT_SCRIPT, 0, names.keyPrefix, names.index) as string) as Snapshot;
                violations.push(...problems(final, names.keyPrefix, acked).map((p) => `final: ${p}`));
                console.log(`      images (${fsync}): ${JSON.stringify({ stored: acked.length, failed, snapshots, snapshotsPerRestart, kept: list(final.ids).length })}`);
                assert.deepEqual(violations.slice(0, 20), [], `${violations.length} violations`);
                assert.equal(list(final.ids).length, MAX_COUNT, 'retention kept the newest images');
                assert.ok(failed > 0, 'the kills interrupted stores');
            } finally {
                checker.disconnect();
                await own.destroy();
            }
        });
    }
});
