import { StoreOptionError, type StoreError } from '../../errors/store.error.js';
import { assertPrefix } from './keys.js';
import type { RedisServerOptions } from '../../redis/server-options.js';

/**
 * Settings of a Redis store: server options plus the store's own. Free of the optional
 * `ioredis` peer's types, so module options (`forRoot({ store: { type: 'redis', url } })`) can
 * hold them; `RedisStoreOptions` adds an open `client`.
 */
export interface RedisStoreSettings extends RedisServerOptions {
  /**
   * Namespace of every key of the store: 1 to 64 characters of `[A-Za-z0-9_.:-]`. Stores (or
   * applications) with different prefixes never see each other's data on one server.
   * Keys are `<prefix>:{<bus>}:<what>` (see docs/redis.md).
   * @default 'jido'
   */
  prefix?: string;
  /**
   * Retention of every bus log: at most about this many entries; the oldest are removed by
   * the store in batches (1 % of the limit) — **never one a persistent subscription has not
   * acked**: while one lags behind, the log grows past the limit.
   * @default undefined (unlimited)
   */
  maxMessages?: number;
  /**
   * Retention of every bus log: entries older than this many ms are removed by a sweep
   * (every `maxAge / 4` ms, 1 s to 1 min apart), never one a persistent subscription has not acked.
   * @default undefined (unlimited)
   */
  maxAge?: number;
  /**
   * Longest pause of a fan-out feed or durable consumer between two looks at the server, in
   * ms: the bound on how late an `ackTimeout` redelivery or capacity freed by another
   * instance is noticed. New entries wake feeds at once.
   * @default 1_000
   */
  pollInterval?: number;
  /**
   * Check the server's `maxmemory-policy` at connect: a policy that may evict keys without a
   * TTL (`allkeys-*`) would drop bus logs silently, so it is reported on `onError`.
   * @default true
   */
  checkEvictionPolicy?: boolean;
  /**
   * Receives failures that have no caller to reject: an entry that cannot be decoded (it is
   * skipped, or acked away on a durable consumer), a `tail`/`openConsumer` callback that
   * threw, an eviction policy that may drop stream keys, retention held back. Messages are
   * secret-free.
   * @default writes `[RedisStore] <message>` with `console.warn`
   */
  onError?: (error: StoreError) => void;
}

/** Options after defaults. @internal */
export interface ResolvedRedisStoreOptions {
  readonly prefix: string;
  readonly maxMessages: number | undefined;
  readonly maxAge: number | undefined;
  readonly pollInterval: number;
  readonly checkEvictionPolicy: boolean;
  readonly onError: (error: StoreError) => void;
}

const STORE = 'RedisStore';

/**
 * Check the store's own options and apply the defaults (connection options are checked by
 * the connection).
 * @throws StoreOptionError (`invalid_option`) naming the first bad option
 * @internal
 */
export function resolveOptions(options: RedisStoreSettings): ResolvedRedisStoreOptions {
  if (typeof options !== 'object' || options === null) {
    throw new StoreOptionError(STORE, 'options', 'must be an object');
  }
  const prefix = options.prefix ?? 'jido';
  assertPrefix(prefix);
  const { maxMessages, maxAge, pollInterval } = options;
  if (
    maxMessages !== undefined &&
    (typeof maxMessages !== 'number' || !Number.isSafeInteger(maxMessages) || maxMessages < 1)
  ) {
    throw new StoreOptionError(STORE, 'maxMessages', 'must be a positive integer');
  }
  if (
    maxAge !== undefined &&
    (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge <= 0)
  ) {
    throw new StoreOptionError(STORE, 'maxAge', 'must be a positive number of ms');
  }
  if (
    pollInterval !== undefined &&
    (typeof pollInterval !== 'number' ||
      !Number.isFinite(pollInterval) ||
      pollInterval < 10 ||
      pollInterval > 60_000)
  ) {
    throw new StoreOptionError(STORE, 'pollInterval', 'must be a number of ms from 10 to 60000');
  }
  if (
    options.checkEvictionPolicy !== undefined &&
    typeof options.checkEvictionPolicy !== 'boolean'
  ) {
    throw new StoreOptionError(STORE, 'checkEvictionPolicy', 'must be a boolean');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new StoreOptionError(STORE, 'onError', 'must be a function');
  }
  return {
    prefix,
    maxMessages,
    maxAge,
    pollInterval: pollInterval ?? 1_000,
    checkEvictionPolicy: options.checkEvictionPolicy ?? true,
    onError: options.onError ?? ((error) => console.warn(`[${STORE}] ${error.message}`)),
  };
}
