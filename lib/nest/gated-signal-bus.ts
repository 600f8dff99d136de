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
 * How long a held publish may be awaited before bootstrap before its waiter is told why it
 * would hang (`SignalBusNotReadyError`): awaiting one in `onModuleInit` blocks the bootstrap
 * that would release it.
 */
export const NOT_READY_WAIT_MS = 5_000;

/**
 * The promise of a held publish. `await` calls `then` on a promise subclass, which is what
 * makes waiting detectable: if the application is still before `onApplicationBootstrap`
 * {@link NOT_READY_WAIT_MS} later, the promise rejects with `SignalBusNotReadyError` instead of
 * hanging. The publish is never dropped: it is handed to the bus once the application is ready.
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
    let told = false;
    let timer: NodeJS.Timeout | undefined;
    held.onWait = () => {
      if (!this.#readiness.waitingWouldBlock) return;
      timer = setTimeout(() => {
        if (!this.#readiness.waitingWouldBlock) return;
        told = true;
        reject(
          new SignalBusNotReadyError(
            this.name,
            JidoSignalMessages.notReady(this.name, NOT_READY_WAIT_MS),
          ),
        );
      }, NOT_READY_WAIT_MS);
      timer.unref();
    };
    // Reactions of one promise run in registration order: held publishes keep their order,
    // and a publish issued while some are still held queues behind them.
    this.#readiness.waitUntilReady().then(
      () => {
        this.#held--;
        clearTimeout(timer);
        const published = super.publish(signals, options);
        // A waiter already told why it would hang; the outcome is still reported on errors$.
        if (told) published.catch(() => undefined);
        else resolve(published);
      },
      (error: unknown) => {
        this.#held--;
        clearTimeout(timer);
        reject(error);
      },
    );
    return held;
  }
}
