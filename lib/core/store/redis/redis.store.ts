import { randomUUID } from 'node:crypto';
import {
  StoreClosedError,
  StoreUnavailableError,
  type StoreError,
} from '../../errors/store.error.js';
import { RedisLink } from '../../redis/connection.js';
import type { RedisConnectionOptions } from '../../redis/options.js';
import type { Signal } from '../../signal/signal.js';
import type {
  DistributedSignalStore,
  DurableConsumer,
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
import { assertId, assertLimit, assertSpec } from '../shared/args.js';
import { RunningSet } from '../shared/running.js';
import {
  assertDlqEntry,
  assertFunction,
  assertIds,
  assertLogQuery,
  assertSnapshot,
  assertSubscriptionState,
  assertTrimOptions,
} from './args.js';
import { startConsumer, type ConsumerContext } from './consumers.js';
import { RedisDlq } from './dlq.js';
import { StoreFailures } from './errors.js';
import { destroyGroup, evictingPolicy, evictionWarning } from './groups.js';
import { assertBusName, groupName, RedisKeys } from './keys.js';
import { appendEntries, encodeSignals, readLog, recordedOf } from './log.js';
import {
  resolveOptions,
  type RedisStoreSettings,
  type ResolvedRedisStoreOptions,
} from './options.js';
import { RetentionState } from './retention.js';
import { RedisSnapshots } from './snapshots.js';
import { RedisSubscriptionStates } from './state.js';
import { LogFeeds } from './tail.js';

/**
 * The facade of the Redis store: public methods check their arguments, wait for the
 * connection and delegate to the parts — the log (`log.ts`, `retention.ts`), subscription
 * state (`state.ts`), dead letters (`dlq.ts`), snapshots (`snapshots.ts`), feeds (`tail.ts`)
 * and persistent consumer groups (`consumers.ts`, `groups.ts`).
 * @module
 */

/** Options of {@link RedisStore.connect}: the store settings, and an open client to reuse. */
export interface RedisStoreOptions extends RedisStoreSettings, RedisConnectionOptions {}

const STORE = 'RedisStore';

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
  readonly #failures: StoreFailures;
  readonly #subscriptions: RedisSubscriptionStates;
  readonly #dlq: RedisDlq;
  readonly #snapshots: RedisSnapshots;
  readonly #retention: RetentionState;
  readonly #feeds: LogFeeds;
  readonly #consumers: ConsumerContext;
  readonly #running = new RunningSet();
  #consumerSeq = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(link: RedisLink, options: ResolvedRedisStoreOptions) {
    this.#link = link;
    this.#keys = new RedisKeys(options.prefix);
    this.#failures = new StoreFailures(link, options.onError, () => this.#closed);
    const report = (error: unknown, where: string) => this.#failures.report(error, where);
    const client = () => this.#link.client;
    this.#subscriptions = new RedisSubscriptionStates(client, this.#keys);
    this.#dlq = new RedisDlq(client, this.#keys);
    this.#snapshots = new RedisSnapshots(client, this.#keys);
    this.#retention = new RetentionState(link, this.#keys, options, report);
    this.#feeds = new LogFeeds(link, this.#keys, options.pollInterval, report);
    this.#consumers = {
      link,
      keys: this.#keys,
      feeds: this.#feeds,
      pollInterval: options.pollInterval,
      report,
    };
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
    if (resolved.checkEvictionPolicy) {
      const policy = await evictingPolicy(link.client);
      if (policy !== undefined) store.#failures.report(evictionWarning(STORE, policy), 'connect');
    }
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
    return this.#failures.listen(listener);
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
    const bodies = encodeSignals(signals);
    if (bodies.length === 0) return [];
    await this.#ready('append');
    let ids: string[];
    try {
      ids = await appendEntries(this.#link.client, this.#keys.log(bus), this.instanceId, bodies);
    } catch (error) {
      throw this.#failures.map('append', error);
    }
    this.#retention.appended(bus, bodies.length);
    return recordedOf(ids, signals);
  }

  async read(bus: string, query: LogQuery = {}): Promise<RecordedSignal[]> {
    this.#assertOpen();
    assertBusName(bus);
    assertLogQuery(query);
    if (query.limit === 0) return [];
    return this.#run('read', () => readLog(this.#link.client, this.#keys.log(bus), bus, query));
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
    assertTrimOptions(options);
    if (options.maxSize === undefined && options.olderThan === undefined) return 0;
    return this.#run('trim', () => this.#retention.trim(bus, options));
  }

  size(bus: string): Promise<number> {
    return this.#call('size', bus, noop, () => this.#link.client.xlen(this.#keys.log(bus)));
  }

  // --- subscription state ----------------------------------------------------------------------

  getSubscription(bus: string, subscriptionId: string): Promise<SubscriptionState | undefined> {
    const check = () => assertId(subscriptionId, 'subscriptionId');
    return this.#call('getSubscription', bus, check, () =>
      this.#subscriptions.get(bus, subscriptionId),
    );
  }

  putSubscription(bus: string, state: SubscriptionState): Promise<void> {
    const check = () => assertSubscriptionState(state);
    return this.#call('putSubscription', bus, check, () => this.#subscriptions.put(bus, state));
  }

  deleteSubscription(bus: string, subscriptionId: string): Promise<boolean> {
    const check = () => assertId(subscriptionId, 'subscriptionId');
    return this.#call('deleteSubscription', bus, check, () =>
      this.#subscriptions.delete(bus, subscriptionId),
    );
  }

  listSubscriptions(bus: string): Promise<SubscriptionState[]> {
    return this.#call('listSubscriptions', bus, noop, () => this.#subscriptions.list(bus));
  }

  // --- dead letters ----------------------------------------------------------------------------

  putDlq(bus: string, entry: DlqEntry): Promise<void> {
    return this.#call(
      'putDlq',
      bus,
      () => assertDlqEntry(entry),
      () => this.#dlq.put(bus, entry),
    );
  }

  listDlq(
    bus: string,
    subscriptionId: string,
    options: { limit?: number } = {},
  ): Promise<DlqEntry[]> {
    const check = () => {
      assertId(subscriptionId, 'subscriptionId');
      assertLimit(options.limit);
    };
    return this.#call('listDlq', bus, check, async () =>
      options.limit === 0 ? [] : this.#dlq.list(bus, subscriptionId, options.limit ?? Infinity),
    );
  }

  deleteDlq(bus: string, subscriptionId: string, ids: readonly string[]): Promise<number> {
    const check = () => {
      assertId(subscriptionId, 'subscriptionId');
      assertIds(ids);
    };
    return this.#call('deleteDlq', bus, check, async () =>
      ids.length === 0 ? 0 : this.#dlq.delete(bus, subscriptionId, ids),
    );
  }

  clearDlq(bus: string, subscriptionId: string): Promise<number> {
    const check = () => assertId(subscriptionId, 'subscriptionId');
    return this.#call('clearDlq', bus, check, () => this.#dlq.clear(bus, subscriptionId));
  }

  dlqSize(bus: string, subscriptionId?: string): Promise<number> {
    const check = () => {
      if (subscriptionId !== undefined) assertId(subscriptionId, 'subscriptionId');
    };
    return this.#call('dlqSize', bus, check, () => this.#dlq.size(bus, subscriptionId));
  }

  // --- snapshots -------------------------------------------------------------------------------

  putSnapshot(bus: string, snapshot: SnapshotRecord): Promise<void> {
    const check = () => assertSnapshot(snapshot);
    return this.#call('putSnapshot', bus, check, () => this.#snapshots.put(bus, snapshot));
  }

  getSnapshot(bus: string, id: string): Promise<SnapshotRecord | undefined> {
    return this.#call(
      'getSnapshot',
      bus,
      () => assertId(id, 'id'),
      () => this.#snapshots.get(bus, id),
    );
  }

  listSnapshots(bus: string): Promise<Array<Omit<SnapshotRecord, 'entries'> & { size: number }>> {
    return this.#call('listSnapshots', bus, noop, () => this.#snapshots.list(bus));
  }

  deleteSnapshot(bus: string, id: string): Promise<boolean> {
    return this.#call(
      'deleteSnapshot',
      bus,
      () => assertId(id, 'id'),
      () => this.#snapshots.delete(bus, id),
    );
  }

  // --- distribution ----------------------------------------------------------------------------

  async tail(bus: string, onEntry: (entry: RecordedSignal) => void): Promise<LogTail> {
    this.#assertOpen();
    assertBusName(bus);
    assertFunction(onEntry, 'onEntry');
    const stop = await this.#run('tail', () => this.#feeds.tail(bus, this.instanceId, onEntry));
    return this.#running.track(bus, undefined, stop);
  }

  async openConsumer(
    bus: string,
    spec: DurableConsumerSpec,
    onMessage: (message: DurableMessage) => void,
  ): Promise<DurableConsumer> {
    this.#assertOpen();
    assertBusName(bus);
    assertSpec(STORE, spec);
    assertFunction(onMessage, 'onMessage');
    const name = `${this.instanceId}:${(this.#consumerSeq++).toString(36)}`;
    const started = await this.#run('openConsumer', () =>
      startConsumer(this.#consumers, bus, spec, name, onMessage),
    );
    const running = this.#running.track(bus, spec.subscriptionId, () => started.stop());
    return {
      stop: () => running.stop(),
      info: async () => {
        this.#assertOpen();
        return this.#run('consumer info', () => started.info());
      },
    };
  }

  async deleteConsumer(bus: string, subscriptionId: string): Promise<boolean> {
    this.#assertOpen();
    assertBusName(bus);
    assertId(subscriptionId, 'subscriptionId');
    await this.#running.stopSubscription(bus, subscriptionId);
    return this.#run('deleteConsumer', () =>
      destroyGroup(
        this.#link.client,
        this.#keys.log(bus),
        groupName(subscriptionId),
        this.#keys.activity(bus, subscriptionId),
      ),
    );
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
      throw this.#failures.map('ping', error);
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
    await this.#running.stopAll();
    await this.#feeds.stop();
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

  /** Wait for the connection, run `fn` and map its failures. */
  async #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    await this.#ready(operation);
    try {
      return await fn();
    } catch (error) {
      throw this.#failures.map(operation, error);
    }
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
    return this.#run(operation, fn);
  }
}

function noop(): void {}
