import type { Redis } from 'ioredis';
import { StoreError } from '../../errors/store.error.js';
import type { DurableConsumerInfo, DurableConsumerSpec } from '../distributed-store.interface.js';

/**
 * Consumer groups of the Redis store (one per persistent subscription) and the server check
 * made at connect.
 * @module
 * @internal
 */

/** Largest stream id sequence (uint64). */
const MAX_SEQ = '18446744073709551615';

/**
 * Create the group `group` of the log `key` (and the stream) at the start position: `0` for
 * `'origin'`, `$` for `'current'`, just before a time otherwise. A group that exists already
 * (another instance, an earlier run) is resumed where it is.
 */
export async function createGroup(
  client: Redis,
  key: string,
  group: string,
  start: DurableConsumerSpec['startFrom'],
): Promise<void> {
  let id: string;
  if (start === 'origin') id = '0';
  else if (start === 'current') id = '$';
  else id = start <= 0 ? '0' : `${Math.ceil(start) - 1}-${MAX_SEQ}`;
  try {
    await client.xgroup('CREATE', key, group, id, 'MKSTREAM');
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('BUSYGROUP')) return;
    throw error;
  }
}

/**
 * Destroy the group `group` of the log `key` and drop its activity zset `activityKey`.
 * @returns whether the group existed
 */
export async function destroyGroup(
  client: Redis,
  key: string,
  group: string,
  activityKey: string,
): Promise<boolean> {
  try {
    await client.del(activityKey);
    const n = await client.xgroup('DESTROY', key, group);
    return Number(n) > 0;
  } catch (error) {
    if (error instanceof Error && /no such key|requires the key to exist/i.test(error.message)) {
      return false;
    }
    throw error;
  }
}

/** Server-side counters of a group (`XINFO GROUPS`, `XPENDING`); zeros when it does not exist. */
export async function groupInfo(
  client: Redis,
  key: string,
  group: string,
): Promise<DurableConsumerInfo> {
  const groups = (await client.xinfo('GROUPS', key)) as unknown[][];
  const info = groups.map(pairs).find((g) => g.name === group);
  if (info === undefined) return { pending: 0, ackPending: 0, redelivered: 0 };
  const pending = (await client.xpending(key, group, '-', '+', 10_000)) as Array<
    [string, string, number, number]
  >;
  return {
    pending: typeof info.lag === 'number' ? info.lag : 0,
    ackPending: Number(info.pending ?? 0),
    redelivered: pending.filter((p) => Number(p[3]) > 1).length,
  };
}

/**
 * The server's `maxmemory-policy` when it may evict keys without a TTL (`allkeys-*`): bus logs
 * and consumer groups would be dropped silently. `undefined` for a safe policy, or when the
 * server refuses `CONFIG` (managed servers often do).
 */
export async function evictingPolicy(client: Redis): Promise<string | undefined> {
  try {
    const reply = (await client.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    return policy !== undefined && policy.startsWith('allkeys-') ? policy : undefined;
  } catch {
    return undefined;
  }
}

/** The warning `onError` gets when the server's `maxmemory-policy` is {@link evictingPolicy}. */
export function evictionWarning(store: string, policy: string): StoreError {
  return new StoreError(
    `${store}: the server's maxmemory-policy is "${policy}": under memory pressure it evicts ` +
      'bus logs and consumer groups (signals are lost silently); use "noeviction" or a ' +
      '"volatile-*" policy (the store sets no TTLs)',
    { details: { maxmemoryPolicy: policy } },
  );
}

function pairs(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < flat.length - 1; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}
