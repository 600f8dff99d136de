import { Injectable } from '@nestjs/common';

/**
 * Readiness of the application's signal handlers (one per application). It becomes ready
 * once every `@OnSignal` handler is subscribed (`onApplicationBootstrap`); publishes issued
 * before that are held and delivered then, in order.
 *
 * @example
 * constructor(private readonly readiness: SignalReadinessWatcher) {}
 * async check() {
 *   await this.readiness.waitUntilReady();
 * }
 */
@Injectable()
export class SignalReadinessWatcher {
  #ready = false;
  #bootstrapping = false;
  #error: unknown;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  readonly #promise: Promise<void>;

  constructor() {
    this.#promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A failed bootstrap is reported by Nest itself; nobody waiting is not an error.
    this.#promise.catch(() => undefined);
  }

  /** Whether every handler is subscribed. */
  get isReady(): boolean {
    return this.#ready;
  }

  /**
   * Whether waiting for readiness now would hang: the application has not reached
   * `onApplicationBootstrap` yet (providers are being created or `onModuleInit` hooks run).
   * @internal
   */
  get waitingWouldBlock(): boolean {
    return !this.#ready && !this.#bootstrapping && this.#error === undefined;
  }

  /** Resolves once ready; rejects if registration failed or the application closed first. */
  waitUntilReady(): Promise<void> {
    return this.#promise;
  }

  /** Mark the start of `onApplicationBootstrap` (handlers being subscribed). @internal */
  setBootstrapping(): void {
    this.#bootstrapping = true;
  }

  /** Mark the handlers subscribed. @internal */
  setReady(): void {
    if (this.#ready || this.#error !== undefined) return;
    this.#ready = true;
    this.#resolve();
  }

  /** Mark registration failed (held publishes reject with `error`). @internal */
  setErrored(error: unknown): void {
    if (this.#ready || this.#error !== undefined) return;
    this.#error = error ?? new Error('signal handler registration failed');
    this.#reject(this.#error);
  }
}
