import { Observable } from 'rxjs';
import { Dispatcher } from '../dispatch/dispatcher.js';
import { BatchingRegistry } from './batched-target.js';
import {
  BusError,
  BusOptionError,
  SubscriberError,
  SubscriptionNotFoundError,
  SubscriptionNotPersistentError,
} from '../errors/bus.error.js';
import { validatePattern } from '../router/pattern.js';
import { SignalRouter } from '../router/signal-router.js';
import type { Signal } from '../signal/signal.js';
import type { RecordedSignal, SignalStore } from '../store/signal-store.interface.js';
import type { DistributedSignalStore } from '../store/distributed-store.interface.js';
import type { SignalJournal } from '../journal/signal-journal.js';
import type { DeliveryScope } from './delivery-scope.js';
import {
  observedPublish,
  openTelemetryRegistered,
  trackBusForMetrics,
} from '../telemetry/otel/bus-hooks.js';
import { asError } from '../util/as-error.js';
import type { BusMiddleware } from './middleware.interface.js';
import { BusDlq } from './dlq.js';
import type { NackOptions, PersistentEngine, ReconnectResult } from './persistent/engine.js';
import type { PersistentSubscribeOptions } from './persistent/options.js';
import { PersistentRegistry } from './persistent/registry.js';
import { BusSnapshots, toMillis } from './snapshots.js';
import {
  Subscription,
  type SignalHandler,
  type SubscribeOptions,
  type SubscriptionDispatch,
  type SubscriptionInfo,
} from './subscription.js';
import { BusContext } from './bus-context.js';
import { BusLifecycle } from './bus-lifecycle.js';
import {
  DEFAULT_CLOSE_TIMEOUT,
  resolveBusOptions,
  type CloseOptions,
  type PublishOptions,
  type ReplayOptions,
  type SignalBusOptions,
  type StreamOptions,
  type UnsubscribeOptions,
} from './bus-options.js';
import { busStats, type BusStats } from './bus-stats.js';
import { BusStreams } from './bus-streams.js';
import { FanOut } from './fan-out.js';
import { LaneAdmission } from './lane-admission.js';
import { PublishSequencer } from './publish-sequencer.js';
import { Retention } from './retention.js';
import { BusShutdown } from './bus-shutdown.js';
import { SharedLogFeed } from './shared-log-feed.js';
import { SubscriptionTable, type Receiver } from './subscription-table.js';
import { busOfOrigin } from './bus-telemetry.js';

export type {
  HandlerErrorMode,
  PublishOptions,
  SignalBusOptions,
  ReplayOptions,
  StreamOptions,
  UnsubscribeOptions,
  CloseOptions,
} from './bus-options.js';
export type { BusStats } from './bus-stats.js';

/**
 * A signal bus: publish/subscribe with wildcard patterns, an ordered log in a pluggable
 * store, middleware, replay, live streams, snapshots, retention and optional partitions.
 * One instance per name; no global state.
 *
 * **Ordering.** Publishes are serialized FIFO per bus: signals are recorded in call order
 * and, within and across publishes, every subscription has its signals handed over in log
 * order. Matching subscriptions of one signal are served in route order: priority
 * (descending), then pattern specificity, then registration order.
 *
 * **Awaiting.** `publish` resolves once the signals are recorded and every ordinary
 * subscriber's delivery has completed or failed (a partitioned bus resolves once they are
 * recorded and admitted). Deliveries are *started* inside the publish queue but awaited
 * outside it, so a slow subscriber delays its own publish, not the next one — and a handler
 * may `await bus.publish(...)` on its own bus without deadlocking. An async handler may thus
 * still be running its signal N when it is handed signal N+1 of a later publish. On a bus
 * without middleware, publishes that queue up meanwhile are recorded together with one
 * store append (group commit); each still resolves with its own entries.
 *
 * **Isolation.** A subscriber that throws, rejects or whose dispatch fails never fails the
 * publish or the other subscribers: the failure is counted and reported on
 * {@link SignalBus.errors$} and the `jido.signal.bus.error` channel as a `SubscriberError`.
 *
 * @example
 * const bus = new SignalBus({ name: 'orders' });
 * await bus.subscribe('order.*', { dispatch: (signal) => console.log(signal.type) });
 * const [entry] = await bus.publish(createSignal('order.created', { id: 1 }));
 * console.log(entry.logId);
 * await bus.close();
 */
export class SignalBus {
  /** Name of the bus. */
  readonly name: string;
  /**
   * Errors nobody else sees: failing subscribers (`SubscriberError`), middleware failures
   * and halts in dispatch and after-hooks (`MiddlewareError`, `MiddlewareHaltError`), rate
   * limits (`RateLimitedError`) and retention failures. Completes when the bus closes.
   */
  readonly errors$: Observable<BusError>;
  /** Point-in-time copies of log entries. */
  readonly snapshots: BusSnapshots;
  /** Dead-letter queues of the persistent subscriptions. */
  readonly dlq: BusDlq;

  readonly #context: BusContext;
  readonly #life: BusLifecycle;
  readonly #sequencer: PublishSequencer;
  readonly #shutdown: BusShutdown;
  readonly #feed: SharedLogFeed;
  readonly #streams: BusStreams;
  readonly #store: SignalStore;
  /** Set when the store is shared by several processes. */
  readonly #distributed: DistributedSignalStore | undefined;
  readonly #dispatcher: Dispatcher;
  /** Buffers of subscriptions with batched targets (created on first use). */
  #batching: BatchingRegistry | undefined;
  readonly #router: SignalRouter<Subscription>;
  /** Persistent subscriptions: fed at record time, outside the ordinary delivery paths. */
  readonly #persistent: PersistentRegistry;
  readonly #table: SubscriptionTable;
  /** Every subscription by id (the table's). */
  readonly #subs: Map<string, Subscription>;
  /** Persistent engines read the scope through this, so the drain's replacement reaches them. */
  readonly #currentScope: () => DeliveryScope | undefined;
  readonly #report: (error: BusError) => void;
  #closed: Promise<void> | undefined;

  /**
   * @throws BusOptionError (`invalid_option`) for an option out of range; BusOptionError or
   *   a `MiddlewareError`-free validation error naming a malformed middleware
   */
  constructor(options: SignalBusOptions) {
    const settings = resolveBusOptions(options);
    const name = (this.name = settings.name);
    const context = new BusContext(settings, options, {
      hasPersistent: () => this.#persistent.size > 0,
      checkPersistent: (list) => this.#persistent.check(list),
      enqueuePersistent: (entries) => this.#persistent.enqueue(entries),
    });
    this.#context = context;
    this.#store = context.store;
    this.#distributed = context.distributed;
    this.#router = context.router;
    this.#currentScope = context.currentScope;
    this.#report = context.report;
    busOfOrigin.set(context, this);
    this.#persistent = new PersistentRegistry({
      bus: name,
      origin: context,
      store: this.#store,
      distributed: this.#distributed,
      scope: this.#currentScope,
      report: this.#report,
    });
    const life = (this.#life = new BusLifecycle(name));
    // Store failures with no caller (a stalled feed, a stream configured differently) reach errors$.
    const stopStoreErrors = this.#distributed?.onError?.((error) =>
      this.#report(context.storeError('The store reported a failure', error)),
    );
    const ownsDispatcher = options.dispatcher === undefined;
    const dispatcher = (this.#dispatcher =
      options.dispatcher ?? new Dispatcher({ buses: options.buses }));
    this.#table = new SubscriptionTable(
      context,
      life,
      dispatcher,
      () => (this.#batching ??= new BatchingRegistry()),
    );
    this.#subs = this.#table.byId;
    this.errors$ = context.errors.asObservable();
    this.snapshots = new BusSnapshots(name, this.#store, (operation) =>
      this.#ensureOpen(operation),
    );
    this.dlq = new BusDlq(
      name,
      this.#store,
      (operation) => this.#ensureOpen(operation),
      (id, operation) => this.#persistentFor(id, operation),
    );
    const fanOut = new FanOut(context);
    const lanes =
      context.lanes === undefined
        ? undefined
        : new LaneAdmission(context, context.lanes, life, fanOut);
    const retention = new Retention(context, life);
    const sequencer = new PublishSequencer(context, life, fanOut, lanes, retention);
    this.#sequencer = sequencer;
    this.#feed = new SharedLogFeed(context, life, sequencer);
    this.#streams = new BusStreams(life, {
      register: (id, pattern, priority, deliver) =>
        this.#table.register(id, pattern, priority, 'stream', 'stream', deliver),
      remove: (sub) => this.#remove(sub),
      replay: (pattern, replay) => this.replay(pattern, replay),
      follow: () => this.#feed.follow(),
    });
    this.#shutdown = new BusShutdown(
      context,
      life,
      retention,
      sequencer,
      this.#streams,
      this.#feed,
      {
        subs: this.#subs,
        remove: (sub) => this.#remove(sub),
        drainBatching: () => this.#batching?.drainAll(),
        stopStoreErrors: () => stopStoreErrors?.(),
        closeOwned: () =>
          Promise.allSettled([
            ...(ownsDispatcher ? [dispatcher.close()] : []),
            ...(context.ownsStore ? [context.store.close()] : []),
          ]),
      },
    );
    trackBusForMetrics(this);
  }

  /**
   * On a distributed store: start receiving what other instances publish and resolve once
   * that feed runs (the first ordinary subscription or stream starts it too). At once on a
   * local store.
   */
  async ready(): Promise<void> {
    await this.#feed.follow();
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#life.closing;
  }

  /** The store holding this bus's log. */
  get store(): SignalStore {
    return this.#store;
  }

  /** The causality journal every published signal is recorded in (option `journal`), if any. */
  get journal(): SignalJournal | undefined {
    return this.#context.journal;
  }

  /** The dispatcher delivering to dispatch-config subscriptions. */
  get dispatcher(): Dispatcher {
    return this.#dispatcher;
  }

  /** Middleware names, in the order they run. */
  get middleware(): readonly string[] {
    return this.#context.pipeline.names;
  }

  /**
   * Append a middleware; it runs after those configured before, from the next publish on.
   * @throws BusOptionError when it is not an object with function hooks
   */
  use(middleware: BusMiddleware): this {
    this.#context.pipeline.add(middleware);
    return this;
  }

  /**
   * Publish one signal or a list, in order: run `beforePublish`, record the signals in the
   * store (each gets a log id), deliver them to every matching subscription, run
   * `afterPublish`. Publishes are queued FIFO per bus; any number may be issued without
   * awaiting them: each is recorded and handed over in call order, and settles once its own
   * deliveries have.
   *
   * Resolves once the signals are recorded, every ordinary delivery settled, and each
   * persistent subscription's first attempt of them ended — the handler returned or threw,
   * the delivery was acked or nacked, or its `ackTimeout` passed (the attempt is aborted).
   * It never waits for acks or redeliveries.
   *
   * @param options - `{ handlerErrors: 'reject' }` to learn about failing subscribers
   * @returns the recorded entries, in order (`[]` for an empty list, without touching the bus)
   * @throws (rejects with) InvalidSignalsError when an element is not a `Signal` (nothing
   *   recorded); MiddlewareHaltError / MiddlewareError when `beforePublish` halts or fails
   *   (nothing recorded); BusClosedError once `close()` started — except for follow-ups
   *   published by in-flight deliveries while the drain lasts; the store's error when recording
   *   fails; BusOptionError for bad `options`. A failing subscriber rejects the publish only
   *   with `handlerErrors: 'reject'` — with a PublishHandlersError (`handlers_failed`), after
   *   the signals were recorded and delivered.
   */
  publish(
    signals: Signal | readonly Signal[],
    options?: PublishOptions,
  ): Promise<RecordedSignal[]> {
    // OpenTelemetry (producer span, trace context into the signals): one symbol lookup when unused.
    if (openTelemetryRegistered()) {
      return observedPublish(this.name, signals, (s) => this.#sequencer.publish(s, options));
    }
    return this.#sequencer.publish(signals, options);
  }

  /**
   * Subscribe to signals whose type matches `pattern`. The subscription is registered before
   * the returned promise settles, so a publish issued right after reaches it.
   *
   * @param pattern - router grammar: `*` one segment, `**` zero or more. A persistent
   *   subscription also takes a list: one durable subscription (one id, one checkpoint, one
   *   DLQ) receives each signal matching any of the patterns once. It stores, replays and
   *   filters by the narrowest pattern covering the list (e.g. `*.*` for
   *   `['payment.*', 'refund.*']`); covered signals outside the list are acked without
   *   calling the receiver
   * @param options - `{ dispatch, priority?, subscriptionId? }`, or just a handler function;
   *   with `persistent: true` an at-least-once subscription (see `PersistentSubscribeOptions`
   *   and docs/persistent-subscriptions.md): it resumes from the store when one with this id
   *   was stored before, and the promise settles once its unacked history is loaded
   * @returns the subscription id
   * @throws (rejects with) InvalidPatternError (`invalid_pattern`), SubscriptionExistsError
   *   (`subscription_exists`), DispatchConfigError / DispatchAggregateError for invalid
   *   dispatch configs, InvalidRouteError (`invalid_route`) for a bad priority,
   *   BusOptionError for missing options, BusClosedError after `close()`. Nothing is
   *   registered on error.
   */
  subscribe(
    pattern: string | readonly string[],
    options: SubscribeOptions | PersistentSubscribeOptions | SignalHandler,
  ): Promise<string> {
    if (typeof options === 'object' && options !== null && options.persistent === true) {
      return this.#subscribePersistent(pattern, options);
    }
    try {
      if (Array.isArray(pattern)) {
        throw new BusOptionError(
          this.name,
          'pattern',
          'a pattern list needs a persistent subscription ({ persistent: true }); subscribe once per pattern otherwise',
        );
      }
      const id = this.#table.subscribe(pattern as string, options);
      const feed = this.#feed.follow();
      if (feed === undefined) return Promise.resolve(id);
      // Without the feed the subscription would miss other instances' signals: undo it.
      return feed.then(
        () => id,
        (error: unknown) => {
          const sub = this.#subs.get(id);
          if (sub !== undefined) this.#remove(sub);
          throw error;
        },
      );
    } catch (error) {
      return Promise.reject(asError(error));
    }
  }

  /**
   * Remove a subscription. Deliveries already handed over finish; nothing new is delivered.
   * A persistent one stops redelivering and writes its final checkpoint (unacked signals
   * stay pending in the store), or deletes its state and DLQ with `deletePersistence`.
   * @throws (rejects with) SubscriptionNotFoundError (`subscription_not_found`), BusClosedError
   */
  unsubscribe(subscriptionId: string, options: UnsubscribeOptions = {}): Promise<void> {
    try {
      this.#ensureOpen('unsubscribe');
      const sub = this.#subs.get(subscriptionId);
      if (sub === undefined) throw new SubscriptionNotFoundError(this.name, String(subscriptionId));
      this.#remove(sub);
      const ps = sub.persistence;
      if (ps !== undefined) {
        return options.deletePersistence === true
          ? ps.stop(false).then(() => ps.destroy())
          : ps.stop(true);
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(asError(error));
    }
  }

  /**
   * Acknowledge deliveries of a persistent subscription, by log id or signal id (one or a
   * non-empty list). Every id is checked first: if one is unknown or malformed, nothing is
   * acked. Acks free in-flight slots (pending signals are delivered) and advance the
   * checkpoint (written within `checkpointInterval`).
   * @throws (rejects with) SubscriptionNotFoundError, SubscriptionNotPersistentError,
   *   UnknownLogIdError (`unknown_log_id`: a UUIDv7 not awaiting an ack),
   *   InvalidLogIdError (`invalid_log_id`), InvalidAckArgumentError, BusClosedError
   */
  ack(subscriptionId: string, ids: string | readonly string[]): Promise<void> {
    try {
      this.#persistentFor(subscriptionId, 'ack')!.ack(ids);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(asError(error));
    }
  }

  /**
   * Negative-acknowledge a delivery (log id or signal id): redeliver it after `delay` (or
   * the subscription's backoff) — a failed attempt, dead-lettered once `maxAttempts` is
   * reached — or dead-letter it at once with `requeue: false`.
   * @throws (rejects with) the same errors as {@link ack}, BusOptionError for a bad `delay`
   */
  nack(subscriptionId: string, id: string, options: NackOptions = {}): Promise<void> {
    try {
      this.#persistentFor(subscriptionId, 'nack')!.nack(id, options);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(asError(error));
    }
  }

  /**
   * Rebind a persistent subscription to a new receiver (handler or dispatch config) and
   * send it every delivery not acked yet — in-flight ones and those waiting for a retry —
   * once, ahead of the never-delivered ones. Only the subscription's own (pattern-matching)
   * signals are involved and nothing already queued is queued twice.
   * @returns the checkpoint and how many deliveries were sent again
   * @throws (rejects with) SubscriptionNotFoundError, SubscriptionNotPersistentError,
   *   dispatch config errors, BusClosedError
   */
  reconnect(subscriptionId: string, receiver: SubscriptionDispatch): Promise<ReconnectResult> {
    try {
      const ps = this.#persistentFor(subscriptionId, 'reconnect')!;
      const { deliver, target } = this.#deliveryFor(receiver, subscriptionId);
      const wrapped = this.#persistent.receiver(subscriptionId, ps.pattern, deliver);
      return Promise.resolve(ps.reconnect(wrapped, target));
    } catch (error) {
      return Promise.reject(asError(error));
    }
  }

  /** Every subscription (streams included), in registration order. */
  subscriptions(): SubscriptionInfo[] {
    return [...this.#subs.values()].map((s) => s.info());
  }

  /**
   * Entries of the log whose type matches `pattern`, in log order, filtered by record time,
   * cursor and correlation id.
   * @param pattern - router grammar @default '**' (everything)
   * @throws (rejects with) InvalidPatternError, a `ValidationError` for a bad `limit`,
   *   BusClosedError after `close()`
   */
  async replay(pattern = '**', options: ReplayOptions = {}): Promise<RecordedSignal[]> {
    this.#ensureOpen('replay');
    validatePattern(pattern);
    return this.#store.read(this.name, {
      pattern,
      since: toMillis(options.since),
      until: toMillis(options.until),
      afterLogId: options.afterLogId,
      correlationId: options.correlationId,
      limit: options.limit,
    });
  }

  /**
   * A cold `Observable` of the signals matching `pattern`: each subscriber registers a
   * `'stream'` subscription (removed on unsubscribe) and, with `replay`, first gets the
   * history. Live signals arriving during the replay are buffered, then emitted without gap
   * or duplicate. Completes when the bus closes.
   * @throws InvalidPatternError immediately for a bad pattern
   */
  stream(pattern: string, options: StreamOptions = {}): Observable<Signal> {
    validatePattern(pattern);
    return new Observable<Signal>((subscriber) => this.#streams.open(pattern, options, subscriber));
  }

  /**
   * Log size, publish counters, every subscription's counters and the partitions.
   * @throws (rejects with) BusClosedError after `close()`
   */
  async stats(): Promise<BusStats> {
    this.#ensureOpen('read stats');
    const logSize = await this.#store.size(this.name);
    const { published, pending } = this.#sequencer;
    return busStats(this.name, logSize, published, pending, this.#subs, this.#context);
  }

  /**
   * Stop accepting work (publish, subscribe, replay, snapshots and stats reject with
   * `BusClosedError`, code `'closed'`), wait for queued publishes and in-flight deliveries
   * (up to `timeout`), stop the TTL sweep, complete `errors$` and every stream, and close
   * the store and dispatcher if the bus created them. Idempotent: later calls return the
   * same promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return (this.#closed ??= this.#shutdown.close(options.timeout ?? DEFAULT_CLOSE_TIMEOUT));
  }

  /**
   * The first half of {@link close}: stop intake from outside and wait until the bus is
   * idle — queued publishes recorded and delivered, in-flight deliveries settled — or
   * `timeout` passes. Publishes made *by in-flight deliveries* (follow-ups of handlers still
   * running) are accepted and delivered meanwhile, and until `close()` ends the drain; every
   * other publish is refused with `BusClosedError` and reported on `errors$` and the
   * `jido.signal.bus.error` channel with the signal ids. Deliveries are told apart by the
   * causality context (active during the drain even when `causality` is off); on a bus
   * without causality, deliveries already running when the drain starts cannot be, so until
   * those settle every publish is accepted. Persistent subscriptions stop delivering at
   * once (unacked signals stay pending). Several buses whose handlers publish to each other
   * drain together with `SignalBusRegistry.closeAll`.
   * @returns whether the bus was idle (`false`: the timeout passed first)
   */
  drain(options: CloseOptions = {}): Promise<boolean> {
    if (!this.#life.closing) this.#shutdown.beginDrain();
    if (!this.#life.draining) return Promise.resolve(this.#life.active === 0);
    return this.#life.waitIdle(options.timeout ?? DEFAULT_CLOSE_TIMEOUT);
  }

  /**
   * Whether nothing is queued, recording or delivering (ordinary subscriptions) — or the
   * bus's drain has ended, so there is nothing left to wait for.
   */
  get idle(): boolean {
    return this.#life.active === 0 || (this.#life.closing && !this.#life.draining);
  }

  /**
   * Report a subscriber failure the bus did not see itself — e.g. a handler wrapper that
   * catches the error so the delivery still counts as successful (the Nest layer's
   * `onError: 'log'`). The `SubscriberError` goes the same way as the bus's own: onto
   * {@link SignalBus.errors$} and the `jido.signal.bus.error` channel. Counters are not
   * touched. Once the bus has closed `errors$` has completed, so only the channel sees it.
   *
   * @param subscriptionId - the failing subscription (need not be registered on this bus)
   * @param signalId - id of the signal it failed on
   * @param cause - what the subscriber threw
   * @returns the reported error
   */
  reportSubscriberError(subscriptionId: string, signalId: string, cause: unknown): SubscriberError {
    const error = new SubscriberError(this.name, subscriptionId, signalId, cause);
    this.#report(error);
    // A wrapper that swallowed the failure still fails a `handlerErrors: 'reject'` publish.
    this.#sequencer.collectFailure(signalId, error);
    return error;
  }

  // ── subscriptions ──────────────────────────────────────────────────────────

  /**
   * The id of a new subscription: the given one or a new UUIDv7.
   * @throws BusOptionError for an empty or non-string id, SubscriptionExistsError when taken
   */
  async #subscribePersistent(
    patternOrList: string | readonly string[],
    opts: PersistentSubscribeOptions,
  ): Promise<string> {
    this.#ensureOpen('subscribe');
    const patterns = this.#persistent.patterns(patternOrList);
    const id = this.#table.newId(opts.subscriptionId);
    const receiver = this.#deliveryFor(opts.dispatch, id);
    // Registered synchronously (before the first await): a publish issued right after
    // `subscribe()` reaches it (buffered until the stored history is loaded).
    const sub = this.#persistent.open(id, patterns, opts, receiver);
    this.#subs.set(id, sub);
    try {
      await sub.persistence!.load();
    } catch (error) {
      this.#remove(sub);
      throw error;
    }
    return id;
  }

  /** The persistent machinery of a subscription; `operation` undefined → soft lookup. */
  #persistentFor(
    subscriptionId: string,
    operation: string | undefined,
  ): PersistentEngine | undefined {
    if (operation === undefined) return this.#subs.get(subscriptionId)?.persistence;
    this.#ensureOpen(operation);
    const sub = this.#subs.get(subscriptionId);
    if (sub === undefined) throw new SubscriptionNotFoundError(this.name, String(subscriptionId));
    if (sub.persistence === undefined) {
      throw new SubscriptionNotPersistentError(this.name, subscriptionId, operation);
    }
    return sub.persistence;
  }

  #deliveryFor(dispatch: SubscriptionDispatch | undefined, subscriptionId: string): Receiver {
    return this.#table.receiver(dispatch, subscriptionId);
  }

  #remove(sub: Subscription): void {
    if (sub.removed) return;
    sub.removed = true;
    this.#subs.delete(sub.id);
    this.#batching?.release(sub.id);
    if (sub.persistence !== undefined) this.#persistent.close(sub.id, sub.persistence);
    else this.#router.remove(sub.routeId);
  }

  #ensureOpen(operation: string): void {
    this.#life.ensureOpen(operation);
  }
}
