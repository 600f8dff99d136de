import {
  assertStoreBusName,
  assertStorePrefix,
  MAX_BUS_NAME_LENGTH,
  type PrefixRule,
} from '../shared/names.js';
import { ValidationError } from '../../errors/validation.error.js';
import { encodeId } from '../../redis/keys.js';
import { formatIdParts, parseIdParts, SignalId, type IdParts } from '../../signal/signal-id.js';

/**
 * Key names of a {@link RedisStore}, and the mapping between Redis stream ids and log ids.
 *
 * With prefix `p` and bus `b` every key of the bus carries the hash tag `{b}`, so one bus
 * lives in one cluster slot (scripts and `MULTI` touch several keys of one bus):
 *
 * | key                       | type   | holds                                                 |
 * | ------------------------- | ------ | ----------------------------------------------------- |
 * | `p:{b}:log`               | stream | the bus log; consumer groups `s:<id>` of persistent subscriptions |
 * | `p:{b}:active:<id>`       | zset   | consumers of a group → last pull (shares `maxAckPending`) |
 * | `p:{b}:subs`              | hash   | subscription id → subscription state (JSON)           |
 * | `p:{b}:dlq:<id>`          | zset   | DLQ entry ids of one subscription, by insertion order |
 * | `p:{b}:dlqd:<id>`         | hash   | DLQ entry id → entry (JSON)                           |
 * | `p:{b}:dlqseq`            | string | insertion counter of the DLQ                          |
 * | `p:{b}:dlqsubs`           | set    | subscriptions that have DLQ keys                      |
 * | `p:{b}:snaps`             | hash   | snapshot id → metadata (JSON)                         |
 * | `p:{b}:snap:<id>`         | string | snapshot entries (JSON)                               |
 *
 * Subscription and snapshot ids are encoded with `encodeId` (base64url) inside key names.
 *
 * @module
 */

const STORE = 'RedisStore';
export { MAX_BUS_NAME_LENGTH };
/** Longest prefix. */
export const MAX_PREFIX_LENGTH = 64;
const PREFIX_RULE: PrefixRule = {
  pattern: /^[A-Za-z0-9_.:-]+$/,
  maxLength: MAX_PREFIX_LENGTH,
  allowed: 'A-Z, a-z, 0-9, "_", ".", ":" and "-"',
};

/**
 * Assert that `bus` is usable in a key's hash tag: 1 to 128 characters of `[A-Za-z0-9_-]`
 * (the same rule as the JetStream store, so a bus name works on every engine).
 * @throws InvalidBusNameError (`invalid_bus_name`)
 */
export function assertBusName(bus: unknown): asserts bus is string {
  assertStoreBusName(STORE, bus);
}

/**
 * Assert that `prefix` is usable: 1 to 64 characters of `[A-Za-z0-9_.:-]` (no braces, which
 * would change the hash tag).
 * @throws StoreOptionError (`invalid_option`)
 */
export function assertPrefix(prefix: unknown): asserts prefix is string {
  assertStorePrefix(STORE, prefix, PREFIX_RULE);
}

/** Consumer group name of a subscription id: `s:` + the subscription id. */
export function groupName(subscriptionId: string): string {
  return `s:${subscriptionId}`;
}

/** The subscription id of a consumer group name, `undefined` for groups of others. */
export function subscriptionOfGroup(group: string): string | undefined {
  return group.startsWith('s:') ? group.slice(2) : undefined;
}

/** Key names of one store prefix. */
export class RedisKeys {
  constructor(readonly prefix: string) {
    assertPrefix(prefix);
  }

  /** Common start of every key of `bus` (with its hash tag). */
  bus(bus: string): string {
    return `${this.prefix}:{${bus}}:`;
  }

  log(bus: string): string {
    return `${this.bus(bus)}log`;
  }

  /** Consumers of the group of `subscriptionId` → time of their last pull. */
  activity(bus: string, subscriptionId: string): string {
    return `${this.bus(bus)}active:${encodeId(subscriptionId)}`;
  }

  subscriptions(bus: string): string {
    return `${this.bus(bus)}subs`;
  }

  dlq(bus: string, subscriptionId: string): string {
    return `${this.bus(bus)}dlq:${encodeId(subscriptionId)}`;
  }

  dlqData(bus: string, subscriptionId: string): string {
    return `${this.bus(bus)}dlqd:${encodeId(subscriptionId)}`;
  }

  dlqSeq(bus: string): string {
    return `${this.bus(bus)}dlqseq`;
  }

  dlqSubscriptions(bus: string): string {
    return `${this.bus(bus)}dlqsubs`;
  }

  snapshots(bus: string): string {
    return `${this.bus(bus)}snaps`;
  }

  snapshot(bus: string, id: string): string {
    return `${this.bus(bus)}snap:${encodeId(id)}`;
  }
}

// --- log ids ---------------------------------------------------------------------------------

const TWO_32 = 2 ** 32;
const scratch: IdParts = { ms: 0, seq: 0, hi: 0, lo: 0 };
const STREAM_ID_RE = /^(\d{1,15})-(\d{1,16})$/;

/**
 * The log id of the stream entry `streamId` (`<ms>-<seq>`, assigned by the server): a UUIDv7
 * whose timestamp is `ms`, whose 12-bit counter is 0 and whose 62 random bits carry `seq`.
 * String order of log ids is stream order, across every instance (the server assigns ids).
 */
export function logIdOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  const ms = Number(streamId.slice(0, dash));
  const seq = Number(streamId.slice(dash + 1));
  return formatIdParts(ms, 0, Math.floor(seq / TWO_32) & 0x3fffffff, seq >>> 0);
}

/** Milliseconds part of a stream id (the server's record time of the entry). */
export function msOf(streamId: string): number {
  return Number(streamId.slice(0, streamId.indexOf('-')));
}

/**
 * The stream id a log id from {@link logIdOf} stands for.
 * @throws ValidationError (`invalid_id`) when `logId` is not a UUIDv7
 */
export function streamIdOf(logId: string, field = 'logId'): string {
  if (!SignalId.isValid(logId)) {
    throw new ValidationError('invalid_id', field, `"${String(logId)}" is not a log id (UUIDv7)`);
  }
  const parts = parseIdParts(logId, scratch);
  return `${parts.ms}-${parts.hi * TWO_32 + parts.lo}`;
}

/** Whether `id` is a stream id (`<ms>-<seq>`). */
export function isStreamId(id: string): boolean {
  return STREAM_ID_RE.test(id);
}

/** Compare two stream ids numerically (negative when `a` comes first). */
export function compareStreamIds(a: string, b: string): number {
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  const ma = Number(a.slice(0, da));
  const mb = Number(b.slice(0, db));
  if (ma !== mb) return ma - mb;
  return Number(a.slice(da + 1)) - Number(b.slice(db + 1));
}
