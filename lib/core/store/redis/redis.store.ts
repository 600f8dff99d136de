import { randomUUID } from 'node:crypto';
import { describeThrown, JidoSignalError } from '../../errors/jido-signal.error.js';
import { StoreClosedError, StoreError, StoreUnavailableError } from '../../errors/store.error.js';
import { ValidationError } from '../../errors/validation.error.js';
import { validatePattern } from '../../router/pattern.js';
import { stringifySignal } from '../../signal/serialization/json.serializer.js';
import { Signal } from '../../signal/signal.js';
import type {
  DistributedSignalStore,
  DurableConsumer,
  DurableConsumerInfo,
  DurableConsumerSpec,
  DurableMessage,
  LogTail,
} from '../distributed-store.interface.js';
import type {
  DlqEntry,
  LogQuery,
  RecordedSignal,
  SnapshotRecord,
  SubscriptionState,
  TrimOptions,
} from '../signal-store.interface.js';
import {
  describeCause,
  isConnectionError,
  RedisLink,
  type RedisConnectionOptions,
} from './connection.js';
import { assertId, assertLimit, assertSpec, assertTime, isList } from './args.js';
import { RedisDurableConsumer } from './consumer.js';
import { createGroup, evictingPolicy, groupInfo } from './groups.js';
import {
  assertBusName,
  compareStreamIds,
  groupName,
  logIdOf,
  msOf,
  RedisKeys,
  streamIdOf,
} from './keys.js';
import { DATA_FIELD, decodeEntry, fieldOf, ORIGIN_FIELD, readLog } from './log.js';
import {
  resolveOptions,
  type RedisStoreSettings,
  type ResolvedRedisStoreOptions,
} from './options.js';
import { RetentionState } from './retention.js';
import { RedisStateStore } from './state.js';
import { LogWatcher, type RawStreamEntry, type WatcherListener } from './watcher.js';

/** Options of {@link RedisStore.connect}: the store settings, and an open client to reuse. */
export interface RedisStoreOptions extends RedisStoreSettings, RedisConnectionOptions {}

const STORE = 'RedisStore';

/** Something this store started and stops on `close()`. */
interface Running {
  readonly bus: string;
  readonly subscriptionId: string | undefined;
  stop(): Promise<void>;
}

/**
 * A {@link DistributedSignalStore} on Redis Streams (Redis 7 or later): several processes
 * sharing one prefix share every bus log, subscription state, DLQ and snapshots; each
 * instance sees the others' appends through {@link RedisStore.tail} (`XREAD BLOCK` from the
 * last id seen), and persistent subscriptions run on consumer groups the instances share
 * (`XREADGROUP`, `XACK`, `XAUTOCLAIM` of entries idle for `ackTimeout`).
 *
 * **Layout** (prefix `p`, bus `b`): the log is the stream `p:{b}:log`; subscription state,
 * dead letters and snapshots live in hashes and sorted sets next to it (docs/redis.md). Every
 * key of a bus carries the hash tag `{b}`, so a bus lives in one cluster slot.
 *
 * **Log ids** are UUIDv7 carrying the stream id (`<ms>-<seq>`, assigned by the server): their
 * string order is log order on every instance, and `recordedAt` is the server's clock.
 *
 * **Retention** (`maxMessages`, `maxAge`, and `trim` from a bus's `maxLogSize` / `logTtl`) is
 * applied by the store with `XTRIM MINID` and never removes an entry a consumer group has not
 * acked (`XADD MAXLEN` would).
 *
 * Every operation waits at most `disconnectedWait` ms for a lost connection, then rejects
 * with `StoreUnavailableError` (`store_unavailable`); other Redis failures are `StoreError`
 * (`store_error`) with secret-free messages; after `close()` everything rejects with
 * `StoreClosedError` (`closed`).
 *
 * Requires the optional peer `ioredis`.
 *
 * @example
 * const store = await RedisStore.connect({ url: 'redis://127.0.0.1:6379' });
 * const bus = new SignalBus({ name: 'orders', store });
 */
export class RedisStore implements DistributedSignalStore {
  /** Marks the store as distributed. */
  readonly distributed = true as const;
  /** Random id of this store object, stamped on every entry it appends. */
  readonly instanceId: string = randomUUID();
  readonly #link: RedisLink;
  readonly #keys: RedisKeys;
  readonly #options: ResolvedRedisStoreOptions;
  readonly #state: RedisStateStore;
  readonly #retention: RetentionState;
  readonly #watchers = new Map<string, LogWatcher>();
  readonly #running = new Set<Running>();
  readonly #errorListeners = new Set<(error: StoreError) => void>();
  #consumerSeq = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(link: RedisLink, options: ResolvedRedisStoreOptions) {
    this.#link = link;
    this.#options = options;
    this.#keys = new RedisKeys(options.prefix);
    this.#state = new RedisStateStore(() => this.#link.client, this.#keys);
    this.#retention = new RetentionState(link, this.#keys, options, (e, w) => this.#report(e, w));
  }

  /**
   * Check the options and connect to Redis (or adopt `options.client`). Checks the server's
   * `maxmemory-policy` and reports one that may evict stream keys on `onError`.
   * @throws StoreOptionError (`invalid_option`) for a bad option; MissingPeerDependencyError
   *   without `ioredis`; StoreUnavailableError when no server answers in time
   */
  static async connect(options: RedisStoreOptions = {}): Promise<RedisStore> {
    const resolved = resolveOptions(options);
    const link = await RedisLink.open(options, STORE);
    const store = new RedisStore(link, resolved);
    if (resolved.checkEvictionPolicy) await store.#checkEvictionPolicy();
    return store;
  }

  /** The store's key prefix. */
  get prefix(): string {
    return this.#keys.prefix;
  }

  /** Whether the connection is up right now (`false` after `close()`). */
  get connected(): boolean {
    return !this.#closed && this.#link.connected;
  }

  /** {@inheritDoc DistributedSignalStore.onError} */
  onError(listener: (error: StoreError) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /** Listen to connection changes. @returns a function that removes the listener */
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    return this.#link.onConnectionChange(listener);
  }

  /** Key of the log stream of `bus` (for operators and tests). */
  logKey(bus: string): string {
    assertBusName(bus);
    return this.#keys.log(bus);
  }

  // --- log -------------------------------------------------------------------------------------

  /**
   * Append signals with `XADD` — one command for one signal, several in one `MULTI`
   * transaction (all stored or none; a connection lost while the transaction's reply is on
   * its way leaves the outcome unknown, and the error is `retryable`).
   */
  async append(bus: string, signals: readonly Signal[]): Promise<RecordedSignal[]> {
    this.#assertOpen();
    assertBusName(bus);
    if (!isList(signals)) {
      throw new ValidationError('invalid_attribute', 'signals', 'signals must be an array');
    }
    const n = signals.length;
    if (n === 0) return [];
    const bodies = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const signal: unknown = signals[i];
      if (!(signal instanceof Signal)) {
        throw new ValidationError('invalid_signal', `signals[${i}]`, 'not a Signal');
      }
      bodies[i] = stringifySignal(signal);
    }
    await this.#ready('append');
    const key = this.#keys.log(bus);
    const client = this.#link.client;
    let ids: string[];
    try {
      if (n === 1) {
        ids = [
          (await client.xadd(key, '*', ORIGIN_FIELD, this.instanceId, DATA_FIELD, bodies[0]))!,
        ];
      } else {
        const multi = client.multi();
        for (let i = 0; i < n; i++) {
          multi.xadd(key, '*', ORIGIN_FIELD, this.instanceId, DATA_FIELD, bodies[i]);
        }
        const results = await multi.exec();
        if (results === null) throw new Error('transaction aborted');
        ids = results.map(([error, id]) => {
          if (error !== null) throw error;
          return id as string;
        });
      }
    } catch (error) {
      throw this.#mapError('append', error);
    }
    this.#retention.appended(bus, n);
    const out = new Array<RecordedSignal>(n);
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      out[i] = { ...decodeIds(id), signal: signals[i] };
    }
    return out;
  }

  async read(bus: string, query: LogQuery = {}): Promise<RecordedSignal[]> {
    this.#assertOpen();
    assertBusName(bus);
    assertLimit(query.limit);
    assertTime(query.since, 'since');
    assertTime(query.until, 'until');
    if (query.pattern !== undefined) validatePattern(query.pattern);
    if (query.limit === 0) {
      if (query.afterLogId !== undefined) decodeCursor(query.afterLogId);
      return [];
    }
    if (query.afterLogId !== undefined) decodeCursor(query.afterLogId);
    await this.#ready('read');
    try {
      return await readLog(this.#link.client, this.#keys.log(bus), bus, query);
    } catch (error) {
      throw this.#mapError('read', error);
    }
  }

  /**
   * Remove the oldest entries of the log of `bus`: those beyond the newest `maxSize`, and/or
   * those recorded before `olderThan`. **Never removes an entry a persistent subscription (a
   * consumer group, on any instance) has not acked**: the cut stops below its oldest pending
   * entry and the log stays longer meanwhile (reported once on `onError`). `maxSize` trims
   * repeated within a second are batched as on JetStream (1 % of `maxSize`).
   * @returns the number of entries removed
   */
  async trim(bus: string, options: TrimOptions): Promise<number> {
    this.#assertOpen();
    assertBusName(bus);
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError('invalid_attribute', 'options', 'trim options must be an object');
    }
    assertLimit(options.maxSize, 'maxSize');
    assertTime(options.olderThan, 'olderThan');
    if (options.maxSize === undefined && options.olderThan === undefined) return 0;
    await this.#ready('trim');
    try {
      return await this.#retention.trim(bus, options);
    } catch (error) {
      throw this.#mapError('trim', error);
    }
  }

  async size(bus: string): Promise<number> {
    this.#assertOpen();
    assertBusName(bus);
    await this.#ready('size');
    try {
      return await this.#link.client.xlen(this.#keys.log(bus));
    } catch (error) {
      throw this.#mapError('size', error);
    }
  }

  // --- subscription state, dead letters, snapshots -------------------------------------------

  getSubscription(bus: string, subscriptionId: string): Promise<SubscriptionState | undefined> {
    return this.#call(
      'getSubscription',
      bus,
      () => {
        assertId(subscriptionId, 'subscriptionId');
      },
      () => this.#state.getSubscription(bus, subscriptionId),
    );
  }

  putSubscription(bus: string, state: SubscriptionState): Promise<void> {
    return this.#call(
      'putSubscription',
      bus,
      () => {
        if (typeof state !== 'object' || state === null) {
          throw new ValidationError('invalid_attribute', 'state', 'state must be an object');
        }
        assertId(state.subscriptionId, 'subscriptionId');
      },
      () => this.#state.putSubscription(bus, state),
    );
  }

  deleteSubscription(bus: string, subscriptionId: string): Promise<boolean> {
    return this.#call(
      'deleteSubscription',
      bus,
      () => assertId(subscriptionId, 'subscriptionId'),
      () => this.#state.deleteSubscription(bus, subscriptionId),
    );
  }

  listSubscriptions(bus: string): Promise<SubscriptionState[]> {
    return this.#call('listSubscriptions', bus, noop, () => this.#state.listSubscriptions(bus));
  }

  putDlq(bus: string, entry: DlqEntry): Promise<void> {
    return this.#call(
      'putDlq',
      bus,
      () => {
        if (typeof entry !== 'object' || entry === null || !(entry.signal instanceof Signal)) {
          throw new ValidationError('invalid_attribute', 'entry', 'a DLQ entry must hold a Signal');
        }
        assertId(entry.subscriptionId, 'subscriptionId');
        assertId(entry.id, 'id');
      },
      () => this.#state.putDlq(bus, entry),
    );
  }

  listDlq(
    bus: string,
    subscriptionId: string,
    options: { limit?: number } = {},
  ): Promise<DlqEntry[]> {
    return this.#call(
      'listDlq',
      bus,
      () => {
        assertId(subscriptionId, 'subscriptionId');
        assertLimit(options.limit);
      },
      async () =>
        options.limit === 0
          ? []
          : this.#state.listDlq(bus, subscriptionId, options.limit ?? Infinity),
    );
  }

  deleteDlq(bus: string, subscriptionId: string, ids: readonly string[]): Promise<number> {
    return this.#call(
      'deleteDlq',
      bus,
      () => {
        assertId(subscriptionId, 'subscriptionId');
        if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
          throw new ValidationError('invalid_attribute', 'ids', 'ids must be an array of strings');
        }
      },
      async () => (ids.length === 0 ? 0 : this.#state.deleteDlq(bus, subscriptionId, ids)),
    );
  }

  clearDlq(bus: string, subscriptionId: string): Promise<number> {
    return this.#call(
      'clearDlq',
      bus,
      () => assertId(subscriptionId, 'subscriptionId'),
      () => this.#state.clearDlq(bus, subscriptionId),
    );
  }

  dlqSize(bus: string, subscriptionId?: string): Promise<number> {
    return this.#call(
      'dlqSize',
      bus,
      () => {
        if (subscriptionId !== undefined) assertId(subscriptionId, 'subscriptionId');
      },
      () => this.#state.dlqSize(bus, subscriptionId),
    );
  }

  putSnapshot(bus: string, snapshot: SnapshotRecord): Promise<void> {
    return this.#call(
      'putSnapshot',
      bus,
      () => {
        if (typeof snapshot !== 'object' || snapshot === null || !Array.isArray(snapshot.entries)) {
          throw new ValidationError('invalid_attribute', 'snapshot', 'snapshot must have entries');
        }
        assertId(snapshot.id, 'id');
      },
      () => this.#state.putSnapshot(bus, snapshot),
    );
  }

  getSnapshot(bus: string, id: string): Promise<SnapshotRecord | undefined> {
    return this.#call(
      'getSnapshot',
      bus,
      () => assertId(id, 'id'),
      () => this.#state.getSnapshot(bus, id),
    );
  }

  listSnapshots(bus: string): Promise<Array<Omit<SnapshotRecord, 'entries'> & { size: number }>> {
    return this.#call('listSnapshots', bus, noop, () => this.#state.listSnapshots(bus));
  }

  deleteSnapshot(bus: string, id: string): Promise<boolean> {
    return this.#call(
      'deleteSnapshot',
      bus,
      () => assertId(id, 'id'),
      () => this.#state.deleteSnapshot(bus, id),
    );
  }

  // --- distribution ----------------------------------------------------------------------------

  async tail(bus: string, onEntry: (entry: RecordedSignal) => void): Promise<LogTail> {
    this.#assertOpen();
    assertBusName(bus);
    if (typeof onEntry !== 'function') {
      throw new ValidationError('invalid_attribute', 'onEntry', 'onEntry must be a function');
    }
    await this.#ready('tail');
    let since: string | undefined;
    const listener: WatcherListener = {
      onEntries: (entries) => {
        for (const raw of entries) {
          if (since !== undefined && compareStreamIds(raw[0], since) <= 0) continue;
          // This store's own appends: skipped before decoding (the bus delivered them).
          if (fieldOf(raw[1], ORIGIN_FIELD) === this.instanceId) continue;
          let entry: RecordedSignal;
          try {
            entry = decodeEntry(bus, raw);
          } catch (error) {
            this.#report(error, 'tail');
            continue;
          }
          try {
            onEntry(entry);
          } catch (error) {
            this.#report(error, 'tail callback');
          }
        }
      },
    };
    try {
      since = await this.#watch(bus, listener);
    } catch (error) {
      throw this.#mapError('tail', error);
    }
    return this.#track(bus, undefined, () => this.#unwatch(bus, listener));
  }

  async openConsumer(
    bus: string,
    spec: DurableConsumerSpec,
    onMessage: (message: DurableMessage) => void,
  ): Promise<DurableConsumer> {
    this.#assertOpen();
    assertBusName(bus);
    assertSpec(spec);
    if (typeof onMessage !== 'function') {
      throw new ValidationError('invalid_attribute', 'onMessage', 'onMessage must be a function');
    }
    await this.#ready('openConsumer');
    const key = this.#keys.log(bus);
    const group = groupName(spec.subscriptionId);
    const consumer = new RedisDurableConsumer(
      {
        link: this.#link,
        key,
        activityKey: this.#keys.activity(bus, spec.subscriptionId),
        group,
        consumer: `${this.instanceId}:${(this.#consumerSeq++).toString(36)}`,
        spec,
        pollInterval: this.#options.pollInterval,
        decode: (raw: RawStreamEntry) => decodeEntry(bus, raw),
        report: (error, where) => this.#report(error, where),
        recreateGroup: () => this.#createGroup(key, group, 'origin'),
      },
      onMessage,
    );
    try {
      await this.#createGroup(key, group, spec.startFrom);
      await this.#watch(bus, consumer);
    } catch (error) {
      throw this.#mapError('openConsumer', error);
    }
    consumer.start();
    const running = this.#track(bus, spec.subscriptionId, async () => {
      await consumer.stop();
      await this.#unwatch(bus, consumer);
    });
    return {
      stop: () => running.stop(),
      info: () => this.#consumerInfo(key, group),
    };
  }

  async deleteConsumer(bus: string, subscriptionId: string): Promise<boolean> {
    this.#assertOpen();
    assertBusName(bus);
    assertId(subscriptionId, 'subscriptionId');
    for (const r of [...this.#running]) {
      if (r.bus === bus && r.subscriptionId === subscriptionId) await r.stop();
    }
    await this.#ready('deleteConsumer');
    try {
      await this.#link.client.del(this.#keys.activity(bus, subscriptionId));
      const n = await this.#link.client.xgroup(
        'DESTROY',
        this.#keys.log(bus),
        groupName(subscriptionId),
      );
      return Number(n) > 0;
    } catch (error) {
      if (error instanceof Error && /no such key|requires the key to exist/i.test(error.message)) {
        return false;
      }
      throw this.#mapError('deleteConsumer', error);
    }
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /**
   * Resolves after a `PING` round trip. Rejects at once with `StoreUnavailableError` while
   * disconnected (no waiting: health checks call it).
   */
  async ping(): Promise<void> {
    this.#assertOpen();
    if (!this.#link.connected) throw new StoreUnavailableError(STORE, 'ping', 0);
    try {
      await this.#link.client.ping();
    } catch (error) {
      throw this.#mapError('ping', error);
    }
  }

  /** Stop every tail and consumer of this store object, then close the connections. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.#retention.close();
    for (const r of [...this.#running]) await r.stop().catch(noop);
    for (const w of this.#watchers.values()) await w.stop();
    this.#watchers.clear();
    await this.#link.close();
  }

  // --- internals -------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError(STORE);
  }

  async #ready(operation: string): Promise<void> {
    await this.#link.ready(STORE, operation);
    this.#assertOpen();
  }

  /** Check arguments, wait for the connection, run `fn` and map its failures. */
  async #call<T>(
    operation: string,
    bus: string,
    check: () => void,
    fn: () => Promise<T>,
  ): Promise<T> {
    this.#assertOpen();
    assertBusName(bus);
    check();
    await this.#ready(operation);
    try {
      return await fn();
    } catch (error) {
      throw this.#mapError(operation, error);
    }
  }

  async #watch(bus: string, listener: WatcherListener): Promise<string> {
    let watcher = this.#watchers.get(bus);
    if (watcher === undefined) {
      watcher = new LogWatcher(this.#link, this.#keys.log(bus), this.#options.pollInterval, (e) =>
        this.#report(e, `feed of bus "${bus}"`),
      );
      this.#watchers.set(bus, watcher);
    }
    return watcher.add(listener);
  }

  async #unwatch(bus: string, listener: WatcherListener): Promise<void> {
    const watcher = this.#watchers.get(bus);
    if (watcher === undefined) return;
    watcher.remove(listener);
    if (watcher.size === 0) {
      this.#watchers.delete(bus);
      await watcher.stop();
    }
  }

  #createGroup(key: string, group: string, start: DurableConsumerSpec['startFrom']): Promise<void> {
    return createGroup(this.#link.client, key, group, start);
  }

  async #consumerInfo(key: string, group: string): Promise<DurableConsumerInfo> {
    this.#assertOpen();
    await this.#ready('consumer info');
    try {
      return await groupInfo(this.#link.client, key, group);
    } catch (error) {
      throw this.#mapError('consumer info', error);
    }
  }

  async #checkEvictionPolicy(): Promise<void> {
    const policy = await evictingPolicy(this.#link.client);
    if (policy === undefined) return;
    this.#report(
      new StoreError(
        `${STORE}: the server's maxmemory-policy is "${policy}": under memory pressure it evicts ` +
          'bus logs and consumer groups (signals are lost silently); use "noeviction" or a ' +
          '"volatile-*" policy (the store sets no TTLs)',
        { details: { maxmemoryPolicy: policy } },
      ),
      'connect',
    );
  }

  #track(bus: string, subscriptionId: string | undefined, stop: () => Promise<void>): Running {
    let stopping: Promise<void> | undefined;
    const running: Running = {
      bus,
      subscriptionId,
      stop: () => {
        stopping ??= (async () => {
          this.#running.delete(running);
          await stop();
        })();
        return stopping;
      },
    };
    this.#running.add(running);
    return running;
  }

  #report(error: unknown, where: string): void {
    const wrapped =
      error instanceof StoreError
        ? error
        : new StoreError(`${STORE}: ${where} failed: ${describeThrown(describeCause(error))}`, {
            cause: describeCause(error),
          });
    for (const listener of [this.#options.onError, ...this.#errorListeners]) {
      try {
        listener(wrapped);
      } catch {
        // A failing error handler must not break delivery.
      }
    }
  }

  #mapError(operation: string, error: unknown): Error {
    if (error instanceof JidoSignalError) return error;
    if (this.#closed) return new StoreClosedError(STORE);
    const cause = describeCause(error);
    if (!this.#link.connected || isConnectionError(error)) {
      return new StoreUnavailableError(STORE, operation, 0, cause);
    }
    return new StoreError(`${STORE}: ${operation} failed: ${cause.message}`, {
      details: { operation },
      cause,
      retryable: isTransient(error),
    });
  }
}

/** Errors worth a retry: timeouts and connection losses. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /timed out|Connection is closed|isn't writeable|ECONNRESET|EPIPE|LOADING|TRYAGAIN|MaxRetriesPerRequest/i.test(
    `${error.name} ${error.message}`,
  );
}

function decodeIds(streamId: string): { logId: string; recordedAt: number } {
  return { logId: logIdOf(streamId), recordedAt: msOf(streamId) };
}

function decodeCursor(logId: string): string {
  return streamIdOf(logId, 'afterLogId');
}

function noop(): void {}
