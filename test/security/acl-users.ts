// A redis-server that loads the example ACL file (docs/redis-users.acl) as shipped, with
// only its placeholder passwords replaced by random ones, and clients logged in as its users.
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import Redis from 'ioredis';
import { REPO_ROOT } from '../../scripts/demo/paths';
import { RedisProcess } from '../support/redis-process';

export const ACL_FILE = path.join(REPO_ROOT, 'docs', 'redis-users.acl');

/** The device users of the example, by role; plus `admin` for the operator. */
export const DEVICE_USERS = ['sales-terminal', 'gate', 'monitor', 'operator', 'counter', 'camera', 'gallery', 'operations'] as const;
export type DeviceUser = (typeof DEVICE_USERS)[number];

const PLACEHOLDER = />change-me-([a-z-]+)/g;

export interface AclRedis {
    redis: RedisProcess;
    passwords: Record<string, string>;
    /** A plain ioredis client logged in as `user` (ready once its first command answers). */
    clientAs(user: string): Redis;
    stop(): Promise<void>;
}

/** The example file with a random password in place of each `>change-me-<user>`. */
export function aclFileWithPasswords(): { text: string; passwords: Record<string, string> } {
    const passwords: Record<string, string> = {};
    const text = fs.readFileSync(ACL_FILE, 'utf8').replace(PLACEHOLDER, (_match, user: string) => {
        passwords[user] = randomBytes(18).toString('base64url');
        return `>${passwords[user]}`;
    });
    return { text, passwords };
}

/**
 * Starts redis-server with the example users (changed by `edit`, as a reader of the README
 * would change them). The keyspace-notification setting is the
 * administrator's job here (the counter's user may not run CONFIG), as in redis.conf.
 * DEBUG is enabled so that only the ACL stands between a device and it.
 */
export async function startAclRedis(extraArgs: string[] = ['--notify-keyspace-events', 'K$ghx', '--enable-debug-command', 'yes'],
    edit: (text: string) => string = (text) => text): Promise<AclRedis> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-acl-'));
    const { text: shipped, passwords } = aclFileWithPasswords();
    const text = edit(shipped);
    const file = path.join(dir, 'users.acl');
    fs.writeFileSync(file, text, { mode: 0o600 });
    const redis = await RedisProcess.start(['--aclfile', file, ...extraArgs]);
    const clients: Redis[] = [];
    return {
        redis,
        passwords,
        clientAs(user: string): Redis {
            const client = new Redis({ port: redis.port, username: user, password: passwords[user], maxRetriesPerRequest: 1, lazyConnect: false });
            client.on('error', () => undefined); // refusals are asserted on the commands
            clients.push(client);
            return client;
        },
        async stop(): Promise<void> {
            clients.forEach((c) => c.disconnect());
            await redis.destroy();
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
