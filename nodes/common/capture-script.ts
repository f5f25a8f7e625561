// The image store and the gallery both adopt the original capture script's pictures, at
// every (re)connect and live as they appear: one LiveAdoption per node, started with it,
// caught up at each connect and stopped when the node closes. Each node decides how loudly
// to report what its Redis user may not do.
import type { NodeAPI } from 'node-red';
import type { RedisConnection } from '../lib/redis/connection';
import type { ImageKeys } from '../lib/images/ids';
import { LiveAdoption } from '../lib/images/live-adoption';
import type { RedisUser } from './types';

export function watchCaptureScript(RED: NodeAPI, node: RedisUser, type: string, connection: RedisConnection, keys: ImageKeys): LiveAdoption {
    const live = new LiveAdoption(connection, keys);
    live.on('adopted', (count) => node.log(RED._(`${type}.log.adopted`, { count })));
    live.start();
    node.onRedisReady = () => void live.ready();
    node.on('close', (_removed: boolean, done: () => void) => {
        live.stop().then(() => done(), () => done());
    });
    return live;
}
