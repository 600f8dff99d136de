import { DeliveryController } from '../../dispatch/delivery-controller.js';
import type { Signal } from '../../signal/signal.js';
import { toPromise } from '../../util/to-promise.js';
import type { DeliverFunction, PersistentHost } from './engine.js';

/** What {@link Receiver.call} returns when the receiver throws. @internal */
export class Thrown {
  constructor(readonly error: unknown) {}
}

/**
 * The current receiver of a persistent subscription (`reconnect` replaces it) and how an
 * attempt is handed to it: inside the bus's delivery scope, with a `DeliveryContext` when
 * the receiver declares one. Shared by both engines.
 * @internal
 */
export class Receiver {
  #deliver: DeliverFunction;
  /** The receiver takes a `DeliveryContext` (third parameter): one is made per dispatch. */
  #wantsContext: boolean;
  #target: string;

  constructor(deliver: DeliverFunction, target: string) {
    this.#deliver = deliver;
    this.#wantsContext = deliver.length >= 3;
    this.#target = target;
  }

  /** Secret-free description of the receiver. */
  get target(): string {
    return this.#target;
  }

  /** Deliver to `deliver` from now on. */
  set(deliver: DeliverFunction, target: string): void {
    this.#deliver = deliver;
    this.#wantsContext = deliver.length >= 3;
    this.#target = target;
  }

  /** The abort handle of attempt `attempt`, when the receiver takes a context. */
  context(attempt: number): DeliveryController | undefined {
    return this.#wantsContext ? new DeliveryController({ attempt }) : undefined;
  }

  /**
   * Hand `signal` to the receiver in the host's delivery scope.
   * @returns the receiver's result as a native promise (see `toPromise`), `undefined` when
   *   it settled synchronously, or what it threw as a {@link Thrown}
   */
  call(
    host: PersistentHost,
    subscriptionId: string,
    signal: Signal,
    logId: string,
    ctl: DeliveryController | undefined,
  ): Promise<unknown> | Thrown | undefined {
    const deliver = this.#deliver;
    try {
      const scope = host.scope();
      return toPromise(
        scope === undefined
          ? deliver(signal, logId, ctl)
          : scope.run({ bus: host.bus, signal, logId, subscriptionId }, () =>
              deliver(signal, logId, ctl),
            ),
      );
    } catch (error) {
      return new Thrown(error);
    }
  }
}
