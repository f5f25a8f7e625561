// redis-image-store under 1,000 generated messages: real JPEGs and PNGs, things that only
// start like one (garbage after the magic bytes, cut short, a frame header claiming a big
// picture), Buffers of every size, wrong types, and msg.image metadata with odd camera
// names, lux values and timestamps. Each is stored (and the id sent on) or refused with one
// of the store's error codes, writing nothing. Afterwards the index, the hashes, the size
// records and the byte count agree, and no key is outside the store's layout.
import assert from 'assert/strict';
import fc from 'fast-check';
import { IMAGE_ID } from '../../nodes/lib/images/ids';
import { sniffMime } from '../../nodes/lib/images/content';
import { CLOCK_SKEW_LIMIT_MS } from '../../nodes/lib/images/scripts';
import { claimingSize, makeJpeg, makePng } from '../lib/images/fixtures';
import { serverNode, statusOf, waitFor } from '../support/flow';
import { field, message, nastyValue, oddBuffer, oddNumber, oddString } from './arbitraries';
import { assertKeysMatch, DUT, fuzzFlow, fuzzMessages, fuzzSuite, literal, loadFuzzFlow, Msg, Outcome, OutcomeTracker, refusalCode, Tally } from './harness';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const storeModule = require('../../nodes/redis-image-store/redis-image-store');

const PREFIX = 'fuzz:image:';
const INDEX = 'fuzz:index';
const MAX_COUNT = 40;
const MAX_IMAGE = 200_000;
const CODES = ['not-a-buffer', 'not-an-image', 'too-large', 'empty', 'bad-metadata'];

const images = [makeJpeg(16, 16), makeJpeg(64, 48), makeJpeg(120, 80), makePng(4, 3), makePng(300, 2)];
const picture = fc.oneof(
    { arbitrary: fc.constantFrom(...images), weight: 1 },
    { arbitrary: fc.tuple(fc.constantFrom(...images), fc.nat()).map(([img, cut]) => img.subarray(0, cut % img.length)), weight: 2 },
    { arbitrary: fc.tuple(fc.constantFrom(Buffer.from([0xff, 0xd8, 0xff]), images[3].subarray(0, 8)), fc.uint8Array({ maxLength: 300 }))
        .map(([magic, rest]) => Buffer.concat([magic, Buffer.from(rest)])), weight: 2 },
    // Big enough to be refused by size only; a claimed size is decoded, so it stays modest here (see the fuzz report).
    { arbitrary: fc.constantFrom(claimingSize(400, 300), claimingSize(65535, 65535), claimingSize(0, 0), Buffer.alloc(MAX_IMAGE + 1, 0xff)), weight: 1 },
    { arbitrary: fc.constantFrom(...images).map((img) => ({ type: 'Buffer', data: [...img] })), weight: 1 },
    { arbitrary: oddBuffer, weight: 1 },
    { arbitrary: nastyValue, weight: 2 },
);
const meta = fc.record({
    camera: field(fc.oneof(fc.constantFrom('porch', 'garden', 'x'.repeat(64), 'x'.repeat(65), 'tab\there', '{tag}', '*', 'a:b', '..', '\u{1F44D}'), oddString)),
    lux: field(fc.oneof(fc.integer({ min: 0, max: 100000 }), fc.constantFrom('42', '3.5', ' 7 ', '-1'), oddNumber)),
    // Any camera clock, right or years off: the store orders and ages by Redis's clock.
    timestamp: field(fc.oneof(fc.integer({ min: 1e12, max: 9e12 }), fc.integer({ min: 1e12, max: 9e12 }).map((ms) => new Date(ms)), oddNumber)),
}, { requiredKeys: [] });

describe('fuzz: redis-image-store', function () {
    this.timeout(120000);
    const ctx = fuzzSuite({ redis: true });

    it('stores or refuses each of 1,000 generated messages and keeps its index, hashes and counts in agreement', async function () {
        await loadFuzzFlow([serverModule, storeModule], fuzzFlow({ type: 'redis-image-store', server: 'redis-test', keyPrefix: PREFIX, index: INDEX,
            maxCount: MAX_COUNT, maxBytes: 3_000_000, maxAge: 3600, maxImageSize: MAX_IMAGE, thumbnailWidth: 32 }, 1, [serverNode(ctx.port, { timeout: 5000 })]));
        await waitFor(() => statusOf(DUT).fill === 'green', 10000, 'store connected');
        const tracker = new OutcomeTracker(1);
        const messages = message({ payload: picture, image: fc.oneof({ arbitrary: meta, weight: 3 }, { arbitrary: nastyValue, weight: 1 }) });
        const kinds = new Tally();
        const check = (o: Outcome) => {
            if (o.errors.length) return kinds.add(refusalCode(o, CODES));
            assert.equal(o.outputs.length, 1);
            const out = o.outputs[0].msg;
            assert.match(String(out.payload), IMAGE_ID);
            assert.equal(out.imageId, out.payload);
            assert.ok(Buffer.isBuffer(o.sent.payload), 'only a Buffer is stored');
            assert.equal((out.image as Msg).mimeType, sniffMime(o.sent.payload as Buffer));
            assert.ok(!Buffer.isBuffer(out.payload), 'the id is sent on, not the bytes');
            const skew = (out.image as Msg).clockSkewMs;
            assert.ok(skew === undefined || (typeof skew === 'number' && Math.abs(skew) > CLOCK_SKEW_LIMIT_MS), `clockSkewMs ${skew}`);
            kinds.add('stored');
        };
        const sent = await fuzzMessages(tracker, { seed: 5801, runs: 125, batch: 8, messages, check });
        assert.ok(sent >= 1000);
        kinds.assertReached(['stored', ...CODES]);
        assert.equal(tracker.unsolicited.length, 0);

        const keys = await assertKeysMatch(ctx.redis, [
            new RegExp(`^${literal(PREFIX)}\\d{10}\\.\\d{15}$`),
            new RegExp(`^${literal(INDEX)}(:seq|:bytes|:sizes|:sizes:camera|:cameras|:lux)?$`),
            new RegExp(`^${literal(INDEX)}:camera:[^\\u0000-\\u001f\\u007f]{1,64}$`, 'u'),
        ]);
        const hashes = keys.filter((k) => k.startsWith(PREFIX)).map((k) => k.slice(PREFIX.length)).sort();
        const indexed = (await ctx.redis.zrange(INDEX, '0', '-1')).sort();
        assert.deepEqual(indexed, hashes, 'every image indexed, every index entry an image');
        assert.ok(indexed.length <= MAX_COUNT);
        const sizes = await ctx.redis.hgetall(`${INDEX}:sizes`);
        assert.deepEqual(Object.keys(sizes).sort(), indexed);
        assert.equal(Number(await ctx.redis.get(`${INDEX}:bytes`) ?? 0), Object.values(sizes).reduce((a, b) => a + Number(b), 0));
        for (const id of indexed) {
            const [data, mime] = await ctx.redis.hmgetBuffer(PREFIX + id, 'image_data', 'mime_type');
            assert.equal(sniffMime(data as Buffer), mime?.toString(), `${id} holds what its mime_type says`);
        }
        for (const key of keys.filter((k) => k.startsWith(`${INDEX}:camera:`))) {
            for (const id of await ctx.redis.zrange(key, '0', '-1')) assert.ok(indexed.includes(id), `${key} lists ${id}, which is gone`);
        }
    });

    // Found by this suite: a PNG is judged by its first eight bytes only, so the signature followed by
    // anything at all is stored as an image (and served as image/png) instead of being refused.
    it('refuses a PNG signature followed by garbage as not-an-image, writing nothing', async function () {
        await loadFuzzFlow([serverModule, storeModule], fuzzFlow({ type: 'redis-image-store', server: 'redis-test', keyPrefix: 'fuzz:png:', index: 'fuzz:png-index' },
            1, [serverNode(ctx.port, { timeout: 5000 })]));
        await waitFor(() => statusOf(DUT).fill === 'green', 10000, 'store connected');
        const tracker = new OutcomeTracker(1);
        const [id] = tracker.send([{ payload: Buffer.concat([makePng(4, 3).subarray(0, 8), Buffer.from('<svg onload=alert(1)>')]) }]);
        await tracker.waitEnded([id], 10000);
        assert.equal((tracker.outcomes.get(id)?.errors[0]?.error as Msg | undefined)?.code, 'not-an-image');
        assert.equal(await ctx.redis.exists('fuzz:png-index'), 0);
    });

    // Found by this suite: a 619-byte JPEG whose frame header claims 6000x6000 pixels makes jpeg-js allocate
    // over a gigabyte (within its 64 MP / 512 MB limits) before it fails: on a 1 GB Pi that is the
    // out-of-memory killer, from one message.
    it('refuses a tiny JPEG that claims a huge picture without decoding it', async function () {
        await loadFuzzFlow([serverModule, storeModule], fuzzFlow({ type: 'redis-image-store', server: 'redis-test', keyPrefix: 'fuzz:bomb:', index: 'fuzz:bomb-index',
            thumbnailWidth: 320 }, 1, [serverNode(ctx.port, { timeout: 5000 })]));
        await waitFor(() => statusOf(DUT).fill === 'green', 10000, 'store connected');
        // Larger than any camera, and camera-sized (12 MP) but in a few hundred bytes.
        for (const [width, height] of [[6000, 6000], [4000, 3000]]) {
            const tracker = new OutcomeTracker(1);
            const rssBefore = process.memoryUsage().rss;
            const [id] = tracker.send([{ payload: claimingSize(width, height) }]);
            await tracker.waitEnded([id], 30000);
            assert.ok(tracker.outcomes.get(id)?.errors.length, `${width}x${height} refused`);
            const grewMb = (process.memoryUsage().rss - rssBefore) / 1e6;
            assert.ok(grewMb < 200, `resident memory grew by ${Math.round(grewMb)} MB for a ${claimingSize(width, height).length}-byte ${width}x${height}`);
        }
    });
});
