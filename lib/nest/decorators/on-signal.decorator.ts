import { ON_SIGNAL_METADATA } from '../jido-signal.constants.js';
import type { OnSignalMetadata, OnSignalOptions } from '../jido-signal-options.interface.js';

/**
 * Subscribe a provider or controller method to signals whose type matches `pattern` (or
 * any of the patterns). Stackable: every application adds subscriptions. Registered on
 * `onApplicationBootstrap`; bad patterns and unknown buses fail the bootstrap with a
 * message naming the class and method.
 *
 * @param pattern - router grammar (`*` one segment, `**` zero or more) or a list
 * @param options - `bus`, `priority`, `onError`, `persistent`
 *
 * @example
 * @Injectable()
 * export class InventoryService {
 *   @OnSignal('order.created')
 *   @OnSignal('order.updated', { priority: 10 })
 *   reserve(@SignalData() order: OrderDto) {}
 * }
 */
export function OnSignal(
  pattern: string | readonly string[],
  options: OnSignalOptions = {},
): MethodDecorator {
  const patterns: readonly string[] = typeof pattern === 'string' ? [pattern] : [...pattern];
  const entry: OnSignalMetadata = Object.freeze({
    patterns,
    options: Object.freeze({ ...options }),
  });
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object | undefined;
    if (method === undefined) return descriptor;
    const existing =
      (Reflect.getMetadata(ON_SIGNAL_METADATA, method) as OnSignalMetadata[] | undefined) ?? [];
    // Decorators apply bottom-up; prepend so the list reads in source order.
    Reflect.defineMetadata(ON_SIGNAL_METADATA, [entry, ...existing], method);
    return descriptor;
  };
}
