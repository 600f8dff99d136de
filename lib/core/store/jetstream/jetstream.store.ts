/**
 * The JetStream store's facade: `JetStreamStore` and its public API, wiring the parts that
 * do the work — {@link JetStreamLog} (append, read, trim, size; retention in
 * {@link LogRetention}), {@link SubscriptionStates}, {@link DeadLetters}, {@link Snapshots},
 * {@link DurableConsumers} (persistent subscriptions) and {@link LogFeeds} (`tail`) — over
 * one {@link StoreContext} (connection, names, options, errors).
 * @module
 */
import { StoreError, StoreUnavailableError } from '../../errors/store.error.js';
import { NatsLink, type NatsConnectionOptions } from '../../nats/connection.js';
import type { Signal } from '../../signal/signal.js';
import type {
  DurableConsumer,
  DurableConsumerSpec,
  DurableMessage,
  DistributedSignalStore,
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
import { STORE } from './codec.js';
import { DurableConsumers } from './consumers.js';
import { DeadLetters } from './dlq.js';
import { JetStreamLog } from './log.js';
import { resolveOptions, type JetStreamStoreSettings } from './options.js';
import { Snapshots } from './snapshots.js';
import { SubscriptionStates } from './state.js';
import { StoreContext } from './store-context.js';
import { assertBusName } from './subjects.js';
import { LogFeeds } from './tail.js';

/** Options of {@link JetStreamStore.connect}: the store settings, or an open connection to reuse. */
export interface JetStreamStoreOptions extends JetStreamStoreSettings, NatsConnectionOptions {}

/**
 * A {@link DistributedSignalStore} on NATS JetStream (server 2.9 or later): several processes
 * sharing one prefix share every bus log, subscription state, DLQ and snapshots; each instance
 * sees the others' appends through {@link JetStreamStore.tail}, and persistent subscriptions
 * run on durable consumers the instances compete on.
 *
 * **Layout** (prefix `p`, bus `b`): the log of a bus is the stream `p_LOG_b` with subjects
 * `p.log.b.<type>` (type segments that are not valid NATS tokens are percent-encoded); state and
 * snapshot metadata live in `p_STATE` (one message per subject), dead letters in `p_DLQ`,
 * snapshot entries (chunked, they may exceed the server's max payload) in `p_SNAP`. Log streams
 * are created on first use with the configured retention; read-only calls never create them.
 * Bus names must be 1–128 characters of `[A-Za-z0-9_-]`.
 *
 * **Log ids** are UUIDv7 built from the record time (the appending client's clock, never
 * decreasing within one store object) and the stream sequence ({@link logIdFor}): they
 * increase strictly in log order on one instance. Across instances whose clocks differ, two
 * entries close in time may compare out of order; `afterLogId` cursors use the sequence and
 * are exact.
 *
 * **Entries** are the signal's CloudEvents JSON with headers `Jido-Origin` (the appending
 * store's `instanceId`) and `Jido-Recorded-At`, and a `Nats-Msg-Id` unique to that append:
 * a retry after a lost acknowledgement is stored once, while appending the same signal again
 * records it again.
 *
 * **Retention** (`maxMessages`, `maxBytes`, `maxAge`, and `trim` from a bus's `maxLogSize` /
 * `logTtl`) is applied by the store in batches and never removes an entry a durable consumer
 * has not acked. **Existing streams** keep their configuration unless `updateExisting` is set.
 * **Transient cluster failures** (leader election, reconnect) are retried within
 * `publishTimeout`; errors that reach callers carry `retryable: true`.
 *
 * Every operation waits at most `disconnectedWait` ms for a lost connection, then rejects
 * with `StoreUnavailableError` (`store_unavailable`); other NATS failures are `StoreError`
 * (`store_error`) with secret-free messages; after `close()` everything rejects with
 * `StoreClosedError` (`closed`).
 *
 * Requires the optional peers `@nats-io/transport-node` and `@nats-io/jetstream`.
 *
 * @example
 * const store = await JetStreamStore.connect({ servers: 'nats://127.0.0.1:4222' });
 * const bus = new SignalBus({ name: 'orders', store });
 */
export class JetStreamStore implements DistributedSignalStore {
  /** Marks the store as distributed. */
  readonly distributed = true as const;
  readonly #ctx: StoreContext;
  readonly #log: JetStreamLog;
  readonly #states: SubscriptionStates;
  readonly #dlq: DeadLetters;
  readonly #snapshots: Snapshots;
  readonly #consumers: DurableConsumers;
  readonly #feeds: LogFeeds;
  #closing: Promise<void> | undefined;

  private constructor(ctx: StoreContext) {
    this.#ctx = ctx;
    this.#log = new JetStreamLog(ctx);
    this.#states = new SubscriptionStates(ctx);
    this.#dlq = new DeadLetters(ctx);
    this.#snapshots = new Snapshots(ctx);
    this.#consumers = new DurableConsumers(ctx, this.#log);
    this.#feeds = new LogFeeds(ctx, this.#log);
  }

  /**
   * Check the options, connect to NATS (or adopt `options.connection`) and check that
   * JetStream is enabled.
   * @throws StoreOptionError (`invalid_option`) for a bad option; MissingPeerDependencyError
   *   without the NATS packages; StoreUnavailableError when no server answers in time;
   *   StoreError when the server has no JetStream
   */
  static async connect(options: JetStreamStoreOptions = {}): Promise<JetStreamStore> {
    const resolved = resolveOptions(options);
    const link = await NatsLink.open(options, STORE);
    return new JetStreamStore(new StoreContext(link, resolved));
  }

  /** Random id of this store object, stamped on every entry it appends. */
  get instanceId(): string {
    return this.#ctx.instanceId;
  }

  /** The store's prefix (namespace of its streams and subjects). */
  get prefix(): string {
    return this.#ctx.names.prefix;
  }

  /** Whether the connection is up right now (`false` after `close()`). */
  get connected(): boolean {
    return !this.#ctx.closed && this.#ctx.link.connected;
  }

  /** {@inheritDoc DistributedSignalStore.onError} */
  onError(listener: (error: StoreError) => void): () => void {
    const listeners = this.#ctx.errorListeners;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /**
   * Feeds (`tail`) of this store object that are stalled right now: their server stopped
   * sending heartbeats (it died) and the feed is being recreated — `0` when every feed runs.
   * Each stall is also reported on `onError` when it starts.
   */
  get stalledFeeds(): number {
    return this.#feeds.stalled;
  }

  /** Listen to connection changes. @returns a function that removes the listener */
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    return this.#ctx.link.onConnectionChange(listener);
  }

  /** Name of the log stream of `bus` (for operators and tests). */
  logStreamName(bus: string): string {
    assertBusName(bus);
    return this.#ctx.names.logStream(bus);
  }

  // --- log -------------------------------------------------------------------------------------

  append(bus: string, signals: readonly Signal[]): Promise<RecordedSignal[]> {
    return this.#log.append(bus, signals);
  }

  read(bus: string, query: LogQuery = {}): Promise<RecordedSignal[]> {
    return this.#log.read(bus, query);
  }

  /**
   * Remove the oldest entries of the log of `bus`: those beyond the newest `maxSize`, and/or
   * those recorded before `olderThan`. **Never removes an entry a durable consumer (a
   * persistent subscription, on any instance) has not acked**: the cut stops below the
   * lowest ack floor and the log stays longer meanwhile (reported once on `onError`).
   * `maxSize` trims repeated within a second (the bus issues one per publish once its log is
   * full) are batched: one that would remove fewer than 1 % of `maxSize` entries, as far as
   * this store object knows, does nothing; one issued while another runs does nothing.
   * @returns the number of entries removed
   */
  trim(bus: string, options: TrimOptions): Promise<number> {
    return this.#log.trim(bus, options);
  }

  size(bus: string): Promise<number> {
    return this.#log.size(bus);
  }

  // --- subscription state ----------------------------------------------------------------------

  getSubscription(bus: string, subscriptionId: string): Promise<SubscriptionState | undefined> {
    return this.#states.get(bus, subscriptionId);
  }

  putSubscription(bus: string, state: SubscriptionState): Promise<void> {
    return this.#states.put(bus, state);
  }

  deleteSubscription(bus: string, subscriptionId: string): Promise<boolean> {
    return this.#states.delete(bus, subscriptionId);
  }

  listSubscriptions(bus: string): Promise<SubscriptionState[]> {
    return this.#states.list(bus);
  }

  // --- dead letters ----------------------------------------------------------------------------

  putDlq(bus: string, entry: DlqEntry): Promise<void> {
    return this.#dlq.put(bus, entry);
  }

  listDlq(
    bus: string,
    subscriptionId: string,
    options: { limit?: number } = {},
  ): Promise<DlqEntry[]> {
    return this.#dlq.list(bus, subscriptionId, options);
  }

  deleteDlq(bus: string, subscriptionId: string, ids: readonly string[]): Promise<number> {
    return this.#dlq.delete(bus, subscriptionId, ids);
  }

  clearDlq(bus: string, subscriptionId: string): Promise<number> {
    return this.#dlq.clear(bus, subscriptionId);
  }

  dlqSize(bus: string, subscriptionId?: string): Promise<number> {
    return this.#dlq.size(bus, subscriptionId);
  }

  // --- snapshots -------------------------------------------------------------------------------

  putSnapshot(bus: string, snapshot: SnapshotRecord): Promise<void> {
    return this.#snapshots.put(bus, snapshot);
  }

  getSnapshot(bus: string, id: string): Promise<SnapshotRecord | undefined> {
    return this.#snapshots.get(bus, id);
  }

  listSnapshots(bus: string): Promise<Array<Omit<SnapshotRecord, 'entries'> & { size: number }>> {
    return this.#snapshots.list(bus);
  }

  deleteSnapshot(bus: string, id: string): Promise<boolean> {
    return this.#snapshots.delete(bus, id);
  }

  // --- distribution ----------------------------------------------------------------------------

  tail(bus: string, onEntry: (entry: RecordedSignal) => void): Promise<LogTail> {
    return this.#feeds.tail(bus, onEntry);
  }

  openConsumer(
    bus: string,
    spec: DurableConsumerSpec,
    onMessage: (message: DurableMessage) => void,
  ): Promise<DurableConsumer> {
    return this.#consumers.open(bus, spec, onMessage);
  }

  deleteConsumer(bus: string, subscriptionId: string): Promise<boolean> {
    return this.#consumers.delete(bus, subscriptionId);
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /**
   * Resolves after a cheap round trip to the server. Rejects at once with
   * `StoreUnavailableError` while disconnected, and with a retryable `StoreError` while a
   * fan-out feed is stalled ({@link JetStreamStore.stalledFeeds}) — no waiting: health checks
   * call it, so the instance reports `down` while it misses other instances' signals.
   */
  async ping(): Promise<void> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    if (!ctx.link.connected) throw new StoreUnavailableError(STORE, 'ping', 0);
    const stalled = this.#feeds.stalled;
    if (stalled > 0) {
      throw new StoreError(
        `${STORE}: ${stalled} fan-out feed(s) stalled (their server stopped answering); recreating`,
        { details: { operation: 'ping', stalledFeeds: stalled }, retryable: true },
      );
    }
    try {
      await ctx.link.jsm.getAccountInfo();
    } catch (error) {
      throw ctx.mapError('ping', error);
    }
  }

  /** Stop every tail and consumer of this store object, then close the connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const ctx = this.#ctx;
    ctx.closed = true;
    await this.#log.retention.stop();
    await ctx.running.stopAll();
    await ctx.link.close();
  }
}
