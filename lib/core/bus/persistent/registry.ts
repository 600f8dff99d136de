import { BusOptionError, SubscriberError, type BusError } from '../../errors/bus.error.js';
import { SignalRouter } from '../../router/signal-router.js';
import type { Signal } from '../../signal/signal.js';
import type { DistributedSignalStore } from '../../store/distributed-store.interface.js';
import type { RecordedSignal, SignalStore } from '../../store/signal-store.interface.js';
import { emit } from '../../telemetry/telemetry.js';
import { isThenable } from '../../util/is-thenable.js';
import { dispatchChannel, withOrigin, type BusDispatchTelemetryMessage } from '../bus-telemetry.js';
import type { DeliveryScope } from '../delivery-scope.js';
import { Subscription } from '../subscription.js';
import { coveringPattern, matchesAny } from '../pattern-list.js';
import type { DeliverFunction, PersistentEngine, PersistentHost } from './engine.js';
import { BatchWait } from './local-delivery.js';
import { PersistentSubscription } from './local-engine.js';
import type { PersistentSubscribeOptions } from './options.js';
import { RemotePersistentSubscription } from './remote-engine.js';

/** What the bus lends its persistent registry. @internal */
export interface PersistentRegistryHost {
  readonly bus: string;
  /** The bus, as its telemetry messages name it (see `withOrigin`). */
  readonly origin: object;
  readonly store: SignalStore;
  /** Set when the store is shared by several processes: engines are then remote. */
  readonly distributed: DistributedSignalStore | undefined;
  /** The bus's delivery scope now (the drain replaces it when shutdown starts). */
  readonly scope: () => DeliveryScope | undefined;
  readonly report: (error: BusError) => void;
}

/**
 * Where persistent subscriptions live on a bus: it creates the engine for the bus's store (the
 * in-process {@link PersistentSubscription}, or the {@link RemotePersistentSubscription} over a
 * distributed store), routes recorded signals to the in-process ones (they are fed at record
 * time, outside the ordinary delivery paths; remote ones pull from the server) and refuses a
 * publish one of them cannot take.
 * @internal
 */
export class PersistentRegistry {
  readonly #host: PersistentRegistryHost;
  /** Engines fed at record time (in-process ones only). */
  readonly #router = new SignalRouter<PersistentSubscription>();
  /** Route id of each routed engine, by subscription id. */
  readonly #routes = new Map<string, string>();
  /** The type a one-signal publish was checked for, and its engines: `enqueue` reuses them. */
  #checkedType: string | undefined;
  #checked: readonly PersistentSubscription[] = [];
  /** Pattern lists of the multi-pattern subscriptions (their receivers skip the rest). */
  readonly #lists = new Map<string, readonly string[]>();
  #local: PersistentHost | undefined;

  constructor(host: PersistentRegistryHost) {
    this.#host = host;
  }

  /** How many engines are fed at record time (0: publishes skip the persistent steps). */
  get size(): number {
    return this.#router.size;
  }

  /**
   * The patterns of a persistent subscription (duplicates dropped) and the covering pattern
   * it is stored and filtered with (one durable subscription over the whole list).
   * @throws BusOptionError for an empty list
   */
  patterns(patternOrList: string | readonly string[]): {
    readonly list: readonly string[];
    readonly pattern: string;
  } {
    const list: string[] = Array.isArray(patternOrList)
      ? [...new Set<string>(patternOrList)]
      : [patternOrList as string];
    if (list.length === 0) {
      throw new BusOptionError(
        this.#host.bus,
        'pattern',
        'a pattern list needs at least one pattern',
      );
    }
    return { list, pattern: coveringPattern(list) };
  }

  /**
   * Create the engine of persistent subscription `id` and route it (not loaded yet:
   * registered synchronously, so a publish issued right after `subscribe()` reaches it,
   * buffered until the stored history is loaded).
   * @throws BusOptionError (`invalid_option`) naming the bad option or priority
   */
  open(
    id: string,
    patterns: { readonly list: readonly string[]; readonly pattern: string },
    options: PersistentSubscribeOptions,
    receiver: { readonly deliver: DeliverFunction; readonly target: string },
  ): Subscription {
    const { list, pattern } = patterns;
    if (list.length > 1) this.#lists.set(id, list);
    const deliver = this.receiver(id, pattern, receiver.deliver);
    const { bus, store, distributed, scope, report } = this.#host;
    const { target } = receiver;
    // On a distributed store: a durable consumer shared by the instances; else in-process.
    if (distributed !== undefined) {
      const host = { bus, store: distributed, scope, report };
      const engine = new RemotePersistentSubscription({
        host,
        id,
        pattern,
        options,
        deliver,
        target,
      });
      return persistentSubscription(engine, options, target, deliver);
    }
    const host = (this.#local ??= { bus, store, scope, report });
    const engine = new PersistentSubscription({ host, id, pattern, options, deliver, target });
    // The router validates the priority; it throws before anything is registered.
    this.#routes.set(id, this.#router.add({ pattern, target: engine, priority: options.priority }));
    this.#checkedType = undefined;
    return persistentSubscription(engine, options, target, deliver);
  }

  /**
   * What the engine of subscription `id` calls for `deliver`: observed on the dispatch
   * channel and, for a pattern list, skipping the signals none of the patterns matches. It
   * declares the context parameter only when `deliver` does, so the engine makes a
   * `DeliveryContext` per attempt only for a receiver that reads one.
   */
  receiver(id: string, pattern: string, deliver: DeliverFunction): DeliverFunction {
    const observed = this.#observe(id, pattern, deliver);
    const list = this.#lists.get(id);
    return sameArity(list === undefined ? observed : onlyMatching(list, observed), deliver);
  }

  /** Stop routing to subscription `id` and halt its engine (state and timers stay for `stop`). */
  close(id: string, engine: PersistentEngine): void {
    this.#lists.delete(id);
    const routeId = this.#routes.get(id);
    if (routeId !== undefined) {
      this.#routes.delete(id);
      this.#router.remove(routeId);
      this.#checkedType = undefined;
    }
    engine.halt();
  }

  /**
   * Refuse the publish when a persistent subscription with `overflow: 'reject'` is full.
   * @throws QueueFullError (`queue_full`) of the first full subscription
   */
  check(list: readonly Signal[]): void {
    const router = this.#router;
    if (list.length === 1) {
      // One signal: each matching subscription is asked for one slot, nothing allocated.
      const type = list[0].type;
      const subs = router.route(type);
      this.#checkedType = type;
      this.#checked = subs;
      let refused: BusError | undefined;
      for (let j = 0; j < subs.length; j++) refused ??= subs[j].refuse(1);
      if (refused !== undefined) throw refused;
      return;
    }
    let touched: PersistentSubscription[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const subs = router.route(list[i].type);
      for (let j = 0; j < subs.length; j++) {
        const ps = subs[j];
        if (ps.requested++ === 0) (touched ??= []).push(ps);
      }
    }
    if (touched === undefined) return;
    let refused: BusError | undefined;
    for (const ps of touched) {
      refused ??= ps.refuse(ps.requested);
      ps.requested = 0;
    }
    if (refused !== undefined) throw refused;
  }

  /**
   * Hand recorded entries to the persistent subscriptions (log order).
   * @returns what the publish waits for: the first attempts it started, until they settle
   */
  enqueue(entries: readonly RecordedSignal[]): BatchWait | undefined {
    const router = this.#router;
    if (entries.length === 1) {
      const entry = entries[0];
      const type = entry.signal.type;
      const subs = type === this.#checkedType ? this.#checked : router.route(type);
      if (subs.length === 1) {
        // The common case: one signal for one subscription, nothing allocated here.
        const ps = subs[0];
        ps.beginBatch();
        ps.enqueue(entry.signal, entry.logId);
        return ps.endBatch();
      }
    }
    let touched: PersistentSubscription[] | undefined;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const subs = router.route(entry.signal.type);
      for (let j = 0; j < subs.length; j++) {
        const ps = subs[j];
        if (!ps.batching) {
          ps.beginBatch();
          (touched ??= []).push(ps);
        }
        ps.enqueue(entry.signal, entry.logId);
      }
    }
    if (touched === undefined) return undefined;
    let waits: BatchWait[] | undefined;
    for (const ps of touched) {
      const started = ps.endBatch();
      if (started !== undefined) (waits ??= []).push(started);
    }
    if (waits === undefined) return undefined;
    if (waits.length === 1) return waits[0];
    const all = new BatchWait();
    all.left = waits.length;
    const release = (): void => all.release();
    for (const wait of waits) wait.whenSettled(release);
    return all;
  }

  /**
   * Report each persistent delivery on the `BusDispatch` telemetry channel (as ordinary
   * deliveries are), so observers such as
   * `SignalSpy` see handler outcomes. Free when nobody listens.
   */
  #observe(id: string, pattern: string, deliver: DeliverFunction): DeliverFunction {
    const { bus, origin } = this.#host;
    return (signal, logId, delivery) => {
      if (!dispatchChannel.hasSubscribers) return deliver(signal, logId, delivery);
      const started = performance.now();
      const message = (
        outcome: 'ok' | 'error',
        error?: SubscriberError,
      ): BusDispatchTelemetryMessage =>
        withOrigin(
          {
            bus,
            subscriptionId: id,
            pattern,
            partition: 0,
            signal,
            logId,
            durationMs: performance.now() - started,
            outcome,
            ...(error === undefined ? {} : { errorCode: error.reason, error }),
          },
          origin,
        );
      const failed = (cause: unknown): never => {
        const error = new SubscriberError(bus, id, signal.id, cause);
        emit(dispatchChannel, () => message('error', error));
        throw cause;
      };
      let result: unknown;
      try {
        result = deliver(signal, logId, delivery);
      } catch (cause) {
        return failed(cause);
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(() => {
          emit(dispatchChannel, () => message('ok'));
        }, failed);
      }
      emit(dispatchChannel, () => message('ok'));
      return result;
    };
  }
}

/** A receiver that acks (skips) signals matching none of `patterns`. */
function onlyMatching(patterns: readonly string[], deliver: DeliverFunction): DeliverFunction {
  return (signal, logId, delivery) =>
    matchesAny(signal.type, patterns) ? deliver(signal, logId, delivery) : undefined;
}

/** `wrapper`, declaring as many parameters as `deliver` (a `Receiver` reads `length`). */
function sameArity(wrapper: DeliverFunction, deliver: DeliverFunction): DeliverFunction {
  if (wrapper.length !== deliver.length) {
    Object.defineProperty(wrapper, 'length', { value: deliver.length });
  }
  return wrapper;
}

/** The bus's record of a persistent subscription: `deliver` is what the engine calls. */
function persistentSubscription(
  engine: PersistentEngine,
  options: PersistentSubscribeOptions,
  target: string,
  deliver: DeliverFunction,
): Subscription {
  const { id, pattern, createdAt } = engine;
  const priority = options.priority ?? 0;
  return new Subscription(id, pattern, priority, 'ordinary', 0, createdAt, target, deliver, engine);
}
