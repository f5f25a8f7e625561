import assert from 'assert';
import fs from 'fs';
import http from 'http';
import path from 'path';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { freePort } from '../support/redis-process';
import { catchNode, collect, FlowNode, helper, load, serverNode, statusOf, waitFor } from '../support/flow';
import { freshNames, makeJpeg } from '../lib/images/fixtures';
import { httpNodeModule, rawGet, Reply, ServedHttpNode } from '../support/http-node';
import { captureScriptIds, redisNowMs, storedMsOf } from '../support/redis-time';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const storeModule = require('../../nodes/redis-image-store/redis-image-store');
const galleryModule = require('../../nodes/redis-image-gallery/redis-image-gallery');

const httpNode = httpNodeModule();

// Ids of pictures that do not exist, for the 404 and 503 answers: ours (ms and a sequence),
// the original's (seconds), and ours without its sequence. Only their shape matters.
const nowMs = Date.now();
const MISSING = { ours: `${nowMs}-1`, original: String(Math.floor(nowMs / 1000) - 3600), notAHash: String(Math.floor(nowMs / 1000) - 60), bare: String(nowMs) };

function flow(port: number, names: { keyPrefix: string; index: string }, galleries: Array<Record<string, unknown>> = [{}]): FlowNode[] {
    return [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port), z: 'tab' },
        { id: 'store', type: 'redis-image-store', z: 'tab', server: 'redis-test', ...names, maxCount: 1000, maxBytes: 104857600, maxAge: 86400, maxImageSize: 5242880, thumbnailWidth: 320, wires: [['stored']] },
        { id: 'stored', type: 'helper', z: 'tab' },
        ...galleries.map((g, i) => ({ id: `gallery${i}`, type: 'redis-image-gallery', z: 'tab', server: 'redis-test', path: '/gallery', pageSize: 24, ...names, ...g, wires: [] })),
        { id: 'catcher', type: 'catch', z: 'tab', wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
    ];
}

describe('redis-image-gallery node', function () {
    let redis: Redis;
    let served: ServedHttpNode | undefined;
    let base: string;
    before(() => {
        redis = new Redis(sharedRedis().port);
    });
    after(() => redis.quit());
    afterEach(async () => {
        await helper.unload();
        await served?.close();
        served = undefined;
    });

    function get(urlPath: string, headers: Record<string, string> = {}): Promise<Reply> {
        if (!served) throw new Error('no gallery served');
        return rawGet(served.port, urlPath, headers);
    }

    async function start(names = freshNames(), galleries?: Array<Record<string, unknown>>) {
        await load([serverModule, storeModule, galleryModule, catchNode, httpNode.module], flow(sharedRedis().port, names, galleries));
        served = await httpNode.serve();
        base = '/gallery';
        await waitFor(() => statusOf('store').fill === 'green', 3000, 'store connected');
        return { names, stored: collect('stored'), caught: collect('caught') };
    }

    async function store(stored: unknown[], payload: Buffer, image: Record<string, unknown> = {}): Promise<string> {
        const count = stored.length;
        helper.getNode('store').receive({ payload, image } as never);
        await waitFor(() => stored.length > count, 3000, 'stored');
        return String((stored[stored.length - 1] as { payload: string }).payload);
    }

    it('round trip: stored JPEG bytes come back from the API, newest first, with cursor and limit', async function () {
        const { stored } = await start();
        const jpegs = [makeJpeg(640, 360, 10), makeJpeg(640, 360, 90), makeJpeg(640, 360, 200)];
        const ids: string[] = [];
        // A camera whose clock agrees with Redis's.
        const captured: number[] = [];
        for (let i = 0; i < 3; i++) {
            captured.push(await redisNowMs(redis));
            ids.push(await store(stored, jpegs[i], { timestamp: captured[i], lux: 100 + i, camera: 'porch' }));
        }
        const seconds = captured.map((ms) => String(Math.floor(ms / 1000)));
        const first = await get(`${base}/api/images?limit=2`);
        assert.strictEqual(first.status, 200);
        assert.match(String(first.headers['content-type']), /application\/json/);
        assert.strictEqual(first.headers['cache-control'], 'no-cache');
        const list = JSON.parse(first.body.toString()) as Array<Record<string, unknown>>;
        assert.ok(Array.isArray(list));
        assert.deepStrictEqual(list.map((i) => [i.id, i.timestamp, i.mime_type, i.lux, i.ts_ms, i.stored_ms, i.clock_skew_ms]), [
            [ids[2], seconds[2], 'image/jpeg', '102', captured[2], storedMsOf(ids[2]), null],
            [ids[1], seconds[1], 'image/jpeg', '101', captured[1], storedMsOf(ids[1]), null],
        ]);
        assert.deepStrictEqual([list[0].camera, list[0].width, list[0].height, list[0].size], ['porch', 640, 360, jpegs[2].length]);
        assert.strictEqual(first.headers['x-next-cursor'], ids[1]);
        assert.match(String(first.headers.link), /rel="next"/);
        const second = await get(`${base}/api/images?limit=2&cursor=${first.headers['x-next-cursor']}`);
        assert.deepStrictEqual((JSON.parse(second.body.toString()) as Array<{ id: string }>).map((i) => i.id), [ids[0]]);
        assert.strictEqual(second.headers['x-next-cursor'], undefined);
        const cached = await get(`${base}/api/images?limit=2`, { 'If-None-Match': String(first.headers.etag) });
        assert.strictEqual(cached.status, 304);

        for (let i = 0; i < 3; i++) {
            const image = await get(`${base}/api/image/${ids[i]}`);
            assert.strictEqual(image.status, 200);
            assert.strictEqual(image.headers['content-type'], 'image/jpeg');
            assert.ok(image.body.equals(jpegs[i]), `bytes of ${ids[i]}`);
            const thumb = await get(`${base}/api/thumb/${ids[i]}`);
            assert.strictEqual(thumb.status, 200);
            assert.ok(thumb.body.length < jpegs[i].length / 2, 'the thumbnail, not the full image');
            assert.deepStrictEqual(thumb.body.subarray(0, 3), Buffer.from([0xff, 0xd8, 0xff]));
        }
        // The time filters select by when Redis stored the picture.
        const at = storedMsOf(ids[1]);
        const filtered = await get(`${base}/api/images?from=${at}&to=${at}&camera=porch`);
        assert.deepStrictEqual((JSON.parse(filtered.body.toString()) as Array<{ id: string }>).map((i) => i.id),
            ids.filter((id) => storedMsOf(id) === at).reverse());
        const none = await get(`${base}/api/images?camera=garage`);
        assert.strictEqual(none.body.toString(), '[]');
    });

    it('filters by a lux range (minLux, maxLux) with camera, time and paging; unmeasured pictures only without it', async function () {
        const { stored } = await start();
        const luxes = [10, 120, 300, undefined, 250];
        const ids: string[] = [];
        for (const [i, lux] of luxes.entries()) {
            ids.push(await store(stored, makeJpeg(32, 24, i * 40), { lux, camera: i % 2 ? 'garage' : 'porch' }));
            while (storedMsOf(ids[i]) >= await redisNowMs(redis)) await new Promise((r) => setTimeout(r, 1));
        }
        const ids0 = async (query: string) => {
            const reply = await get(`${base}/api/images?${query}`);
            assert.strictEqual(reply.status, 200, query);
            return { ids: (JSON.parse(reply.body.toString()) as Array<{ id: string }>).map((i) => i.id), link: String(reply.headers.link ?? '') };
        };
        assert.deepStrictEqual((await ids0('minLux=100&maxLux=300')).ids, [ids[4], ids[2], ids[1]]);
        assert.deepStrictEqual((await ids0('minLux=100&camera=porch')).ids, [ids[4], ids[2]]);
        assert.deepStrictEqual((await ids0(`maxLux=200&from=${storedMsOf(ids[1])}`)).ids, [ids[1]]);
        assert.deepStrictEqual((await ids0('minLux=0')).ids, [ids[4], ids[2], ids[1], ids[0]], 'the unmeasured upload is not in any lux range');
        assert.strictEqual((await ids0('')).ids.length, 5);
        const page = await ids0('minLux=100&limit=2');
        assert.deepStrictEqual(page.ids, [ids[4], ids[2]]);
        assert.match(page.link, /minLux=100/, 'the next page keeps the filter');
        assert.deepStrictEqual((await ids0(`minLux=100&limit=2&cursor=${ids[2]}`)).ids, [ids[1]]);
        // Not a lux: ignored, as the time filters ignore what is not a time.
        assert.strictEqual((await ids0('minLux=-5&maxLux=bright')).ids.length, 5);
    });

    it('caches immutably with ETag and 304, and serves byte ranges with 206 and 416', async function () {
        const { stored } = await start();
        const jpeg = makeJpeg(200, 100);
        const id = await store(stored, jpeg);
        const full = await get(`${base}/api/image/${id}`);
        assert.strictEqual(full.headers['cache-control'], 'public, max-age=31536000, immutable');
        assert.strictEqual(full.headers['accept-ranges'], 'bytes');
        assert.strictEqual(full.headers['content-length'], String(jpeg.length));
        const etag = String(full.headers.etag);
        assert.match(etag, /^"[^"]+"$/);
        const again = await get(`${base}/api/image/${id}`, { 'If-None-Match': etag });
        assert.strictEqual(again.status, 304);
        assert.strictEqual(again.body.length, 0);
        const other = await get(`${base}/api/image/${id}`, { 'If-None-Match': '"something-else"' });
        assert.strictEqual(other.status, 200);
        const part = await get(`${base}/api/image/${id}`, { Range: 'bytes=10-29' });
        assert.strictEqual(part.status, 206);
        assert.strictEqual(part.headers['content-range'], `bytes 10-29/${jpeg.length}`);
        assert.ok(part.body.equals(jpeg.subarray(10, 30)));
        const tail = await get(`${base}/api/image/${id}`, { Range: 'bytes=-5' });
        assert.strictEqual(tail.status, 206);
        assert.ok(tail.body.equals(jpeg.subarray(jpeg.length - 5)));
        const bad = await get(`${base}/api/image/${id}`, { Range: `bytes=${jpeg.length}-` });
        assert.strictEqual(bad.status, 416);
        assert.strictEqual(bad.headers['content-range'], `bytes */${jpeg.length}`);
        const thumb = await get(`${base}/api/thumb/${id}`);
        assert.notStrictEqual(thumb.headers.etag, etag);
        assert.strictEqual((await get(`${base}/api/thumb/${id}`, { 'If-None-Match': String(thumb.headers.etag) })).status, 304);
    });

    it('answers 404 for unknown and malformed ids, path tricks and non-image keys', async function () {
        const { names } = await start();
        await redis.set(`${names.keyPrefix}${MISSING.notAHash}`, 'not a hash');
        const paths = [MISSING.ours, MISSING.original, '..%2Fimage-index', '../image-index', '..%2F..%2Fsettings.js', 'image-index', `${names.index}`, 'image:index',
            '%2e%2e', MISSING.notAHash, `${MISSING.ours}%00`, MISSING.bare, '<script>'];
        for (const p of paths) {
            for (const kind of ['image', 'thumb', 'data']) {
                const reply = await get(`${base}/api/${kind}/${p}`);
                assert.strictEqual(reply.status, 404, `${kind}/${p} → ${reply.status}`);
                assert.ok(!/<script>/.test(String(reply.headers['content-type'])) && /text\/plain|text\/html/.test(String(reply.headers['content-type'])), p);
            }
        }
        assert.strictEqual(await redis.get(`${names.keyPrefix}${MISSING.notAHash}`), 'not a hash');
    });

    it('answers 503, not 404, while Redis is unreachable', async function () {
        // Nothing listens on a port just found free: every read fails at once (no offline queue).
        await load([serverModule, storeModule, galleryModule, catchNode, httpNode.module], flow(await freePort(), freshNames()));
        served = await httpNode.serve();
        for (const id of [MISSING.ours, MISSING.notAHash]) {
            const data = await get(`/gallery/api/data/${id}`);
            assert.strictEqual(data.status, 503, `data/${id} → ${data.status}`);
        }
        // The fast conditional path only checks that the picture exists: that check fails too.
        assert.strictEqual((await get(`/gallery/api/thumb/${MISSING.ours}`, { 'If-None-Match': '*' })).status, 503);
    });

    it("lists and serves images written in the original's layout", async function () {
        const names = freshNames();
        const jpeg = makeJpeg(400, 300);
        const [lux, older] = await captureScriptIds(redis, 60, 108);
        // What capture.py writes: image_data, timestamp (its id), mime_type and, from v0.0.2, lux.
        await redis.hset(`${names.keyPrefix}${lux}`, { image_data: jpeg, timestamp: lux, mime_type: 'image/jpeg', lux: '117' });
        await redis.hset(`${names.keyPrefix}${older}`, { image_data: jpeg, timestamp: older, mime_type: 'image/jpeg' });
        await start(names);
        await waitFor(async () => (await redis.zcard(names.index)) === 2, 3000, 'adopted');
        const list = JSON.parse((await get(`${base}/api/images`)).body.toString()) as Array<Record<string, unknown>>;
        assert.deepStrictEqual(list.map((i) => [i.id, i.timestamp, i.mime_type, i.lux]), [
            [lux, lux, 'image/jpeg', '117'],
            [older, older, 'image/jpeg', null],
        ]);
        const image = await get(`${base}/api/image/${lux}`);
        assert.strictEqual(image.status, 200);
        assert.ok(image.body.equals(jpeg));
        assert.strictEqual(image.headers['cache-control'], 'no-cache');
        assert.strictEqual((await get(`${base}/api/image/${lux}`, { 'If-None-Match': String(image.headers.etag) })).status, 304);
        // No thumbnail was stored by the original: one is derived, cached, and smaller.
        const thumb = await get(`${base}/api/thumb/${lux}`);
        assert.strictEqual(thumb.status, 200);
        assert.ok(thumb.body.length < jpeg.length);
        assert.ok((await redis.hexists(`${names.keyPrefix}${lux}`, 'thumbnail')) === 1);
    });

    it('returns metadata containing HTML as data, and the page script never parses data as HTML', async function () {
        const { stored } = await start();
        const evil = '<img src=x onerror="alert(1)">';
        const id = await store(stored, makeJpeg(), { camera: evil });
        const list = JSON.parse((await get(`${base}/api/images`)).body.toString()) as Array<Record<string, unknown>>;
        assert.strictEqual(list[0].camera, evil);
        assert.strictEqual(JSON.parse((await get(`${base}/api/data/${id}`)).body.toString()).camera, evil);
        const cameras = JSON.parse((await get(`${base}/api/cameras`)).body.toString()) as string[];
        assert.ok(cameras.includes(evil));
        const page = await get(base);
        assert.strictEqual(page.status, 200);
        assert.match(String(page.headers['content-type']), /text\/html/);
        assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
        const html = page.body.toString();
        assert.ok(!html.includes(evil) && !html.includes('onerror'));
        assert.ok(html.includes('content="/gallery"'));
        const script = await get(`${base}/static/gallery.js`);
        assert.strictEqual(script.status, 200);
        assert.match(String(script.headers['content-type']), /javascript/);
        const source = fs.readFileSync(path.join(__dirname, '../../nodes/redis-image-gallery/page/gallery.js'), 'utf8');
        assert.strictEqual(script.body.toString(), source);
        for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'createContextualFragment', 'DOMParser']) {
            assert.ok(!source.includes(sink), `gallery.js must not use ${sink}`);
        }
        assert.ok(source.includes('textContent'));
        assert.strictEqual((await get(`${base}/static/..%2F..%2Fredis-image-gallery.js`)).status, 404);
        assert.strictEqual((await get(`${base}/static/index.html`)).status, 404);
    });

    it('announces each new id over SSE at <path>/api/events', async function () {
        const { stored } = await start();
        const frames: string[] = [];
        const req = http.get({ host: '127.0.0.1', port: served?.port, path: `${base}/api/events` });
        try {
            const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
            assert.match(String(res.headers['content-type']), /text\/event-stream/);
            res.on('data', (c: Buffer) => frames.push(c.toString()));
            await waitFor(() => frames.join('').includes('retry:'), 3000, 'stream open');
            await new Promise((r) => setTimeout(r, 100)); // subscription confirmed
            const id = await store(stored, makeJpeg());
            await waitFor(() => frames.join('').includes(`event: image\ndata: ${id}\n\n`), 3000, 'announcement');
        } finally {
            req.destroy();
        }
    });

    it('removes its routes on close so a redeploy does not stack them; a second gallery on the same path is an error', async function () {
        const names = freshNames();
        const routes = () => httpNode.app._router.stack.filter((l) => l.route && String(l.route.path).startsWith('/gallery')).length;
        const { caught } = await start(names, [{}, {}]);
        assert.strictEqual(routes(), 8);
        assert.strictEqual(statusOf('gallery1').fill, 'red');
        assert.ok(caught.length === 0);
        await helper.setFlows(flow(sharedRedis().port, names, [{ name: 'changed' }]) as never, 'full');
        assert.strictEqual(routes(), 8);
        await helper.setFlows(flow(sharedRedis().port, names, [{ path: '/elsewhere' }]) as never, 'full');
        assert.strictEqual(routes(), 0);
        await waitFor(async () => (await get('/elsewhere/api/images')).status === 200, 3000, 'the moved gallery answers');
        assert.strictEqual((await get('/gallery/api/images')).status, 404);
    });
});
