import { StoreOptionError, type StoreError } from '../../errors/store.error.js';
import type { NatsServerOptions } from './nats-server-options.js';
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
  /** Replicas of the streams the store creates (a clustered server allows up to 5). @default 1 */
  replicas?: number;
  /**
   * Retention of every bus log stream: at most this many entries (the oldest are dropped).
   * @default undefined (unlimited)
   */
  maxMessages?: number;
  /**
   * Retention of every bus log stream: drop entries older than this many ms.
   * @default undefined (unlimited)
   */
  maxAge?: number;
  /**
   * Retention of every bus log stream: at most this many bytes (the oldest entries are dropped).
   * @default undefined (unlimited)
   */
  maxBytes?: number;
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
  readonly maxMessages: number | undefined;
  readonly maxAge: number | undefined;
  readonly maxBytes: number | undefined;
  readonly onError: (error: StoreError) => void;
}

const STORE = 'JetStreamStore';

function positiveInteger(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): void {
  if (
    value !== undefined &&
    (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
  ) {
    throw new StoreOptionError(STORE, name, `must be an integer from 1 to ${max}`);
  }
}

function nonNegative(name: string, value: unknown, allowMinusOne = false): void {
  if (value === undefined) return;
  if (allowMinusOne && value === -1) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new StoreOptionError(
      STORE,
      name,
      `must be a non-negative finite number${allowMinusOne ? ' or -1' : ''}`,
    );
  }
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
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new StoreOptionError(STORE, 'onError', 'must be a function');
  }
  const servers = options.servers;
  if (
    servers !== undefined &&
    !(typeof servers === 'string' && servers.length > 0) &&
    !(
      Array.isArray(servers) &&
      servers.length > 0 &&
      servers.every((s) => typeof s === 'string' && s.length > 0)
    )
  ) {
    throw new StoreOptionError(STORE, 'servers', 'must be a URL or a non-empty list of URLs');
  }
  nonNegative('connectTimeout', options.connectTimeout);
  nonNegative('reconnectTimeWait', options.reconnectTimeWait);
  nonNegative('disconnectedWait', options.disconnectedWait);
  nonNegative('maxReconnectAttempts', options.maxReconnectAttempts, true);
  if (
    options.requestTimeout !== undefined &&
    (typeof options.requestTimeout !== 'number' ||
      !Number.isFinite(options.requestTimeout) ||
      options.requestTimeout <= 0)
  ) {
    throw new StoreOptionError(STORE, 'requestTimeout', 'must be a positive number of ms');
  }
  return {
    prefix,
    storage,
    replicas: options.replicas ?? 1,
    maxMessages: options.maxMessages,
    maxAge: options.maxAge,
    maxBytes: options.maxBytes,
    onError: options.onError ?? ((error) => console.warn(`[${STORE}] ${error.message}`)),
  };
}
