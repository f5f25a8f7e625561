// Counter changes as one small script that refuses to run late. A plain INCRBY that times
// out at its caller (a paused Redis, a stalled network) still sits in the socket and
// counts when Redis resumes, after the flow was told it failed; a flow that retries
// through a Catch node would then count twice.
import type { RedisConnection } from '../redis/connection';
import { REDIS_CLOCK, scriptCommands } from '../redis/lua';

export type CounterChange = 'incrby' | 'set' | 'del';

/** KEYS: counter. ARGV: change, value, deadline on the Redis clock in ms (0: none). */
const CHANGE_SCRIPT = `${REDIS_CLOCK}
if too_late(now_ms(), ARGV[3]) then
  return redis.error_reply('LATE the change reached Redis after its caller gave up; nothing was changed')
end
if ARGV[1] == 'incrby' then return redis.call('INCRBY', KEYS[1], ARGV[2]) end
if ARGV[1] == 'set' then return redis.call('SET', KEYS[1], ARGV[2]) end
return redis.call('DEL', KEYS[1])
`;

interface CounterCommands {
    counterChange(key: string, change: CounterChange, value: number, deadline: number): Promise<unknown>;
}

const counterCommands = scriptCommands<CounterCommands>({ counterChange: { numberOfKeys: 1, lua: CHANGE_SCRIPT } });

export async function changeCounter(connection: RedisConnection, key: string, change: CounterChange, value = 0): Promise<void> {
    await counterCommands(connection.command).counterChange(key, change, value, connection.deadline());
}
