import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Lua scripts of the Redis clients: loaded by SHA-1, sent in full only to a server that does
 * not know them yet.
 * @module
 */

/** A Lua script with its SHA-1, run with `EVALSHA` (falling back to `EVAL` once per server). */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

/** A {@link LuaScript} of `source`. */
export function scriptOf(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Run `s` with `keys` and `args`; loads it on a server that does not know it yet. */
export async function runScript(
  client: Redis,
  s: LuaScript,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(s.source, keys.length, ...keys, ...args);
  }
}
