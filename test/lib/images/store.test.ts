import assert from 'assert';
import Redis from 'ioredis';
import { imageKeys } from '../../../nodes/lib/images/ids';
import { listImages } from '../../../nodes/lib/images/list';
import { adoptLegacy, ImageStore } from '../../../nodes/lib/images/store';
import { sharedRedis } from '../../support/global-redis';
import { captureScriptIds, redisNowMs, storedMsOf } from '../../support/redis-time';
import { scanKeys } from '../../support/scan-keys';
import { freshNames, makeJpeg, makePng } from './fixtures';
import { withExifThumbnail } from '../../../nodes/lib/camera/exif';
import { jpegWorkerState, MAX_WAITING_DECODES } from '../../../nodes/lib/off-thread/jpeg-work';
import { jpegSize } from '../../../nodes/lib/jpeg';

/** A picture as a camera writes it: width x height with an EXIF thumbnail of tw x th. */
function cameraJpeg(width: number, height: number, tw: number, th: number): { picture: Buffer; thumbnail: Buffer } {
    const thumbnail = makeJpeg(tw, th, 200);
    return { picture: withExifThumbnail(makeJpeg(width, height), { jpeg: thumbnail, width: tw, height: th }, new Date(), 'test'), thumbnail };
}
import { DAY_MS } from '../../support/wall-clock';
import { waitFor } from '../../support/flow';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
            // A camera whose clock agrees with Redis's, taking the picture a second before storing.
            const before = await redisNowMs(redis);
            const at = before - 1000;
            const stored = await store.store(jpeg, { camera: 'porch', lux: 117.8, timestamp: at });
            const after = await redisNowMs(redis);
            assert.match(stored.id, /^\d{10}\.\d{15}$/);
            // The id and the index's score are Redis's time at storing; the capture time is metadata.
            const storedAt = storedMsOf(stored.id);
            assert.ok(storedAt >= before && storedAt <= after, `stored at ${storedAt}, between ${before} and ${after}`);
            assert.strictEqual(stored.clockSkewMs, undefined);
            const hash = await redis.hgetallBuffer(`${names.keyPrefix}${stored.id}`);
            assert.ok(hash.image_data.equals(jpeg));
            assert.deepStrictEqual(
                ['timestamp', 'mime_type', 'ts_ms', 'stored_ms', 'size', 'width', 'height', 'camera', 'lux'].map((f) => hash[f].toString()),
                [String(Math.floor(at / 1000)), 'image/jpeg', String(at), String(storedAt), String(jpeg.length), '640', '480', 'porch', '117'],
            );
            assert.strictEqual(hash.clock_skew_ms, undefined, 'a right clock is not flagged');
            assert.deepStrictEqual(hash.thumbnail.subarray(0, 3), Buffer.from([0xff, 0xd8, 0xff]));
            assert.strictEqual(Number(hash.thumbnail_size), hash.thumbnail.length);
            assert.strictEqual(await redis.zscore(names.index, stored.id), String(storedAt));
            assert.strictEqual(await redis.zscore(`${names.index}:camera:porch`, stored.id), String(storedAt));
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

    it("keeps a camera picture's embedded thumbnail as it is, with no decoding", async function () {
        const names = freshNames();
        const store = new ImageStore(redis, names);
        const { picture, thumbnail } = cameraJpeg(640, 360, 320, 180);
        const jobsBefore = jpegWorkerState().jobs;
        const stored = await store.store(picture, { camera: 'porch' });
        assert.strictEqual(jpegWorkerState().jobs, jobsBefore, 'nothing sent to the decoding thread');
        assert.deepStrictEqual([stored.width, stored.height, stored.thumbnailSize, stored.thumbnailSkipped], [640, 360, thumbnail.length, undefined]);
        const hash = await redis.hgetallBuffer(`${names.keyPrefix}${stored.id}`);
        assert.ok(hash.thumbnail.equals(thumbnail));
        assert.ok(hash.image_data.equals(picture));
        assert.strictEqual(Number(await redis.get(`${names.index}:bytes`)), picture.length + thumbnail.length);
    });

    it('decodes instead when the embedded thumbnail is wider than the thumbnail width, or of another shape', async function () {
        const names = freshNames();
        const narrow = new ImageStore(redis, { ...names, thumbnailWidth: 64 });
        const wide = cameraJpeg(640, 360, 320, 180);
        const made = await redis.hgetBuffer(`${names.keyPrefix}${(await narrow.store(wide.picture)).id}`, 'thumbnail');
        assert.ok(made && !made.equals(wide.thumbnail));
        assert.deepStrictEqual(jpegSize(made as Buffer), { width: 64, height: 36 });
        // rpicam-still's default 320x240 on a 16:9 picture would show it squashed.
        const store = new ImageStore(redis, names);
        const squashed = cameraJpeg(640, 360, 320, 240);
        const remade = await redis.hgetBuffer(`${names.keyPrefix}${(await store.store(squashed.picture)).id}`, 'thumbnail');
        assert.deepStrictEqual(jpegSize(remade as Buffer), { width: 320, height: 180 });
    });

    it('stores a flood of uploads without waiting for a decode beyond the line, flagged thumbnailSkipped', async function () {
        const names = freshNames();
        const store = new ImageStore(redis, names);
        const uploads = Array.from({ length: MAX_WAITING_DECODES + 4 }, (_, i) => makeJpeg(320, 240, i * 10));
        const results = await Promise.all(uploads.map((jpeg) => store.store(jpeg)));
        const skipped = results.filter((r) => r.thumbnailSkipped);
        // One decoding, MAX_WAITING_DECODES waiting: the rest are stored at once without one.
        assert.strictEqual(skipped.length, 3);
        for (const r of skipped) {
            assert.deepStrictEqual([r.width, r.height, r.thumbnailSize], [320, 240, undefined]);
            assert.strictEqual(await redis.hexists(`${names.keyPrefix}${r.id}`, 'thumbnail'), 0);
        }
        for (const r of results.filter((x) => !x.thumbnailSkipped)) assert.ok(r.thumbnailSize);
        assert.strictEqual(await redis.zcard(names.index), uploads.length);
        const sizes = await redis.hgetall(`${names.index}:sizes`);
        assert.strictEqual(Number(await redis.get(`${names.index}:bytes`)), Object.values(sizes).reduce((a, b) => a + Number(b), 0));
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
        // Each store decodes the picture for its thumbnail on the worker thread, about 20 ms
        // even for 48 px (jpeg-js builds its encoder's tables per call): 37 s on an idle
        // 2-core VM, over 60 s in a busy CI run.
        this.timeout(150000);
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

    it('evicts images stored longer ago than maxAge (by Redis\'s clock) on the next store, and sets the TTL backstop', async function () {
        const names = freshNames();
        const maxAgeMs = 400;
        const store = new ImageStore(redis, { ...names, maxCount: 0, maxBytes: 0, maxAgeMs });
        const old = await store.store(makeJpeg());
        assert.strictEqual(await redis.exists(`${names.keyPrefix}${old.id}`), 1);
        const ttl = await redis.pttl(`${names.keyPrefix}${old.id}`);
        assert.ok(ttl > 0 && ttl <= maxAgeMs, `ttl ${ttl}`);
        await sleep(maxAgeMs + 100);
        // Its hash may be gone by its TTL already; its index entry, size and bytes go on this store.
        const fresh = await store.store(makeJpeg());
        assert.deepStrictEqual(await redis.zrange(names.index, '0', '-1'), [fresh.id]);
        assert.strictEqual(await redis.exists(`${names.keyPrefix}${old.id}`), 0);
        assert.strictEqual(await redis.hget(`${names.index}:sizes`, old.id), null);
        assert.strictEqual(Number(await redis.get(`${names.index}:bytes`)), Number(await redis.hget(`${names.index}:sizes`, fresh.id)));
    });

    it('keeps every picture of a camera whose clock is 10 days behind, newest stored first, and flags it', async function () {
        // A Pi after a boot without NTP: fake-hwclock restored the time of its last shutdown.
        const names = freshNames();
        const store = new ImageStore(redis, { ...names, maxCount: 0, maxBytes: 0, maxAgeMs: DAY_MS });
        const behind = (await redisNowMs(redis)) - 10 * DAY_MS;
        const results = [];
        for (let i = 0; i < 5; i++) {
            results.push(await store.store(makeJpeg(16, 16, i * 40), { camera: 'porch', timestamp: behind + i * 30_000 }));
            await sleep(2);
        }
        const page = await listImages(redis, imageKeys(names.keyPrefix, names.index), {});
        assert.deepStrictEqual(page.images.map((i) => i.id), results.map((r) => r.id).reverse(), 'all five kept, newest stored first');
        for (const [i, r] of results.entries()) {
            const skew = r.clockSkewMs;
            assert.strictEqual(skew, behind + i * 30_000 - storedMsOf(r.id), `picture ${i}: capture minus stored time`);
            const hash = await redis.hgetall(`${names.keyPrefix}${r.id}`);
            assert.deepStrictEqual([hash.ts_ms, hash.timestamp, hash.clock_skew_ms],
                [String(behind + i * 30_000), String(Math.floor((behind + i * 30_000) / 1000)), String(skew)], 'the camera\'s time kept');
            assert.ok((await redis.pttl(`${names.keyPrefix}${r.id}`)) > DAY_MS - 60_000, 'expires a day after storing, not after capture');
        }
        assert.strictEqual(page.images[0].clock_skew_ms, results[4].clockSkewMs);
        assert.strictEqual(page.images[0].stored_ms, storedMsOf(results[4].id));
        // A camera a year ahead is kept and flagged the same way; within the limit, not flagged.
        const now = await redisNowMs(redis);
        const ahead = await store.store(makeJpeg(), { camera: 'porch', timestamp: now + 365 * DAY_MS });
        assert.ok((ahead.clockSkewMs ?? 0) > 364 * DAY_MS, `ahead: ${ahead.clockSkewMs}`);
        const slightlyOff = await store.store(makeJpeg(), { camera: 'porch', timestamp: now - 2 * 60_000 });
        assert.strictEqual(slightlyOff.clockSkewMs, undefined);
        assert.strictEqual(await redis.zcard(names.index), 7);
    });

    it('gives unique ids to 200 concurrent stores in the same millisecond from several connections', async function () {
        const names = freshNames();
        const clients = Array.from({ length: 5 }, () => new Redis(sharedRedis().port));
        try {
            const jpeg = makeJpeg(16, 16);
            // No thumbnails: the 200 scripts then reach Redis together, many in the same millisecond.
            const stores = clients.map((c) => new ImageStore(c, { ...names, maxCount: 0, maxBytes: 0, maxAgeMs: 0, thumbnailWidth: 0 }));
            // Every picture also claims the same capture millisecond.
            const at = Date.now();
            const results = await Promise.all(Array.from({ length: 200 }, (_, i) => stores[i % 5].store(jpeg, { timestamp: at })));
            const ids = new Set(results.map((r) => r.id));
            assert.strictEqual(ids.size, 200);
            assert.ok(new Set(results.map((r) => storedMsOf(r.id))).size < 200, 'some stored in the same millisecond');
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
        const ids: string[] = [];
        for (let i = 0; i < 10; i++) {
            ids.push((await store.store(makeJpeg(8, 8), { camera: i % 2 ? 'odd' : 'even' })).id);
            // Each in a millisecond of its own, so that a time range can pick them out.
            while (storedMsOf(ids[i]) >= await redisNowMs(redis)) await sleep(1);
        }
        const first = await listImages(redis, keys, { limit: 4 });
        assert.deepStrictEqual(first.images.map((i) => i.id), ids.slice(6).reverse());
        assert.strictEqual(first.nextCursor, ids[6]);
        const second = await listImages(redis, keys, { limit: 4, cursor: first.nextCursor });
        assert.deepStrictEqual(second.images.map((i) => i.id), ids.slice(2, 6).reverse());
        const last = await listImages(redis, keys, { limit: 4, cursor: second.nextCursor });
        assert.deepStrictEqual(last.images.map((i) => i.id), ids.slice(0, 2).reverse());
        assert.strictEqual(last.nextCursor, undefined);
        const ranged = await listImages(redis, keys, { from: storedMsOf(ids[2]), to: storedMsOf(ids[5]) });
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

    it('indexes measured lux, filters by lux range with camera, time and paging, and retention drops lux entries', async function () {
        const names = freshNames();
        const keys = imageKeys(names.keyPrefix, names.index);
        const store = new ImageStore(redis, { ...names, maxCount: 6, maxBytes: 0, maxAgeMs: 0, thumbnailWidth: 0 });
        const luxes = [5, 50, 500, undefined, 80, 60];
        const ids: string[] = [];
        for (const [i, lux] of luxes.entries()) {
            ids.push((await store.store(makeJpeg(8, 8), { camera: i % 2 ? 'odd' : 'even', lux })).id);
            while (storedMsOf(ids[i]) >= await redisNowMs(redis)) await sleep(1);
        }
        // Measured pictures only, by their lux; the unmeasured one has lux -1 and no entry.
        assert.deepStrictEqual(await redis.zrange(keys.lux, '0', '-1', 'WITHSCORES'),
            [ids[0], '5', ids[1], '50', ids[5], '60', ids[4], '80', ids[2], '500']);
        assert.strictEqual(await redis.hget(keys.image(ids[3]), 'lux'), '-1');
        const ranged = (q: object) => listImages(redis, keys, q).then((p) => p.images.map((i) => i.id));
        assert.deepStrictEqual(await ranged({ minLux: 50, maxLux: 100 }), [ids[5], ids[4], ids[1]]);
        assert.deepStrictEqual(await ranged({ minLux: 50, maxLux: 100, camera: 'odd' }), [ids[5], ids[1]]);
        assert.deepStrictEqual(await ranged({ minLux: 50, from: storedMsOf(ids[2]), to: storedMsOf(ids[4]) }), [ids[4], ids[2]]);
        assert.deepStrictEqual(await ranged({ maxLux: 10 }), [ids[0]]);
        const first = await listImages(redis, keys, { minLux: 50, limit: 2 });
        assert.deepStrictEqual([first.images.map((i) => i.id), first.nextCursor], [[ids[5], ids[4]], ids[4]]);
        assert.deepStrictEqual(await ranged({ minLux: 50, limit: 2, cursor: first.nextCursor }), [ids[2], ids[1]]);
        assert.strictEqual((await listImages(redis, keys, {})).images.find((i) => i.id === ids[3])?.lux, null, 'not measured: null');
        // A picture stored before the lux index existed: listed, and its own lux field decides.
        await redis.zrem(keys.lux, ids[1]);
        assert.deepStrictEqual(await ranged({ minLux: 40, maxLux: 55 }), [ids[1]]);
        assert.strictEqual((await listImages(redis, keys, {})).images.length, 6);
        // Retention (maxCount 6) evicts the two oldest: their lux entries go with them.
        await store.store(makeJpeg(8, 8), { lux: 1 });
        await store.store(makeJpeg(8, 8), { lux: 2 });
        assert.deepStrictEqual(await redis.zmscore(keys.lux, ids[0], ids[1], ids[2]), [null, null, '500']);
        // And a dangling entry (its hash gone) is cleaned from the lux index by a listing.
        await redis.del(keys.image(ids[2]));
        assert.deepStrictEqual(await ranged({ minLux: 400 }), []);
        assert.strictEqual(await redis.zscore(keys.lux, ids[2]), null);
    });

    it("adopts images in the original's layout (image:<seconds>, no index) once", async function () {
        const names = freshNames();
        const keys = imageKeys(names.keyPrefix, names.index);
        const jpeg = makeJpeg(20, 10);
        const [lux, older, notAHash] = await captureScriptIds(redis, 100, 148, 20);
        // What capture.py writes: image_data, timestamp (its id), mime_type and, from v0.0.2, lux.
        await redis.hset(`${names.keyPrefix}${lux}`, { image_data: jpeg, timestamp: lux, mime_type: 'image/jpeg', lux: '117' });
        await redis.hset(`${names.keyPrefix}${older}`, { image_data: jpeg, timestamp: older, mime_type: 'image/jpeg' });
        await redis.set(`${names.keyPrefix}${notAHash}`, 'a string, not an image');
        await redis.hset(`${names.keyPrefix}notanid`, { image_data: 'x' });
        const heard: string[] = [];
        const sub = new Redis(sharedRedis().port);
        await sub.subscribe(`${names.index}:new`);
        sub.on('message', (_c, id: string) => heard.push(id));
        assert.strictEqual(await adoptLegacy(redis, keys), 2);
        assert.strictEqual(await adoptLegacy(redis, keys), 0);
        // Each adopted once is announced once; its measured lux is indexed.
        await waitFor(() => heard.length === 2, 2000, 'two announcements').finally(() => sub.disconnect());
        assert.deepStrictEqual(heard.sort(), [lux, older].sort());
        assert.deepStrictEqual(await redis.zrange(keys.lux, '0', '-1', 'WITHSCORES'), [lux, '117']);
        const page = await listImages(redis, keys, {});
        assert.deepStrictEqual(page.images.map((i) => [i.id, i.timestamp, i.mime_type, i.lux, i.stored_ms]), [
            [lux, lux, 'image/jpeg', '117', Number(lux) * 1000],
            [older, older, 'image/jpeg', null, Number(older) * 1000],
        ], 'indexed by their own timestamp: they have no stored time');
        assert.strictEqual(Number(await redis.get(keys.bytes)), 2 * jpeg.length);
        // A new store's retention counts adopted images too.
        const store = new ImageStore(redis, { ...names, maxCount: 2, maxBytes: 0, maxAgeMs: 0 });
        await store.store(makeJpeg(8, 8));
        assert.strictEqual(await redis.exists(`${names.keyPrefix}${older}`), 0);
        assert.strictEqual(await redis.zcard(names.index), 2);
    });
});
