import type { Signal } from '../../signal/signal.js';
import type { DeliveryContext, DispatchAdapter } from '../adapter.interface.js';

/**
 * Discards every signal and accepts any options (handy in tests and for conditional
 * routing: `isTest ? { adapter: 'noop' } : { adapter: 'http', url }`).
 */
export class NoopAdapter implements DispatchAdapter<Readonly<Record<string, unknown>>> {
  /** `'noop'`. */
  readonly name = 'noop';

  /** Accepts anything; returns the options unchanged. */
  validateOptions(options: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    return options;
  }

  /** Does nothing. */
  deliver(
    _signal: Signal,
    _options: Readonly<Record<string, unknown>>,
    _context: DeliveryContext,
  ): void {}

  /** `'noop'`. */
  describeTarget(): string {
    return 'noop';
  }
}
