import type { DispatchConfig } from '../dispatch/adapter.interface.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { BusOptionError } from '../errors/bus.error.js';
import { batchedDelivery, type BatchingRegistry } from './batched-target.js';
import type { DeliverFunction, SubscriptionDispatch } from './subscription.js';

/** How a subscription's receiver is called, and how it is named in `SubscriptionInfo`. @internal */
export interface Receiver {
  deliver: DeliverFunction;
  target: string;
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
