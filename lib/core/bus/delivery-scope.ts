import { AsyncLocalStorage } from 'node:async_hooks';
import type { Signal } from '../signal/signal.js';

/** The delivery a subscriber is running for. */
export interface HandledSignal {
  /** Name of the bus delivering. */
  readonly bus: string;
  /** The signal being handled (as delivered, after `beforeDispatch`). */
  readonly signal: Signal;
  /** Its log position. */
  readonly logId: string;
  /** The subscription receiving it. */
  readonly subscriptionId: string;
}

/**
 * The seam through which a bus runs every delivery: `run` must call `fn` synchronously and
 * return its result. The bus calls it only when a scope is configured, so buses without one
 * pay nothing. Automatic causality (a signal published while a handler runs inherits the
 * handled signal's correlation and becomes its effect) plugs in here.
 */
export interface DeliveryScope {
  /** Run `fn` (which invokes one subscriber) with `handled` as the current delivery. */
  run<R>(handled: HandledSignal, fn: () => R): R;
}

/**
 * A {@link DeliveryScope} on `AsyncLocalStorage`: inside a handler — and everything it
 * awaits — {@link AsyncLocalDeliveryScope.current} returns the signal being handled.
 * Note that on Node 20 an active `AsyncLocalStorage` adds a cost to every promise in the
 * process, which is why buses use no scope unless given one.
 *
 * @example
 * const scope = new AsyncLocalDeliveryScope();
 * const bus = new SignalBus({ name: 'app', deliveryScope: scope });
 * await bus.subscribe('order.created', {
 *   dispatch: () => console.log(scope.current()?.signal.id),
 * });
 */
export class AsyncLocalDeliveryScope implements DeliveryScope {
  readonly #storage = new AsyncLocalStorage<HandledSignal>();

  /** Run `fn` with `handled` as the current delivery. */
  run<R>(handled: HandledSignal, fn: () => R): R {
    return this.#storage.run(handled, fn);
  }

  /** The delivery the caller runs inside, if any. */
  current(): HandledSignal | undefined {
    return this.#storage.getStore();
  }
}
