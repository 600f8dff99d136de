import type { ArgumentsHost } from '@nestjs/common';
import type { Signal } from '../core/signal/signal.js';
import { SIGNAL_CONTEXT_TYPE } from './jido-signal.constants.js';
import { SignalParamtype } from './decorators/signal-params.decorator.js';

/**
 * What a signal handler receives as its second argument (and `ExecutionContext.getArgByIndex(1)`):
 * where the signal came from. The third argument (`getArgByIndex(2)`, `@SignalDelivery()`) is
 * the `DeliveryContext` of a persistent subscription's delivery, `undefined` otherwise.
 */
export interface SignalHandlerContext {
  /** Name of the bus delivering. */
  readonly bus: string;
  /** Subscription id (`ClassName.method`, suffixed `#2`, `#3`… when one method subscribes several times; or the pinned `subscriptionId`). */
  readonly subscriptionId: string;
  /** The pattern the subscription was made with (the patterns joined with `, ` when persistent over several). */
  readonly pattern: string;
  /** The patterns of the subscription (one, or every pattern of a persistent `@OnSignal`). */
  readonly patterns: readonly string[];
}

/**
 * Whether an `ArgumentsHost` / `ExecutionContext` is a signal handler invocation
 * (`getType() === 'jido-signal'`). `host.getArgByIndex(0)` is then the `Signal`,
 * `host.getArgByIndex(1)` the {@link SignalHandlerContext}, and `host.getArgByIndex(2)` the
 * `DeliveryContext` on a persistent subscription (`attempt`, and the `signal` that aborts
 * with an `AckTimeoutError` at the `ackTimeout`) — `undefined` on an ordinary one.
 *
 * @example
 * canActivate(ctx: ExecutionContext) {
 *   if (isSignalContext(ctx)) return ctx.getArgByIndex<Signal>(0).source === '/trusted';
 *   return true;
 * }
 */
export function isSignalContext(host: ArgumentsHost): boolean {
  return host.getType<string>() === SIGNAL_CONTEXT_TYPE;
}

/** Reads `path` (dotted) inside `value`; `undefined` when a step is missing. @internal */
export function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Nest's `ParamsFactory` for signal handlers. @internal */
export class SignalParamsFactory {
  exchangeKeyForValue(type: number, data: unknown, args: unknown[]): unknown {
    const signal = args[0] as Signal | undefined;
    if (signal === undefined) return undefined;
    switch (type) {
      case SignalParamtype.DATA:
        return typeof data === 'string' && data !== '' ? readPath(signal.data, data) : signal.data;
      case SignalParamtype.PAYLOAD:
        return signal;
      case SignalParamtype.DELIVERY:
        return args[2];
      default:
        return undefined;
    }
  }
}
