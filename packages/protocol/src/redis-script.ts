/**
 * Lua scripts shared by gateways and workers, called by their SHA1 (EVALSHA) rather than sent as full text
 * with every call: ioredis `defineCommand` sends EVALSHA and falls back to EVAL (loading the script) only
 * when Redis does not know it yet (after a restart or a SCRIPT FLUSH). Typed structurally, so this package
 * needs no Redis client.
 */

/** The part of an ioredis client this needs. */
export interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

/** Calls a script: `keys` become KEYS, `args` ARGV. */
export type ScriptCall<R> = (keys: readonly string[], args: readonly (string | number)[]) => Promise<R>;

/**
 * Defines `lua` on `redis` under `name` (once per client) and returns a caller. Commands of one
 * event-loop turn still share one write on an auto-pipelined client.
 */
export function defineScript<R>(redis: ScriptHost, name: string, lua: string): ScriptCall<R> {
  const host = redis as ScriptHost & Record<string, unknown>;
  if (typeof host[name] !== 'function') redis.defineCommand(name, { lua });
  const command = host[name] as (numKeys: number, ...keysAndArgs: (string | number)[]) => Promise<R>;
  return (keys, args) => command.call(redis, keys.length, ...keys, ...args);
}
