import type { DispatchConfig } from '../dispatch/adapter.interface.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { BusOptionError, SubscriptionExistsError } from '../errors/bus.error.js';
import { validatePattern } from '../router/pattern.js';
import type { SignalRouter } from '../router/signal-router.js';
import { SignalId } from '../signal/signal-id.js';
import { batchedDelivery, type BatchingRegistry } from './batched-target.js';
import type { BusContext } from './bus-context.js';
import type { BusLifecycle } from './bus-lifecycle.js';
import { rejectionHookOf } from './rejection-hook.js';
import {
  Subscription,
  type DeliverFunction,
  type SignalHandler,
  type SubscribeOptions,
  type SubscriptionDispatch,
  type SubscriptionKind,
} from './subscription.js';
import { partitionOf } from './token-bucket.js';

/** How a subscription's receiver is called, and how it is named in `SubscriptionInfo`. @internal */
export interface Receiver {
  deliver: DeliverFunction;
  target: string;
}

/**
 * The subscriptions of a bus by id (streams and persistent ones included, in registration
 * order) and the registration of ordinary ones: id, receiver, partition, route.
 * @internal
 */
export class SubscriptionTable {
  readonly byId = new Map<string, Subscription>();
  readonly #name: string;
  readonly #router: SignalRouter<Subscription>;
  readonly #partitionCount: number;
  readonly #life: BusLifecycle;
  readonly #dispatcher: Dispatcher;
  readonly #batching: () => BatchingRegistry;

  /** @param batching - the buffers of batched targets (created on first use) */
  constructor(
    context: BusContext,
    life: BusLifecycle,
    dispatcher: Dispatcher,
    batching: () => BatchingRegistry,
  ) {
    this.#name = context.name;
    this.#router = context.router;
    this.#partitionCount = context.partitionCount;
    this.#life = life;
    this.#dispatcher = dispatcher;
    this.#batching = batching;
  }

  /** Register an ordinary subscription (see `SignalBus.subscribe`); returns its id. */
  subscribe(pattern: string, options: SubscribeOptions | SignalHandler): string {
    this.#life.ensureOpen('subscribe');
    const opts: SubscribeOptions = typeof options === 'function' ? { dispatch: options } : options;
    if (typeof opts !== 'object' || opts === null) {
      throw new BusOptionError(
        this.#name,
        'options',
        'subscribe needs options { dispatch } or a handler function',
      );
    }
    validatePattern(pattern);
    const id = this.newId(opts.subscriptionId);
    const { deliver, target } = this.receiver(opts.dispatch, id);
    const sub = this.register(id, pattern, opts.priority, 'ordinary', target, deliver);
    if (typeof opts.dispatch === 'function') {
      sub.onRejected = rejectionHookOf(opts.dispatch);
      if (opts.dispatch.length < 2) sub.handler = opts.dispatch;
    }
    return sub.id;
  }

  /**
   * The id of a new subscription: the given one or a new UUIDv7.
   * @throws BusOptionError for an empty or non-string id, SubscriptionExistsError when taken
   */
  newId(given: string | undefined): string {
    const id = given ?? SignalId.generate();
    if (typeof id !== 'string' || id.length === 0) {
      throw new BusOptionError(
        this.#name,
        'subscriptionId',
        'subscriptionId must be a non-empty string',
      );
    }
    if (this.byId.has(id)) throw new SubscriptionExistsError(this.#name, id);
    return id;
  }

  /** The receiver of a subscription's `dispatch` (see {@link receiverOf}). */
  receiver(dispatch: SubscriptionDispatch | undefined, subscriptionId: string): Receiver {
    return receiverOf(this.#name, this.#dispatcher, this.#batching, dispatch, subscriptionId);
  }

  /** Register an ordinary or stream subscription with the router. */
  register(
    id: string,
    pattern: string,
    priority: number | undefined,
    kind: SubscriptionKind,
    target: string,
    deliver: DeliverFunction,
  ): Subscription {
    const sub = new Subscription(
      id,
      pattern,
      priority ?? 0,
      kind,
      partitionOf(id, this.#partitionCount),
      Date.now(),
      target,
      deliver,
    );
    // The router validates the priority; it throws before anything is registered.
    sub.routeId = this.#router.add({ pattern, target: sub, priority });
    this.byId.set(id, sub);
    return sub;
  }
}

/**
 * The deliver function and target name of a subscription's `dispatch`: a handler function,
 * a dispatch config or a non-empty list of configs (batched configs get buffers in
 * `batching()`).
 * @throws BusOptionError for anything else; DispatchConfigError / DispatchAggregateError for
 *   invalid configs
 * @internal
 */
export function receiverOf(
  bus: string,
  dispatcher: Dispatcher,
  batching: () => BatchingRegistry,
  dispatch: SubscriptionDispatch | undefined,
  subscriptionId: string,
): Receiver {
  if (typeof dispatch === 'function') {
    const handler = dispatch;
    return {
      // Only a handler that declares the context gets one (persistent engines make it
      // per dispatch when the deliver function declares it).
      deliver:
        handler.length >= 2
          ? (signal, _logId, delivery) => handler(signal, delivery)
          : (signal) => handler(signal),
      target: `handler ${handler.name || 'anonymous'}`,
    };
  }
  if (
    typeof dispatch !== 'object' ||
    dispatch === null ||
    (Array.isArray(dispatch) && dispatch.length === 0)
  ) {
    throw new BusOptionError(
      bus,
      'dispatch',
      'subscribe option "dispatch" must be a handler function, a dispatch config or a non-empty list of configs',
    );
  }
  const config = dispatch as DispatchConfig | readonly DispatchConfig[];
  const batched = batchedDelivery(dispatcher, config);
  if (batched !== undefined) {
    batching().set(subscriptionId, batched.batchers);
    return batched;
  }
  const validated = dispatcher.validate(config);
  const list = Array.isArray(validated) ? validated : [validated];
  return {
    deliver: (signal, _logId, delivery) =>
      delivery === undefined
        ? dispatcher.dispatch(signal, config)
        : dispatcher.dispatch(signal, config, { signal: delivery.signal }),
    target: list
      .map((v) => (v.target === v.adapter ? v.adapter : `${v.adapter} ${v.target}`))
      .join(', '),
  };
}
