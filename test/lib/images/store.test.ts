import assert from 'assert';
import Redis from 'ioredis';
import { imageKeys } from '../../../nodes/lib/images/ids';
import { listImages } from '../../../nodes/lib/images/list';
import { adoptLegacy, ImageStore } from '../../../nodes/lib/images/store';
import { sharedRedis } from '../../support/global-redis';
import { scanKeys } from '../../support/scan-keys';
import { freshNames, makeJpeg, makePng } from './fixtures';

describe('images: store script, retention and listing (real Redis)', function () {
    let redis: Redis;
    before(() => {
        redis = new Redis(sharedRedis().port);
    });
    after(() => redis.quit());

    it('stores the original fields plus ours, indexes it and announces the id only', async function () {
        const names = freshNames();
        const store = new ImageStore(redis, names);
        const sub = new Redis(sharedRedis().port);
        const heard: string[] = [];
        await sub.subscribe(`${names.index}:new`);
        sub.on('message', (_c, m: string) => heard.push(m));
        try {
            const jpeg = makeJpeg(640, 480);
            const at = 1795300000123;
            const stored = await store.store(jpeg, { camera: 'porch', lux: 117.8, timestamp: at });
            assert.match(stored.id, /^1795300000123-\d+$/);
            const hash = await redis.hgetallBuffer(`${names.keyPrefix}${stored.id}`);
            assert.ok(hash.image_data.equals(jpeg));
            assert.deepStrictEqual(
                ['timestamp', 'mime_type', 'ts_ms', 'size', 'width', 'height', 'camera', 'lux'].map((f) => hash[f].toString()),
                ['1795300000', 'image/jpeg', String(at), String(jpeg.length), '640', '480', 'porch', '117'],
            );
            assert.deepStrictEqual(hash.thumbnail.subarray(0, 3), Buffer.from([0xff, 0xd8, 0xff]));
            assert.strictEqual(Number(hash.thumbnail_size), hash.thumbnail.length);
            assert.strictEqual(await redis.zscore(names.index, stored.id), String(at));
            assert.strictEqual(await redis.zscore(`${names.index}:camera:porch`, stored.id), String(at));
            assert.strictEqual(Number(await redis.get(`${names.index}:bytes`)), jpeg.length + hash.thumbnail.length);
            const ttl = await redis.pttl(`${names.keyPrefix}${stored.id}`);
            assert.ok(ttl > 86000 * 1000 && ttl <= 86400 * 1000, `ttl ${ttl}`);
            const png = await store.store(makePng(9, 4));
            const pngHash = await redis.hgetall(`${names.keyPrefix}${png.id}`);
            assert.deepStrictEqual([pngHash.mime_type, pngHash.width, pngHash.height, pngHash.camera, pngHash.thumbnail], ['image/png', '9', '4', 'camera', undefined]);
            const deadline = Date.now() + 2000;
            while (heard.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
            assert.deepStrictEqual(heard, [stored.id, png.id]);
        } finally {
            sub.disconnect();
        }
    });

    it('refuses non-images, undecodable JPEGs and oversized input with nothing written', async function () {
        const names = freshNames();
        const store = new ImageStore(redis, { ...names, maxImageSize: 5000 });
        const before = await redis.dbsize();
        const refused = [Buffer.from('GIF89a not allowed'), Buffer.from('<script>alert(1)</script>'), 'text', Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]), makeJpeg(400, 400)];
        for (const payload of refused) {
            await assert.rejects(store.store(payload), (err: Error) => err.name === 'ImageInputError');
        }
        await assert.rejects(store.store(makeJpeg(), { camera: 'bad\ncamera' }), /camera/);
        assert.deepStrictEqual(await scanKeys(redis, `${names.keyPrefix.split(':')[0]}*`), []);
        assert.strictEqual(await redis.dbsize(), before);
    });

    it('keeps at most maxCount images and exact byte accounting over 1,000 stores', async function () {
        this.timeout(60000);
        const names = freshNames();
        // No thumbnails here: jpeg-js spends ~18 ms setting up each encode; the bytes test below makes them.
        const store = new ImageStore(redis, { ...names, maxCount: 25, maxBytes: 0, maxAgeMs: 0, thumbnailWidth: 0 });
        const jpegs = [makeJpeg(32, 24, 10), makeJpeg(40, 30, 200), makeJpeg(16, 16, 90)];
        const ids: string[] = [];
        for (let i = 0; i < 1000; i++) {
            ids.push((await store.store(jpegs[i % 3], { camera: i % 2 ? 'a' : 'b' })).id);
            if (i % 97 === 0) assert.ok((await redis.zcard(names.index)) <= 25);
        }
        assert.strictEqual(await redis.zcard(names.index), 25);
        assert.deepStrictEqual(await redis.zrange(names.index, '0', '-1'), ids.slice(-25));
        const hashes = await scanKeys(redis, `${names.keyPrefix}*`);
        assert.strictEqual(hashes.length, 25);
        const sizes = await redis.hgetall(`${names.index}:sizes`);
        assert.strictEqual(Object.keys(sizes).length, 25);
        const total = Object.values(sizes).reduce((a, b) => a + Number(b), 0);
        assert.strictEqual(Number(await redis.get(`${names.index}:bytes`)), total);
        assert.strictEqual((await redis.zcard(`${names.index}:camera:a`)) + (await redis.zcard(`${names.index}:camera:b`)), 25);
    });

    it('keeps total bytes under maxBytes over 1,000 stores', async function () {
        this.timeout(60000);
        const names = freshNames();
        const jpeg = makeJpeg(48, 48);
        const store = new ImageStore(redis, { ...names, maxCount: 0, maxBytes: 20000, maxAgeMs: 0, thumbnailWidth: 16 });
        for (let i = 0; i < 1000; i++) {
            await store.store(jpeg);
            assert.ok(Number(await redis.get(`${names.index}:bytes`)) <= 20000);
        }
        const hashes = await scanKeys(redis, `${names.keyPrefix}*`);
        const count = await redis.zcard(names.index);
        assert.strictEqual(hashes.length, count);
        let real = 0;
        for (const key of hashes) real += (await redis.hstrlen(key, 'image_data')) + (await redis.hstrlen(key, 'thumbnail'));
        assert.strictEqual(Number(await redis.get(`${names.index}:bytes`)), real);
        assert.ok(real <= 20000 && real > 20000 - 2 * (jpeg.length + 1000), `${real} bytes in ${count} images`);
    });

    it('evicts images older than maxAge on the next store, and sets the TTL backstop', async function () {
        const names = freshNames();
        const store = new ImageStore(redis, { ...names, maxCount: 0, maxBytes: 0, maxAgeMs: 60000 });
        const old = await store.store(makeJpeg(), { timestamp: Date.now() - 120000 });
        assert.strictEqual(await redis.exists(`${names.keyPrefix}${old.id}`), 1);
        const fresh = await store.store(makeJpeg(), { timestamp: Date.now() });
        assert.deepStrictEqual(await redis.zrange(names.index, '0', '-1'), [fresh.id]);
        assert.strictEqual(await redis.exists(`${names.keyPrefix}${old.id}`), 0);
        assert.ok((await redis.pttl(`${names.keyPrefix}${fresh.id}`)) > 50000);
    });

    it('gives unique ids to 200 concurrent stores in the same millisecond from several connections', async function () {
        const names = freshNames();
        const clients = Array.from({ length: 5 }, () => new Redis(sharedRedis().port));
        try {
            const jpeg = makeJpeg(16, 16);
            const at = 1795300000999;
            const stores = clients.map((c) => new ImageStore(c, { ...names, maxCount: 0, maxBytes: 0, maxAgeMs: 0 }));
            const results = await Promise.all(Array.from({ length: 200 }, (_, i) => stores[i % 5].store(jpeg, { timestamp: at })));
            const ids = new Set(results.map((r) => r.id));
            assert.strictEqual(ids.size, 200);
            assert.strictEqual(await redis.zcard(names.index), 200);
            assert.strictEqual((await scanKeys(redis, `${names.keyPrefix}*`)).length, 200);
            // Paging through 200 images in the same millisecond: every one exactly once.
            const keys = imageKeys(names.keyPrefix, names.index);
            const seen: string[] = [];
            let cursor: string | undefined;
            do {
                const page = await listImages(redis, keys, { cursor, limit: 7 });
                seen.push(...page.images.map((i) => i.id));
                cursor = page.nextCursor;
            } while (cursor);
            assert.strictEqual(seen.length, 200);
            assert.strictEqual(new Set(seen).size, 200);
        } finally {
            clients.forEach((c) => c.disconnect());
        }
    });

    it('lists newest first with cursor, limit, time range and camera; cleans dangling entries', async function () {
        const names = freshNames();
        const keys = imageKeys(names.keyPrefix, names.index);
        const store = new ImageStore(redis, { ...names, maxCount: 0, maxBytes: 0, maxAgeMs: 0 });
        const t0 = 1795300000000;
        const ids: string[] = [];
        for (let i = 0; i < 10; i++) ids.push((await store.store(makeJpeg(8, 8), { timestamp: t0 + i * 1000, camera: i % 2 ? 'odd' : 'even' })).id);
        const first = await listImages(redis, keys, { limit: 4 });
        assert.deepStrictEqual(first.images.map((i) => i.id), ids.slice(6).reverse());
        assert.strictEqual(first.nextCursor, ids[6]);
        const second = await listImages(redis, keys, { limit: 4, cursor: first.nextCursor });
        assert.deepStrictEqual(second.images.map((i) => i.id), ids.slice(2, 6).reverse());
        const last = await listImages(redis, keys, { limit: 4, cursor: second.nextCursor });
        assert.deepStrictEqual(last.images.map((i) => i.id), ids.slice(0, 2).reverse());
        assert.strictEqual(last.nextCursor, undefined);
        const ranged = await listImages(redis, keys, { from: t0 + 2000, to: t0 + 5000 });
        assert.deepStrictEqual(ranged.images.map((i) => i.id), ids.slice(2, 6).reverse());
        const odd = await listImages(redis, keys, { camera: 'odd', limit: 3 });
        assert.deepStrictEqual(odd.images.map((i) => i.id), [ids[9], ids[7], ids[5]]);
        assert.deepStrictEqual(Object.keys(odd.images[0]).slice(0, 4), ['id', 'timestamp', 'mime_type', 'lux']);
        // A hash gone by its TTL backstop: skipped, and its index entries and bytes cleaned.
        const bytesBefore = Number(await redis.get(keys.bytes));
        const size = Number(await redis.hget(keys.sizes, ids[8]));
        await redis.del(keys.image(ids[8]));
        const after = await listImages(redis, keys, { limit: 3 });
        assert.deepStrictEqual(after.images.map((i) => i.id), [ids[9], ids[7], ids[6]]);
        assert.strictEqual(await redis.zscore(keys.index, ids[8]), null);
        assert.strictEqual(await redis.zscore(keys.camera('even'), ids[8]), null);
        assert.strictEqual(Number(await redis.get(keys.bytes)), bytesBefore - size);
    });

    it("adopts images in the original's layout (image:<seconds>, no index) once", async function () {
        const names = freshNames();
        const keys = imageKeys(names.keyPrefix, names.index);
        const jpeg = makeJpeg(20, 10);
        await redis.hset(`${names.keyPrefix}1681844748`, { image_data: jpeg, timestamp: '1681844748', mime_type: 'image/jpeg', lux: '117' });
        await redis.hset(`${names.keyPrefix}1681844700`, { image_data: jpeg, timestamp: '1681844700', mime_type: 'image/jpeg' });
        await redis.set(`${names.keyPrefix}1681844999`, 'a string, not an image');
        await redis.hset(`${names.keyPrefix}notanid`, { image_data: 'x' });
        assert.strictEqual(await adoptLegacy(redis, keys), 2);
        assert.strictEqual(await adoptLegacy(redis, keys), 0);
        const page = await listImages(redis, keys, {});
        assert.deepStrictEqual(page.images.map((i) => [i.id, i.timestamp, i.mime_type, i.lux]), [
            ['1681844748', '1681844748', 'image/jpeg', '117'],
            ['1681844700', '1681844700', 'image/jpeg', null],
        ]);
        assert.strictEqual(Number(await redis.get(keys.bytes)), 2 * jpeg.length);
        // A new store's retention counts adopted images too.
        const store = new ImageStore(redis, { ...names, maxCount: 2, maxBytes: 0, maxAgeMs: 0 });
        await store.store(makeJpeg(8, 8));
        assert.strictEqual(await redis.exists(`${names.keyPrefix}1681844700`), 0);
        assert.strictEqual(await redis.zcard(names.index), 2);
    });
});
