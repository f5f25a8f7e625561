import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { catchNode, collect, FlowNode, helper, load, loggedBy, serverNode, statusOf, waitFor } from '../support/flow';
import { captureScriptIds, redisNowMs, storedMsOf } from '../support/redis-time';
import { freshNames, makeJpeg } from '../lib/images/fixtures';
import { MAX_WAITING_DECODES } from '../../nodes/lib/off-thread/jpeg-work';
import { DAY_MS } from '../support/wall-clock';


const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const storeModule = require('../../nodes/redis-image-store/redis-image-store');

function storeFlow(port: number, extra: Record<string, unknown>): FlowNode[] {
    return [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port), z: 'tab' },
        { id: 'store', type: 'redis-image-store', z: 'tab', server: 'redis-test', maxCount: 1000, maxBytes: 104857600, maxAge: 86400, maxImageSize: 5242880, thumbnailWidth: 320, wires: [['out']], ...extra },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
    ];
}

describe('redis-image-store node', function () {
    let redis: Redis;
    before(() => {
        redis = new Redis(sharedRedis().port);
    });
    after(() => redis.quit());
    afterEach(() => helper.unload());

    it('stores msg.payload and sends the id on instead of the bytes', async function () {
        const names = freshNames();
        await load([serverModule, storeModule, catchNode], storeFlow(sharedRedis().port, names));
        const out = collect('out');
        const jpeg = makeJpeg(320, 240);
        await waitFor(() => statusOf('store').fill === 'green', 3000, 'connected');
        // A camera whose clock agrees with Redis's.
        const captured = await redisNowMs(redis);
        helper.getNode('store').receive({ payload: jpeg, image: { camera: 'garden', lux: 42, timestamp: captured }, topic: 'kept' } as never);
        await waitFor(() => out.length === 1, 3000, 'stored message');
        const msg = out[0] as Record<string, unknown> & { image: Record<string, unknown> };
        assert.match(String(msg.payload), /^\d{10}\.\d{15}$/);
        assert.ok(storedMsOf(String(msg.payload)) >= captured, 'the id is the time Redis stored it');
        assert.strictEqual(msg.image.timestamp, captured);
        assert.strictEqual(msg.image.clockSkewMs, undefined);
        assert.strictEqual(msg.imageId, msg.payload);
        assert.strictEqual(msg.topic, 'kept');
        assert.deepStrictEqual([msg.image.camera, msg.image.size, msg.image.width, msg.image.mimeType], ['garden', jpeg.length, 320, 'image/jpeg']);
        assert.ok(!Object.values(msg).some((v) => Buffer.isBuffer(v)), 'no bytes in the output message');
        assert.ok((await redis.hgetBuffer(`${names.keyPrefix}${msg.payload}`, 'image_data'))?.equals(jpeg));
        assert.strictEqual(statusOf('store').fill, 'green');
    });

    it('refuses a non-image and an oversized image with an error for Catch and nothing written', async function () {
        const names = freshNames();
        await load([serverModule, storeModule, catchNode], storeFlow(sharedRedis().port, { ...names, maxImageSize: 2000 }));
        const out = collect('out');
        const caught = collect('caught');
        await waitFor(() => statusOf('store').fill === 'green', 3000, 'connected');
        const before = await redis.dbsize();
        helper.getNode('store').receive({ payload: Buffer.from('<svg onload=alert(1)>') } as never);
        helper.getNode('store').receive({ payload: makeJpeg(300, 300) } as never);
        helper.getNode('store').receive({ payload: 'hello' } as never);
        await waitFor(() => caught.length === 3, 3000, 'three errors');
        const errors = caught.map((m) => String((m.error as { message: string }).message));
        assert.match(errors[0], /not a JPEG or PNG/);
        assert.match(errors[1], /larger than the limit of 2000 bytes/);
        assert.match(errors[2], /must be a Buffer/);
        assert.strictEqual(out.length, 0);
        assert.strictEqual(await redis.dbsize(), before);
        assert.strictEqual(await redis.exists(names.index), 0);
        assert.strictEqual(statusOf('store').fill, 'red');
    });

    it('keeps all five pictures of a camera whose clock is 10 days behind, and says so once in its log and status', async function () {
        // A Pi after a boot without NTP: fake-hwclock restored the time of its last shutdown.
        const names = freshNames();
        await load([serverModule, storeModule, catchNode], storeFlow(sharedRedis().port, { ...names, maxAge: 86400 }));
        const out = collect('out');
        const caught = collect('caught');
        await waitFor(() => statusOf('store').fill === 'green', 3000, 'connected');
        const behind = (await redisNowMs(redis)) - 10 * DAY_MS;
        for (let i = 0; i < 5; i++) {
            helper.getNode('store').receive({ payload: makeJpeg(32, 24, i * 40), image: { camera: 'porch', timestamp: behind + i * 30_000 } } as never);
            await waitFor(() => out.length === i + 1, 3000, `picture ${i + 1} stored`);
        }
        assert.deepStrictEqual(caught, []);
        const ids = out.map((m) => String(m.payload));
        assert.deepStrictEqual(await redis.zrevrange(names.index, 0, -1), [...ids].reverse(), 'all five kept, newest stored first');
        out.forEach((m, i) => assert.strictEqual((m.image as { clockSkewMs: number }).clockSkewMs, behind + i * 30_000 - storedMsOf(ids[i]), `picture ${i}: capture minus stored time`));
        const warnings = loggedBy('store').filter((e) => e.msg === 'redis-image-store.log.clock-wrong');
        assert.strictEqual(warnings.length, 1, 'warned once, not once per picture');
        assert.deepStrictEqual([statusOf('store').fill, statusOf('store').text], ['yellow', 'redis-image-store.status.clock-behind']);
        // The owner fixes the clock: said once in the log, and the status is green again.
        helper.getNode('store').receive({ payload: makeJpeg(), image: { camera: 'porch', timestamp: await redisNowMs(redis) } } as never);
        await waitFor(() => out.length === 6, 3000, 'picture 6 stored');
        assert.strictEqual(loggedBy('store', 40).filter((e) => e.msg === 'redis-image-store.log.clock-right').length, 1);
        assert.strictEqual(statusOf('store').fill, 'green');
        assert.strictEqual(await redis.zcard(names.index), 6);
    });

    it('stores a flood of uploads, says in its status and once in its log that some went without a thumbnail, and when thumbnails are made again', async function () {
        const names = freshNames();
        await load([serverModule, storeModule, catchNode], storeFlow(sharedRedis().port, names));
        const out = collect('out');
        const caught = collect('caught');
        await waitFor(() => statusOf('store').fill === 'green', 3000, 'connected');
        const node = helper.getNode('store');
        const flood = 3 * MAX_WAITING_DECODES;
        for (let i = 0; i < flood; i++) node.receive({ payload: makeJpeg(320, 240, i * 5) } as never);
        await waitFor(() => out.length === flood, 20000, 'every upload stored');
        assert.deepStrictEqual(caught, []);
        const statuses = (node.status as unknown as { getCalls(): Array<{ args: [{ fill?: string; text?: string }] }> }).getCalls().map((c) => c.args[0]);
        assert.ok(statuses.some((st) => st.fill === 'yellow' && st.text === 'redis-image-store.status.no-thumbnail'), 'a status says a picture went without a thumbnail');
        const logged = (what: string) => loggedBy('store', 40).filter((e) => e.msg === `redis-image-store.log.${what}`).length;
        assert.strictEqual(logged('thumbnail-skipped'), 1, 'said once, not once per picture');
        const withThumbnail = await Promise.all(out.map((m) => redis.hexists(`${names.keyPrefix}${m.payload}`, 'thumbnail')));
        assert.ok(withThumbnail.includes(0) && withThumbnail.includes(1));
        // One more, once the line is free: its thumbnail is made, and the log says so.
        node.receive({ payload: makeJpeg(320, 240) } as never);
        await waitFor(() => out.length === flood + 1, 5000, 'one more stored');
        assert.strictEqual(logged('thumbnails-again'), 1);
        assert.strictEqual(statusOf('store').fill, 'green');
    });

    it("adopts the original capture script's images when Redis is ready", async function () {
        const names = freshNames();
        const [id] = await captureScriptIds(redis, 30);
        await redis.hset(`${names.keyPrefix}${id}`, { image_data: makeJpeg(8, 8), timestamp: id, mime_type: 'image/jpeg' });
        await load([serverModule, storeModule, catchNode], storeFlow(sharedRedis().port, names));
        await waitFor(async () => (await redis.zscore(names.index, id)) === `${id}000`, 3000, 'adopted');
    });
});
