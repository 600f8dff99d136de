/**
 * The JetStream store's settings: what they mean, their defaults, and their check.
 * @module
 */
import { StoreOptionError, type StoreError } from '../../errors/store.error.js';
import { integerProblem } from '../../util/integer.js';
import { natsOptionProblem, type NatsServerOptions } from '../../nats/server-options.js';
import { assertPrefix } from './subjects.js';

/**
 * Settings of a JetStream store: NATS server options plus the store's own. Free of the optional
 * NATS peers' types, so module options (`forRoot({ store: { type: 'jetstream', ... } })`) can
 * hold them; `JetStreamStoreOptions` adds an open `connection`.
 */
export interface JetStreamStoreSettings extends NatsServerOptions {
  /**
   * Namespace of every stream and subject of the store: 1 to 32 characters of `[A-Za-z0-9-]`.
   * Stores (or applications) with different prefixes never see each other's data on one server.
   * Streams are `<prefix>_LOG_<bus>`, `<prefix>_STATE`, `<prefix>_DLQ` and `<prefix>_SNAP`.
   * @default 'jido'
   */
  prefix?: string;
  /** Storage of the streams the store creates. @default 'file' */
  storage?: 'file' | 'memory';
  /**
   * Replicas of the streams the store creates (a clustered server allows up to 5). An
   * existing stream keeps its replicas unless `updateExisting` is `true` and this option is set.
   * @default 1
   */
  replicas?: number;
  /**
   * What to do when a stream the store uses already exists with other settings (replicas,
   * server-side limits, per-subject limit): `false` keeps the server's configuration and
   * reports each mismatch once on `onError`; `true` changes the stream to these options
   * (replicas only when `replicas` is given) — never implicitly, because several instances
   * with different options would overwrite each other.
   * @default false
   */
  updateExisting?: boolean;
  /**
   * Retention of every bus log: at most about this many entries; the oldest are removed by
   * the store in batches (1 % of the limit) — **never one a durable consumer (persistent
   * subscription) has not acked**: while one lags behind, the log grows past the limit.
   * @default undefined (unlimited)
   */
  maxMessages?: number;
  /**
   * Retention of every bus log: entries older than this many ms are removed by a sweep
   * (every `maxAge / 4` ms, at least every minute), never one a durable consumer has not acked.
   * @default undefined (unlimited)
   */
  maxAge?: number;
  /**
   * Retention of every bus log: about this many bytes at most (estimated from the average
   * entry size); the oldest entries are removed in batches, never one a durable consumer has
   * not acked.
   * @default undefined (unlimited)
   */
  maxBytes?: number;
  /**
   * How long an append keeps retrying while the cluster heals (stream leader election,
   * reconnect to another server) before it rejects with a `retryable` error, in ms.
   * Retries reuse each entry's `Nats-Msg-Id`, so an entry is stored once.
   * @default 30_000
   */
  publishTimeout?: number;
  /**
   * Idle heartbeat of the feeds that follow a log (`tail`), in ms: a feed that misses two
   * heartbeats (its server died) is reported as stalled on `onError` and recreated from the
   * next entry it has not delivered — typically within 1–3 s of the server's death.
   * @default 500
   */
  feedHeartbeat?: number;
  /**
   * Receives failures that have no caller to reject: an entry that cannot be decoded (it is
   * skipped, or terminated on a durable consumer), a `tail`/`openConsumer` callback that
   * threw. Messages are secret-free.
   * @default writes `[JetStreamStore] <message>` with `console.warn`
   */
  onError?: (error: StoreError) => void;
}

/** Options after defaults. @internal */
export interface ResolvedJetStreamStoreOptions {
  readonly prefix: string;
  readonly storage: 'file' | 'memory';
  readonly replicas: number;
  /** Whether `replicas` was given (only then may it change an existing stream). */
  readonly replicasGiven: boolean;
  readonly updateExisting: boolean;
  readonly publishTimeout: number;
  readonly feedHeartbeat: number;
  readonly maxMessages: number | undefined;
  readonly maxAge: number | undefined;
  readonly maxBytes: number | undefined;
  readonly onError: (error: StoreError) => void;
}

const STORE = 'JetStreamStore';

function positiveInteger(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  const problem = integerProblem(value, 1, max);
  if (problem !== undefined) throw new StoreOptionError(STORE, name, problem);
}

/**
 * Check every option and apply the defaults.
 * @throws StoreOptionError (`invalid_option`) naming the first bad option
 * @internal
 */
export function resolveOptions(options: JetStreamStoreSettings): ResolvedJetStreamStoreOptions {
  if (typeof options !== 'object' || options === null) {
    throw new StoreOptionError(STORE, 'options', 'must be an object');
  }
  const prefix = options.prefix ?? 'jido';
  assertPrefix(prefix);
  const storage = options.storage ?? 'file';
  if (storage !== 'file' && storage !== 'memory') {
    throw new StoreOptionError(STORE, 'storage', 'must be "file" or "memory"');
  }
  positiveInteger('replicas', options.replicas, 5);
  positiveInteger('maxMessages', options.maxMessages);
  positiveInteger('maxBytes', options.maxBytes);
  if (
    options.maxAge !== undefined &&
    (typeof options.maxAge !== 'number' || !Number.isFinite(options.maxAge) || options.maxAge <= 0)
  ) {
    throw new StoreOptionError(STORE, 'maxAge', 'must be a positive number of ms');
  }
  if (options.updateExisting !== undefined && typeof options.updateExisting !== 'boolean') {
    throw new StoreOptionError(STORE, 'updateExisting', 'must be a boolean');
  }
  if (
    options.publishTimeout !== undefined &&
    (typeof options.publishTimeout !== 'number' ||
      !Number.isFinite(options.publishTimeout) ||
      options.publishTimeout < 0)
  ) {
    throw new StoreOptionError(STORE, 'publishTimeout', 'must be a non-negative finite number');
  }
  if (
    options.feedHeartbeat !== undefined &&
    (typeof options.feedHeartbeat !== 'number' ||
      !Number.isFinite(options.feedHeartbeat) ||
      options.feedHeartbeat < 500 ||
      options.feedHeartbeat > 30_000)
  ) {
    throw new StoreOptionError(STORE, 'feedHeartbeat', 'must be a number of ms from 500 to 30000');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new StoreOptionError(STORE, 'onError', 'must be a function');
  }
  const problem = natsOptionProblem(options);
  if (problem !== undefined) throw new StoreOptionError(STORE, problem.field, problem.reason);
  return {
    prefix,
    storage,
    replicas: options.replicas ?? 1,
    replicasGiven: options.replicas !== undefined,
    updateExisting: options.updateExisting ?? false,
    publishTimeout: options.publishTimeout ?? 30_000,
    feedHeartbeat: options.feedHeartbeat ?? 500,
    maxMessages: options.maxMessages,
    maxAge: options.maxAge,
    maxBytes: options.maxBytes,
    onError: options.onError ?? ((error) => console.warn(`[${STORE}] ${error.message}`)),
  };
}
