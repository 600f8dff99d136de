import { Logger } from '@nestjs/common';
import { SignalBus, type PublishOptions, type SignalBusOptions } from '../core/bus/signal-bus.js';
import type { Signal } from '../core/signal/signal.js';
import type { RecordedSignal } from '../core/store/signal-store.interface.js';
import { BusClosedError } from '../core/errors/bus.error.js';
import { JidoSignalMessages } from './jido-signal.messages.js';
import type { SignalReadinessWatcher } from './signal-readiness.watcher.js';

/**
 * A `SignalBus` that holds publishes until the application's handlers are subscribed, then
 * hands them to the bus in call order. Once ready (and nothing is held) `publish` is the
 * plain bus call: one boolean check.
 * @internal
 */
export class GatedSignalBus extends SignalBus {
  readonly #readiness: SignalReadinessWatcher;
  #held = 0;
  readonly #logger = new Logger('JidoSignal');

  readonly #logRefusal = (error: unknown): never => {
    if (error instanceof BusClosedError) {
      this.#logger.warn(JidoSignalMessages.publishRefused(this.name, error.signalIds));
    }
    throw error;
  };

  constructor(options: SignalBusOptions, readiness: SignalReadinessWatcher) {
    super(options);
    this.#readiness = readiness;
  }

  /** Publishes held until bootstrap (waiting to be handed to the bus). */
  get held(): number {
    return this.#held;
  }

  override publish(
    signals: Signal | readonly Signal[],
    options?: PublishOptions,
  ): Promise<RecordedSignal[]> {
    if (this.#held === 0 && this.#readiness.isReady) {
      const published = super.publish(signals, options);
      // Closing: a refused publish is logged with its ids (the bus reports it on telemetry).
      return this.closed ? published.catch(this.#logRefusal) : published;
    }
    this.#held++;
    // Reactions of one promise run in registration order: held publishes keep their order,
    // and a publish issued while some are still held queues behind them.
    return this.#readiness.waitUntilReady().then(
      () => {
        this.#held--;
        return super.publish(signals, options);
      },
      (error: unknown) => {
        this.#held--;
        throw error;
      },
    );
  }
}
