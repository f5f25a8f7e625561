// redis-image-store: stores each JPEG/PNG in msg.payload as an image hash with the
// original camera demo's fields, indexes it by time and enforces retention, all in one
// script; then sends the message on with the new id instead of the bytes.
import type { NodeAPI, NodeDef } from 'node-red';
import { handleInput, InputError } from '../common/input';
import { numberSetting } from '../lib/settings';
import { startRedisNode } from '../common/redis-user';
import type { NodeConstructorAny, RedisUser } from '../common/types';
import { describeSkew } from '../lib/images/clock-skew';
import { ImageInputError } from '../lib/images/content';
import { ImageStore, StoredImage } from '../lib/images/store';
import { MAX_WAITING_DECODES } from '../lib/off-thread/jpeg-work';
import { watchCaptureScript } from '../common/capture-script';

interface ImageStoreConfig extends NodeDef {
    server: string;
    keyPrefix?: string;
    index?: string;
    maxCount?: string | number;
    maxBytes?: string | number;
    maxAge?: string | number;
    maxImageSize?: string | number;
    thumbnailWidth?: string | number;
}

function secondsToMs(seconds: number | undefined): number | undefined {
    return seconds === undefined ? undefined : seconds * 1000;
}

export = function register(RED: NodeAPI): void {
    function RedisImageStore(this: RedisUser, config: ImageStoreConfig) {
        RED.nodes.createNode(this, config);
        const node = this;
        const redis = startRedisNode(RED, node, {
            type: 'redis-image-store',
            server: config.server,
            settings: () => ({
                // Empty fields are passed as they are: the defaults are ImageStore's.
                keyPrefix: config.keyPrefix,
                index: config.index,
                maxCount: numberSetting(config.maxCount, 'max count', { min: 0 }),
                maxBytes: numberSetting(config.maxBytes, 'max bytes', { min: 0 }),
                maxAgeMs: secondsToMs(numberSetting(config.maxAge, 'max age', { min: 0 })),
                maxImageSize: numberSetting(config.maxImageSize, 'max image size', { min: 0 }),
                thumbnailWidth: numberSetting(config.thumbnailWidth, 'thumbnail width', { min: 0 }),
            }),
            build: (connection, settings) => {
                const store = new ImageStore(connection.command, { ...settings, cluster: connection.mode === 'cluster', deadline: () => connection.deadline() });
                // Images the original capture script wrote (no index) join the index once Redis is
                // there, and each one it writes later as soon as it appears (live-adoption.ts).
                const live = watchCaptureScript(RED, node, 'redis-image-store', connection, store.keys);
                live.on('refused', (what, reason) => {
                    if (what === 'adopt') node.warn(RED._('redis-image-store.errors.adopt-failed', { error: reason }));
                    else if (what === 'subscribe') node.log(RED._('redis-image-store.log.no-live-subscribe', { error: reason }));
                    else node.log(RED._('redis-image-store.log.no-live-config', { error: reason }));
                });
                live.on('error', (err) => node.warn(RED._('redis-image-store.errors.adopt-failed', { error: err.message })));
                return store;
            },
        });

        // Cameras whose clock is known to be wrong: told once in the log, and again when it is right.
        const wrongClocks = new Set<string>();
        function noteCameraClock(result: StoredImage): string | undefined {
            const { camera, clockSkewMs } = result;
            if (clockSkewMs === undefined) {
                if (wrongClocks.delete(camera)) node.log(RED._('redis-image-store.log.clock-right', { camera }));
                return undefined;
            }
            const skew = describeSkew(clockSkewMs);
            const text = RED._(`redis-image-store.status.clock-${skew.direction}`, { amount: RED._(`redis-image-store.units.${skew.unit}`, { count: skew.count }) });
            if (!wrongClocks.has(camera)) {
                wrongClocks.add(camera);
                node.warn(RED._('redis-image-store.log.clock-wrong', { camera, skew: text }));
            }
            return text;
        }

        // Pictures stored without a thumbnail since the last one made: logged when it starts and ends.
        let skipped = 0;
        function noteThumbnail(result: StoredImage): void {
            if (result.thumbnailSkipped) {
                if (skipped++ === 0) node.log(RED._('redis-image-store.log.thumbnail-skipped', { waiting: MAX_WAITING_DECODES }));
            } else if (skipped && result.thumbnailSize !== undefined) {
                node.log(RED._('redis-image-store.log.thumbnails-again', { count: skipped }));
                skipped = 0;
            }
        }

        let stored = 0;
        handleInput(node, async (msg, send) => {
            const store = redis.ready();
            const meta = (msg.image && typeof msg.image === 'object' ? msg.image : {}) as Record<string, unknown>;
            let result;
            try {
                result = await store.store(msg.payload, meta);
            } catch (err) {
                if (err instanceof ImageInputError) throw new InputError(err.message, err.code);
                throw err;
            }
            stored += 1;
            const clockWrong = noteCameraClock(result);
            noteThumbnail(result);
            if (clockWrong) node.status({ fill: 'yellow', shape: 'dot', text: clockWrong });
            else if (result.thumbnailSkipped) node.status({ fill: 'yellow', shape: 'ring', text: RED._('redis-image-store.status.no-thumbnail', { id: result.id, count: stored }) });
            else node.status({ fill: 'green', shape: 'dot', text: RED._('redis-image-store.status.stored', { id: result.id, count: stored }) });
            // The bytes stay in Redis: later nodes get the id (and metadata), not megabytes.
            msg.payload = result.id;
            msg.imageId = result.id;
            msg.image = { ...meta, id: result.id, size: result.size, mimeType: result.mimeType, width: result.width, height: result.height, camera: result.camera,
                clockSkewMs: result.clockSkewMs };
            send(msg);
        });
    }

    RED.nodes.registerType('redis-image-store', RedisImageStore as unknown as NodeConstructorAny);
};
