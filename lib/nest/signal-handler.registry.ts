import { Injectable } from '@nestjs/common';

/** How a registered handler is invoked. */
export type SignalHandlerInvocation =
  /** Called directly: no enhancers, no parameter decorators (the fast path). */
  | 'direct'
  /** Through Nest's `ExternalContextCreator` (guards, interceptors, pipes, filters, params). */
  | 'context'
  /** A new instance per signal (request-scoped provider; the signal is the request). */
  | 'request';

/** One subscription made for an `@OnSignal` method (see {@link SignalHandlerRegistry.handlers}). */
export interface SignalHandlerInfo {
  /** Class of the provider or controller. */
  readonly className: string;
  /** Method name. */
  readonly methodName: string;
  /** Bus subscribed on. */
  readonly bus: string;
  /** The patterns joined with `, ` (one pattern for an ordinary subscription). */
  readonly pattern: string;
  /** The patterns: one for an ordinary subscription, all of the decorator's when persistent. */
  readonly patterns: readonly string[];
  /** Subscription id on the bus. */
  readonly subscriptionId: string;
  /** Whether the subscription is persistent. */
  readonly persistent: boolean;
  /** How the method is invoked. */
  readonly invocation: SignalHandlerInvocation;
}

/**
 * The subscriptions the module made for `@OnSignal` methods at bootstrap (injectable, e.g.
 * for an admin endpoint or a test): what was subscribed, on which bus, under which id, and
 * how each method is invoked.
 */
@Injectable()
export class SignalHandlerRegistry {
  readonly #handlers: SignalHandlerInfo[] = [];

  /** The subscriptions made for `@OnSignal` methods, in registration order. */
  handlers(): readonly SignalHandlerInfo[] {
    return [...this.#handlers];
  }

  /** Records one subscription (the subscribers loader calls it). @internal */
  add(info: SignalHandlerInfo): void {
    this.#handlers.push(Object.freeze({ ...info }));
  }
}
