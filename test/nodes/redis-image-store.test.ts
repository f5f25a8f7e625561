import assert from 'assert';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { catchNode, collect, FlowNode, helper, load, serverNode, statusOf, waitFor } from '../support/flow';
import { freshNames, makeJpeg } from '../lib/images/fixtures';

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
        helper.getNode('store').receive({ payload: jpeg, image: { camera: 'garden', lux: 42, timestamp: 1795300000555 }, topic: 'kept' } as never);
        await waitFor(() => out.length === 1, 3000, 'stored message');
        const msg = out[0] as Record<string, unknown> & { image: Record<string, unknown> };
        assert.match(String(msg.payload), /^1795300000555-\d+$/);
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

    it("adopts the original capture script's images when Redis is ready", async function () {
        const names = freshNames();
        await redis.hset(`${names.keyPrefix}1681844748`, { image_data: makeJpeg(8, 8), timestamp: '1681844748', mime_type: 'image/jpeg' });
        await load([serverModule, storeModule, catchNode], storeFlow(sharedRedis().port, names));
        await waitFor(async () => (await redis.zscore(names.index, '1681844748')) === '1681844748000', 3000, 'adopted');
    });
});
