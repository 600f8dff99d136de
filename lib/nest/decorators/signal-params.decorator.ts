import type { PipeTransform, Type } from '@nestjs/common';
import { SIGNAL_ARGS_METADATA } from '../jido-signal.constants.js';

/**
 * Parameter kinds of signal handlers. Nest's pipes see the kind through its route-param
 * numbering: `DATA` shares `body`'s number (3), so `ValidationPipe` validates it like a
 * request body; `PAYLOAD` and `DELIVERY` map to `'custom'`, so the `Signal` and the
 * `DeliveryContext` are never transformed.
 * @internal
 */
export const SignalParamtype = { DATA: 3, PAYLOAD: 100, DELIVERY: 101 } as const;
/** @internal */
export type SignalParamtype = (typeof SignalParamtype)[keyof typeof SignalParamtype];

/** One parameter's metadata (the shape Nest's `ExternalContextCreator` reads). @internal */
export interface SignalParamMetadata {
  readonly index: number;
  readonly data: string | undefined;
  readonly pipes: readonly (Type<PipeTransform> | PipeTransform)[];
}

function isPipe(value: unknown): value is Type<PipeTransform> | PipeTransform {
  return (
    typeof value === 'function' ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as PipeTransform).transform === 'function')
  );
}

function signalParam(
  type: SignalParamtype,
  data: string | undefined,
  pipes: readonly (Type<PipeTransform> | PipeTransform)[],
): ParameterDecorator {
  return (target, key, index) => {
    if (key === undefined) return;
    const ctor = target.constructor;
    const existing =
      (Reflect.getMetadata(SIGNAL_ARGS_METADATA, ctor, key) as
        Record<string, SignalParamMetadata> | undefined) ?? {};
    Reflect.defineMetadata(
      SIGNAL_ARGS_METADATA,
      { ...existing, [`${type}:${index}`]: { index, data, pipes } },
      ctor,
      key,
    );
  };
}

/**
 * The signal's `data` — or, with `path`, a value inside it (`'order.id'` reads
 * `data.order.id`; missing steps give `undefined`). Parameter pipes and `@UsePipes` apply,
 * e.g. `ValidationPipe` with a class-validator DTO as the parameter type.
 *
 * @example
 * @OnSignal('order.created')
 * @UsePipes(new ValidationPipe())
 * handle(@SignalData() order: CreateOrderDto, @SignalData('customer.id') customerId: string) {}
 */
export function SignalData(
  pathOrPipe?: string | Type<PipeTransform> | PipeTransform,
  ...pipes: (Type<PipeTransform> | PipeTransform)[]
): ParameterDecorator {
  if (pathOrPipe !== undefined && typeof pathOrPipe !== 'string' && isPipe(pathOrPipe)) {
    return signalParam(SignalParamtype.DATA, undefined, [pathOrPipe, ...pipes]);
  }
  return signalParam(SignalParamtype.DATA, pathOrPipe, pipes);
}

/**
 * The whole `Signal` (id, type, source, time, extensions, data).
 * @example
 * @OnSignal('order.*')
 * audit(@SignalPayload() signal: Signal) {}
 */
export function SignalPayload(
  ...pipes: (Type<PipeTransform> | PipeTransform)[]
): ParameterDecorator {
  return signalParam(SignalParamtype.PAYLOAD, undefined, pipes);
}

/**
 * The delivery's `DeliveryContext` on a persistent subscription: `attempt` (1 for the first
 * delivery, 2 for the first redelivery…) and `signal`, an `AbortSignal` that aborts (reason:
 * `AckTimeoutError`) when the `ackTimeout` passes while the handler still runs — hand it to
 * `fetch` or any other cancellable work. `undefined` on an ordinary subscription. The same
 * value is the third argument of a handler called without Nest's context, and
 * `host.getArgByIndex(2)` in guards and interceptors.
 *
 * @example
 * @OnSignal('page.fetch', { persistent: { subscriptionId: 'crawler', ackTimeout: 10_000 } })
 * async crawl(@SignalData('url') url: string, @SignalDelivery() delivery?: DeliveryContext) {
 *   await fetch(url, { signal: delivery?.signal });
 * }
 */
export function SignalDelivery(): ParameterDecorator {
  return signalParam(SignalParamtype.DELIVERY, undefined, []);
}
