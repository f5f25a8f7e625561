// Lua shared by the package's scripts: the Redis server's clock, and the deadline check
// that makes a script that arrives late (it sat in the socket of a paused server or a
// stalled network after its caller gave up) change nothing; and the one way scripts
// become client commands.
import type { RedisClient } from './client-factory';

export interface ScriptDefinition {
    /** Without it, the caller passes the number of keys as the first argument. */
    numberOfKeys?: number;
    lua: string;
}

/**
 * Makes a function that defines these scripts as commands on a client (once per client)
 * and returns the client typed as `T`. defineCommand sends EVALSHA and falls back to EVAL
 * when Redis has forgotten the script (after a restart or failover), so a cold script
 * cache costs one extra round trip only.
 */
export function scriptCommands<T>(scripts: Record<string, ScriptDefinition>): (client: RedisClient) => T {
    const defined = new WeakSet<object>();
    return (client) => {
        if (!defined.has(client)) {
            for (const [name, definition] of Object.entries(scripts)) client.defineCommand(name, definition);
            defined.add(client);
        }
        return client as unknown as T;
    };
}

export const REDIS_CLOCK = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The caller stopped waiting at this moment of the server's clock (0: no limit).
local function too_late(now, deadline)
  deadline = tonumber(deadline)
  return deadline ~= nil and deadline > 0 and now > deadline
end
`;
