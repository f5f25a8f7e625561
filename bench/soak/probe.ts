// What the soak watches besides its own requests: the Node-RED process (resident memory
// and CPU time from /proc) and the Redis it uses (INFO memory, the picture index, the
// event stream and the monitor's consumer group).
import fs from 'fs';
import type Redis from 'ioredis';
import { imageKeys } from '../../nodes/lib/images/ids';

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every Linux the soak runs on. */
const CLOCK_TICKS = 100;

export interface ProcessSample {
    rssBytes: number;
    cpuSeconds: number;
}

export function sampleProcess(pid: number): ProcessSample {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!rss) throw new Error(`no VmRSS in /proc/${pid}/status`);
    // utime and stime are fields 14 and 15; the command name (field 2) may hold spaces.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssBytes: Number(rss[1]) * 1024, cpuSeconds: ticks / CLOCK_TICKS };
}

export interface RedisSample {
    usedMemory: number;
    /** Pictures in the index, their bytes (pictures and thumbnails) and the id sequence. */
    images: number;
    imageBytes: number;
    imageSeq: number;
    streamLength: number;
    /** Entries the monitor has not read yet, and read but not acknowledged. */
    monitorLag: number | undefined;
    monitorPending: number | undefined;
}

export interface RedisNames {
    imageIndex: string;
    imageKeyPrefix: string;
    stream: string;
    monitorGroup: string;
}

function infoField(info: string, name: string): number {
    const match = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
    return match ? Number(match[1]) : NaN;
}

export async function sampleRedis(redis: Redis, names: RedisNames): Promise<RedisSample> {
    const imageSet = imageKeys(names.imageKeyPrefix, names.imageIndex);
    const [info, images, imageBytes, imageSeq, streamLength, groups] = await Promise.all([
        redis.info('memory'),
        redis.zcard(imageSet.index),
        redis.get(imageSet.bytes),
        redis.get(imageSet.seq),
        redis.xlen(names.stream),
        redis.xinfo('GROUPS', names.stream).catch(() => []) as Promise<unknown[]>,
    ]);
    const group = (groups as unknown[][]).map(pairs).find((g) => g.name === names.monitorGroup);
    return {
        usedMemory: infoField(info, 'used_memory'),
        images,
        imageBytes: Number(imageBytes ?? 0),
        imageSeq: Number(imageSeq ?? 0),
        streamLength,
        monitorLag: group && typeof group.lag === 'number' ? group.lag : undefined,
        monitorPending: group && typeof group.pending === 'number' ? group.pending : undefined,
    };
}

function pairs(flat: unknown[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
    return out;
}
