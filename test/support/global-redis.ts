// Mocha root hooks: one real redis-server for the whole run, started before the first
// test. Tests read its port from sharedRedis(); tests that stop or pause Redis start
// their own RedisProcess instead, so they never disturb the others.
import { RedisProcess } from './redis-process';

let shared: RedisProcess | undefined;

export function sharedRedis(): RedisProcess {
    if (!shared) throw new Error('the shared redis-server is not running');
    return shared;
}

export const mochaHooks = {
    async beforeAll(this: Mocha.Context) {
        this.timeout(15000);
        shared = await RedisProcess.start();
    },
    async afterAll() {
        await shared?.destroy();
    },
};
