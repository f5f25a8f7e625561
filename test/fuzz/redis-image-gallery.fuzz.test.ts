// redis-image-gallery under 1,000 generated input messages (each asks it to adopt the
// original's pictures: done, no output) and 1,000 generated HTTP requests on a real socket:
// odd paths and ids (path tricks, encodings, globs, braces), query strings (pollution
// attempts through the query parser included) and headers (ranges, validators). No request
// gets a 5xx while Redis is up, nothing ever answers an image route with markup, and the
// requests write no key: only a legacy picture may gain its cached thumbnail.
import assert from 'assert/strict';
import http from 'http';
import fc from 'fast-check';
import { makeJpeg, makePng } from '../lib/images/fixtures';
import { helper, serverNode, statusOf, waitFor } from '../support/flow';
import { redisNowMs } from '../support/redis-time';
import { httpNodeModule, rawGet, ServedHttpNode } from '../support/http-node';
import { field, message, nastyValue, oddString } from './arbitraries';
import { allKeys, describeValue, fuzzFlow, fuzzMessages, fuzzReporter, fuzzSuite, loadFuzzFlow, Outcome, OutcomeTracker, Tally } from './harness';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const storeModule = require('../../nodes/redis-image-store/redis-image-store');
const galleryModule = require('../../nodes/redis-image-gallery/redis-image-gallery');

const PREFIX = 'fuzz:image:';
const INDEX = 'fuzz:index';
const BASE = '/fuzzgal';

const httpNode = httpNodeModule();

/** Text for a URL: percent-encoded, or raw where Node's client lets it through (printable ASCII). */
const urlPart = (text: fc.Arbitrary<string>) => fc.oneof(
    text.map((t) => encodeURIComponent(t.replace(/[\uD800-\uDFFF]/g, ''))),
    text.map((t) => t.replace(/[^\x21-\x7e]/g, '')),
    fc.constantFrom('%', '%ZZ', '%00', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..', '.', '%2F', '%5C', '*', '%7B%7D', '%E0%A4%A', '%C0%AE%C0%AE'),
);

describe('fuzz: redis-image-gallery', function () {
    this.timeout(120000);
    const ctx = fuzzSuite({ redis: true });
    let server: ServedHttpNode | undefined;
    after(() => server?.close());

    it('ends 1,000 generated messages and answers 1,000 generated requests without a 5xx, markup or a new key', async function () {
        const flow = fuzzFlow({ type: 'redis-image-gallery', server: 'redis-test', path: BASE, keyPrefix: PREFIX, index: INDEX, pageSize: 24 }, 0, [
            serverNode(ctx.port, { timeout: 5000 }),
            { id: 'seeder', type: 'redis-image-store', server: 'redis-test', keyPrefix: PREFIX, index: INDEX, maxCount: 100, maxBytes: 10_000_000, maxAge: 3600,
                maxImageSize: 1_000_000, thumbnailWidth: 32, wires: [['seeded']] },
            { id: 'seeded', type: 'helper' },
        ]);
        // A picture the original capture script wrote: no index entry, no thumbnail yet. Its id is
        // unix seconds; a minute ago by Redis's clock, which the store's maxAge ages it by.
        const LEGACY = String(Math.floor((await redisNowMs(ctx.redis)) / 1000) - 60);
        await ctx.redis.hset(`${PREFIX}${LEGACY}`, { image_data: makeJpeg(48, 32), timestamp: LEGACY, mime_type: 'image/jpeg' });
        await loadFuzzFlow([serverModule, storeModule, galleryModule, httpNode.module], flow);
        // Express prints the stack of every path it cannot decode unless it runs as 'test'.
        httpNode.app.set('env', 'test');
        await waitFor(() => statusOf('seeder').fill === 'green', 10000, 'store connected');
        server = await httpNode.serve();
        const { port } = server;

        const seeded: string[] = [];
        (helper.getNode('seeded') as unknown as NodeJS.EventEmitter).on('input', (msg: { payload: string }) => seeded.push(msg.payload));
        const pictures = [makeJpeg(40, 30), makeJpeg(64, 48, 20), makePng(4, 3)];
        pictures.forEach((payload, i) => helper.getNode('seeder').receive({ payload, image: { camera: i ? 'porch' : 'garden', lux: i } } as never));
        await waitFor(() => seeded.length === pictures.length, 10000, 'pictures stored');

        // Input messages: each one adopts the original's pictures and ends, with no output.
        const tracker = new OutcomeTracker(0);
        const check = (o: Outcome) => {
            assert.deepEqual(o.errors.map((e) => describeValue(e.error)), [], 'adopting works while Redis is up');
            assert.equal(o.outputs.length, 0);
        };
        const sent = await fuzzMessages(tracker, { seed: 5901, runs: 125, batch: 8, messages: message({ payload: field(nastyValue), topic: field(oddString) }), check });
        assert.ok(sent >= 1000);
        assert.ok(await ctx.redis.zscore(INDEX, LEGACY), 'the legacy picture was adopted');

        // HTTP: the key set may not change (a legacy thumbnail is a field, not a key).
        const keysBefore = await allKeys(ctx.redis);
        const ids = [...seeded, LEGACY];
        const id = fc.oneof(
            { arbitrary: fc.constantFrom(...ids), weight: 3 },
            { arbitrary: fc.tuple(fc.integer({ min: 1e12, max: 9e12 }), fc.nat(1e6)).map(([ms, n]) => `${ms}-${String(n).padStart(12, '0')}`), weight: 1 },
            { arbitrary: fc.constantFrom('9999999999', '0000000000000-0', `${seeded[0]}0`, `${seeded[0]}/../x`, '__proto__', 'constructor', '*', '{x}'), weight: 1 },
            { arbitrary: urlPart(oddString.filter((s) => s.length < 3000)), weight: 2 },
        );
        const query = fc.array(fc.tuple(
            fc.oneof(fc.constantFrom('limit', 'cursor', 'from', 'to', 'camera', '__proto__[x]', 'constructor[prototype][fuzzPolluted]', '__proto__.fuzzPolluted',
                'camera[]', 'limit[0]', 'x'), urlPart(fc.string({ maxLength: 10 }))),
            // fixed date: an ISO day is one form the from/to filters take; only its form is fuzzed.
            fc.oneof(fc.constantFrom('0', '1', '200', '201', '-1', '1e3', '99999999999999999999', 'porch', 'garden', '2026-01-01', 'yes', ''), fc.constantFrom(...ids),
                urlPart(oddString.filter((s) => s.length < 500))),
        ), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
        const path = fc.oneof(
            { arbitrary: fc.constantFrom('', '/', '/api/cameras', '/api/events/x', '/static/gallery.js', '/static/gallery.css', '/static/index.html',
                '/static/..%2Findex.html', '/static/%2e%2e%2f%2e%2e%2fpackage.json', '/api', '/api/', '/api/image', '/api/image/').map((p) => BASE + p), weight: 2 },
            { arbitrary: fc.tuple(fc.constantFrom('image', 'thumb', 'data'), id).map(([route, i]) => `${BASE}/api/${route}/${i}`), weight: 6 },
            { arbitrary: query.map((q) => `${BASE}/api/images?${q}`), weight: 3 },
            { arbitrary: fc.array(urlPart(fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 4 }).map((parts) => `${BASE}/${parts.join('/')}`), weight: 1 },
            { arbitrary: fc.integer({ min: 2000, max: 12000 }).map((n) => `${BASE}/api/image/${'1'.repeat(n)}`), weight: 1 },
        );
        const header = (name: string, values: fc.Arbitrary<string>) => fc.option(values.map((v) => [name, v] as [string, string]), { nil: undefined });
        const headers = fc.tuple(
            header('Range', fc.oneof(fc.constantFrom('bytes=0-9', 'bytes=-5', 'bytes=5-', 'bytes=9-0', 'bytes=0-0,5-9', 'bytes=99999999999999999999-', 'bytes=-0',
                'bytes=--1', 'items=0-1', 'bytes=', 'bytes=1-2-3'), fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `bytes=${a}-${b}`))),
            header('If-None-Match', fc.oneof(fc.constantFrom('*', 'W/"x"', '"x", W/"y"', '""', '"'), fc.constantFrom(...ids).map((i) => `"${i}"`),
                fc.constantFrom(...ids).map((i) => `W/"${i}-thumb"`))),
            header('If-Range', fc.constantFrom('"x"', ...ids.map((i) => `"${i}"`))),
            header('Accept', fc.constantFrom('text/html', '*/*', 'application/json', 'image/*')),
        ).map((pairs) => Object.fromEntries(pairs.filter((p): p is [string, string] => p !== undefined)));

        const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
        const statuses = new Tally();
        let requests = 0;
        await fc.assert(fc.asyncProperty(fc.array(fc.tuple(path, headers), { minLength: 8, maxLength: 8 }), async (batch) => {
            const replies = await Promise.all(batch.map(([p, h]) => rawGet(port, p, h, agent)));
            replies.forEach((reply, i) => {
                const [p, h] = batch[i];
                requests++;
                statuses.add(reply.status);
                const what = `GET ${describeValue(p, 200)} ${describeValue(h, 200)} → ${reply.status}`;
                assert.ok([200, 206, 304, 400, 404, 416].includes(reply.status), what);
                const type = String(reply.headers['content-type'] ?? '');
                // Markup comes only from the gallery page itself, or from Express's own error page
                // (a path it cannot decode, none of the gallery's routes, a static file's bad range),
                // which is locked down and escapes the path. The API never answers with markup.
                if (/html/.test(type) && !new RegExp(`^${BASE}/?$`).test(p)) {
                    assert.ok([400, 404, 416].includes(reply.status), `${what}: markup`);
                    assert.equal(reply.headers['content-security-policy'], "default-src 'none'", `${what}: markup without a locked-down CSP`);
                }
                if (/\/api\/(image|thumb)\//.test(p) && reply.status === 200) assert.equal(reply.headers['x-content-type-options'], 'nosniff', what);
                if (/\/api\/images\?/.test(p) && reply.status === 200) assert.ok(Array.isArray(JSON.parse(reply.body.toString())), what);
            });
        }), { seed: 5902, numRuns: 125, endOnFailure: true, asyncReporter: fuzzReporter(5902) });
        agent.destroy();
        assert.ok(requests >= 1000);
        statuses.assertReached([200, 404]);
        assert.deepEqual(await allKeys(ctx.redis), keysBefore, 'the requests wrote no key');

        // Still serving: the list holds the stored pictures and the adopted one.
        const list = await rawGet(port, `${BASE}/api/images?limit=200`, {}, new http.Agent());
        assert.deepEqual((JSON.parse(list.body.toString()) as Array<{ id: string }>).map((i) => i.id).sort(), [...ids].sort());
    });
});
