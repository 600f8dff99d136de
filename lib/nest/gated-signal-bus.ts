import { Logger } from '@nestjs/common';
import { SignalBus, type PublishOptions, type SignalBusOptions } from '../core/bus/signal-bus.js';
import type { Signal } from '../core/signal/signal.js';
import type { RecordedSignal } from '../core/store/signal-store.interface.js';
import { BusClosedError } from '../core/errors/bus.error.js';
import { SignalBusNotReadyError } from './jido-signal-nest.error.js';
import { JidoSignalMessages } from './jido-signal.messages.js';
import type { SignalReadinessWatcher } from './signal-readiness.watcher.js';

type Settle<T> = (value: T) => void;

/**
 * The promise of a held publish. Awaiting it (or calling `then`/`catch`) before the
 * application reached `onApplicationBootstrap` would hang the bootstrap, so it then rejects
 * with `SignalBusNotReadyError` instead, and the publish is dropped. `await` calls `then` on
 * a promise subclass, which is what makes this detectable; a publish nobody waits for stays
 * held and is delivered once ready.
 */
class HeldPublish extends Promise<RecordedSignal[]> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  /** Called when someone waits on the promise. @internal */
  onWait: (() => void) | undefined;

  override then<A = RecordedSignal[], B = never>(
    onFulfilled?: ((value: RecordedSignal[]) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    const wait = this.onWait;
    this.onWait = undefined;
    wait?.();
    return super.then(onFulfilled, onRejected);
  }
}

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
    let resolve!: Settle<RecordedSignal[] | PromiseLike<RecordedSignal[]>>;
    let reject!: Settle<unknown>;
    const held = new HeldPublish((res, rej) => {
      resolve = res;
      reject = rej;
    });
    let dropped = false;
    held.onWait = () => {
      if (!this.#readiness.waitingWouldBlock) return;
      dropped = true;
      reject(new SignalBusNotReadyError(this.name, JidoSignalMessages.notReady(this.name)));
    };
    // Reactions of one promise run in registration order: held publishes keep their order,
    // and a publish issued while some are still held queues behind them.
    this.#readiness.waitUntilReady().then(
      () => {
        this.#held--;
        if (!dropped) resolve(super.publish(signals, options));
      },
      (error: unknown) => {
        this.#held--;
        reject(error);
      },
    );
    return held;
  }
}
