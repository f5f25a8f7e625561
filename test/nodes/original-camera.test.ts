// Our camera system with the original camera programs on one Redis, the nodes' default key
// names (image:<id>, image-index): the v0.0.2 Flask gallery must show the pictures we
// store, its title must read their time, they must fit the latest version's RediSearch
// schema, and a picture the original capture script writes while Node-RED runs must be
// listed and announced without a restart (it never publishes). The original programs are
// the stand-ins of test/support/original-camera.ts.
import assert from 'assert';
import Redis from 'ioredis';
import { catchNode, collect, FlowNode, helper, load, Msg, serverNode, statusOf, waitFor } from '../support/flow';
import { httpNodeModule, rawGet, ServedHttpNode } from '../support/http-node';
import { captureScriptPicture, IDX_IMAGES, originalImageData, originalImageIds, originalTitle } from '../support/original-camera';
import { ownRedis } from '../support/redis-process';
import { redisNowMs } from '../support/redis-time';
import { openSse, SseBlock } from '../support/sse';
import { makeJpeg } from '../lib/images/fixtures';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const cameraModule = require('../../nodes/pi-camera/pi-camera');
const storeModule = require('../../nodes/redis-image-store/redis-image-store');
const galleryModule = require('../../nodes/redis-image-gallery/redis-image-gallery');

const httpNode = httpNodeModule();

interface Summary { id: string; lux: string | null; stored_ms: number; camera: string | null }

describe('with the original camera programs (default key names)', function () {
    this.timeout(30000);
    let served: ServedHttpNode | undefined;
    const own = ownRedis({
        perTest: true,
        stopFirst: async () => {
            await helper.unload();
            await served?.close();
            served = undefined;
        },
    });

    async function start(nodes: FlowNode[]): Promise<void> {
        await load([serverModule, cameraModule, storeModule, galleryModule, catchNode, httpNode.module], [
            { id: 'tab', type: 'tab' }, { ...serverNode(own.port), z: 'tab' }, ...nodes,
        ]);
        served = await httpNode.serve();
    }

    const camera: FlowNode[] = [
        { id: 'cam', type: 'pi-camera', z: 'tab', mode: 'simulated', cameraName: 'porch', width: 160, height: 120, wires: [['store']] },
        { id: 'store', type: 'redis-image-store', z: 'tab', server: 'redis-test', thumbnailWidth: 32, wires: [['stored']] },
        { id: 'stored', type: 'helper', z: 'tab' },
    ];
    const gallery: FlowNode = { id: 'gallery', type: 'redis-image-gallery', z: 'tab', server: 'redis-test', path: '/gallery', wires: [] };

    async function listed(): Promise<Summary[]> {
        const reply = await rawGet(served?.port ?? 0, '/gallery/api/images');
        assert.strictEqual(reply.status, 200);
        return JSON.parse(reply.body.toString()) as Summary[];
    }

    it('the v0.0.2 gallery lists our camera pictures and uploads, reads their data and titles them with the second they were stored', async function () {
        await start([...camera, gallery]);
        await waitFor(() => statusOf('store').fill === 'green', 5000, 'the store connected');
        const stored = collect('stored');
        // A picture of the original capture script, taken two seconds ago by Redis's clock.
        const originalSeconds = Math.floor((await redisNowMs(own.client)) / 1000) - 2;
        await captureScriptPicture(own.client, originalSeconds, makeJpeg(40, 30), 137);
        helper.getNode('cam').receive({ payload: 'go' } as never);
        await waitFor(() => stored.length === 1, 5000, 'the camera picture stored');
        // An upload: a JPEG from elsewhere, with no msg.image.lux.
        helper.getNode('store').receive({ payload: makeJpeg(64, 48) } as never);
        await waitFor(() => stored.length === 2, 5000, 'the upload stored');
        const [cameraId, uploadId] = stored.map((m: Msg) => String(m.payload));

        const ids = await originalImageIds(own.client);
        // Newest first by its reverse string sort: our decimal ids order with its seconds.
        assert.deepStrictEqual(ids, [uploadId, cameraId, String(originalSeconds)]);
        const ours = new Map((await listed()).map((s) => [s.id, s]));
        for (const id of ids) {
            const data = await originalImageData(own.client, id);
            assert.strictEqual(data.status, 200, `/api/data/${id}`);
            assert.ok(data.body && Number.isFinite(Number(data.body.lux)), `lux of ${id}: ${data.body?.lux}`);
            // Its title is the second the picture was stored (the original's: its own seconds).
            const storedMs = ours.get(id)?.stored_ms ?? NaN;
            assert.strictEqual(originalTitle(id), new Date(storedMs).toUTCString(), `title of ${id}`);
            assert.notStrictEqual(originalTitle(id), 'Invalid Date');
        }
        const cameraLux = Number((await originalImageData(own.client, cameraId)).body?.lux);
        assert.ok(cameraLux >= 20 && cameraLux <= 500, `the simulated camera's lux ${cameraLux}`);
        assert.strictEqual(ours.get(cameraId)?.lux, String(cameraLux));
        // Nothing measured the upload: the original reads -1, our API null.
        assert.strictEqual((await originalImageData(own.client, uploadId)).body?.lux, '-1');
        assert.strictEqual(ours.get(uploadId)?.lux, null);
        assert.strictEqual(ours.get(String(originalSeconds))?.lux, '137');
    });

    it("every picture we store fits the original's latest index (idx:images: prefix image:, mime_type TAG, numeric lux and timestamp)", async function () {
        await start(camera);
        await waitFor(() => statusOf('store').fill === 'green', 5000, 'the store connected');
        const stored = collect('stored');
        helper.getNode('cam').receive({ payload: 'go' } as never);
        helper.getNode('store').receive({ payload: makeJpeg(16, 16) } as never);
        helper.getNode('store').receive({ payload: makeJpeg(16, 16), image: { lux: 3.9 } } as never);
        await waitFor(() => stored.length === 3, 5000, 'three pictures stored');
        for (const id of stored.map((m) => String(m.payload))) {
            const key = `${IDX_IMAGES.prefix}${id}`;
            assert.strictEqual(await own.client.type(key), 'hash', key);
            const [mime, ...numbers] = await own.client.hmget(key, ...IDX_IMAGES.tag, ...IDX_IMAGES.numeric);
            assert.strictEqual(mime, 'image/jpeg');
            // RediSearch indexes a NUMERIC field only when the whole value parses as a number.
            numbers.forEach((value, i) => assert.match(String(value), /^-?\d+$/, `${IDX_IMAGES.numeric[i]} of ${key}: ${value}`));
        }
        // msg.image.lux sets it, a whole number as capture.py's int(image_metadata["Lux"]).
        const given = stored.find((m) => (m.image as { lux?: number }).lux === 3.9);
        assert.strictEqual(await own.client.hget(`image:${String(given?.payload)}`, 'lux'), '3');
    });

    it('a picture the capture script writes while only the gallery runs is listed and announced at once, also after a Redis restart', async function () {
        await start([gallery]);
        const announced: string[] = [];
        const sub = new Redis(own.port);
        const blocks: SseBlock[] = [];
        const events = await openSse(`http://127.0.0.1:${served?.port}/gallery/api/events`, (b) => blocks.push(b), 5000);
        try {
            await sub.subscribe('image-index:new');
            sub.on('message', (_channel, id: string) => announced.push(id));
            for (const round of ['running', 'after a restart']) {
                // The gallery follows the image keys once it has set notifications and subscribed.
                await waitFor(async () => ((await own.client.config('GET', 'notify-keyspace-events')) as string[])[1].includes('h')
                    && Number(await own.client.call('PUBSUB', 'NUMPAT')) >= 1, 10000, `the gallery following the image keys (${round})`);
                const seconds = Math.floor((await redisNowMs(own.client)) / 1000);
                await captureScriptPicture(own.client, seconds, makeJpeg(40, 30), 268);
                const id = String(seconds);
                await waitFor(() => announced.includes(id), 5000, `${id} announced on image-index:new (${round})`);
                await waitFor(() => blocks.some((b) => b.event === 'image' && b.data === id), 5000, `${id} sent to open pages (${round})`);
                const found = (await listed()).find((s) => s.id === id);
                assert.deepStrictEqual([found?.lux, found?.stored_ms], ['268', seconds * 1000], round);
                assert.ok((await own.client.ttl(`image:${id}`)) > 0, "capture.py's EXPIRE still holds");
                if (round === 'running') {
                    // A restart forgets CONFIG SET and every subscription.
                    await own.process.restart();
                    await sub.subscribe('image-index:new').catch(() => undefined);
                }
            }
        } finally {
            events.close();
            sub.disconnect();
        }
    });
});
