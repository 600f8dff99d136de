import type {
  AdapterHealth,
  DeliveryContext,
  DispatchAdapter,
} from '../core/dispatch/adapter.interface.js';
import type { Signal } from '../core/signal/signal.js';

/** Options a {@link FakeAdapter} receives: the dispatch config without `adapter`, as given. */
export type FakeAdapterOptions = Readonly<Record<string, unknown>>;

/** One delivery attempt a {@link FakeAdapter} saw. */
export interface FakeDelivery {
  /** The delivered signal. */
  readonly signal: Signal;
  /** The config's options (without `adapter` and `onFailure`). */
  readonly options: FakeAdapterOptions;
  /** 1 for the first try, incremented by dispatcher retries. */
  readonly attempt: number;
  /** Whether the adapter failed this attempt (see {@link FakeAdapter.failWith}). */
  readonly failed: boolean;
}

/**
 * A dispatch adapter for tests: records every delivery attempt, and can be told to fail
 * (every time or the next `n` times) or to report unhealthy. Synchronous, no timers.
 *
 * @example
 * const mailer = new FakeAdapter('mailer');
 * const dispatcher = new Dispatcher({ adapters: [mailer] });
 * mailer.failWith(new Error('smtp down'), 1); // the next delivery fails, later ones succeed
 */
export class FakeAdapter implements DispatchAdapter<FakeAdapterOptions> {
  /** Adapter name used in dispatch configs (`{ adapter: name }`). */
  readonly name: string;
  readonly #deliveries: FakeDelivery[] = [];
  #failure: unknown;
  #failures = 0;
  #healthy = true;

  /** @param name - adapter name, non-empty */
  constructor(name: string) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError('FakeAdapter needs a non-empty name');
    }
    this.name = name;
  }

  /** Every delivery attempt, in order (failed ones included). */
  get deliveries(): readonly FakeDelivery[] {
    return [...this.#deliveries];
  }

  /** Signals delivered successfully, in order. */
  get delivered(): readonly Signal[] {
    return this.#deliveries.filter((d) => !d.failed).map((d) => d.signal);
  }

  /** Whether {@link healthCheck} reports healthy. @default true */
  get healthy(): boolean {
    return this.#healthy;
  }

  set healthy(value: boolean) {
    this.#healthy = value;
  }

  /**
   * Fail the next `times` deliveries (every delivery with `Infinity`) by throwing `error`.
   * @param error - what `deliver` throws @default an `Error` naming the adapter
   * @param times - how many deliveries fail @default Infinity
   */
  failWith(error?: unknown, times = Infinity): this {
    this.#failure = error ?? new Error(`FakeAdapter "${this.name}" is configured to fail`);
    this.#failures = times;
    return this;
  }

  /** Stop failing. */
  succeed(): this {
    this.#failures = 0;
    this.#failure = undefined;
    return this;
  }

  /** Forget recorded deliveries, stop failing and report healthy again. */
  reset(): void {
    this.#deliveries.length = 0;
    this.#healthy = true;
    this.succeed();
  }

  /** Accepts any options (kept as given). */
  validateOptions(options: Readonly<Record<string, unknown>>): FakeAdapterOptions {
    return options;
  }

  /** Records the attempt; throws while configured to fail. */
  deliver(signal: Signal, options: FakeAdapterOptions, context: DeliveryContext): void {
    const failed = this.#failures > 0;
    this.#deliveries.push({ signal, options, attempt: context.attempt, failed });
    if (!failed) return;
    this.#failures--;
    throw this.#failure;
  }

  /** Reports {@link healthy} and the number of attempts seen. */
  healthCheck(): AdapterHealth {
    return { healthy: this.#healthy, details: { deliveries: this.#deliveries.length } };
  }

  /** `fake <name>`. */
  describeTarget(): string {
    return `fake ${this.name}`;
  }
}

/**
 * The fake adapters of one `JidoSignalTestingModule` application, by name (inject this
 * class). Each is registered in the application's `Dispatcher`.
 */
export class FakeAdapters {
  readonly #adapters = new Map<string, FakeAdapter>();

  /** @param names - adapter names to create fakes for */
  constructor(names: readonly string[] = []) {
    for (const name of names)
      if (!this.#adapters.has(name)) this.#adapters.set(name, new FakeAdapter(name));
  }

  /**
   * The fake adapter registered under `name`.
   * @throws Error when no fake of that name was configured
   */
  get(name: string): FakeAdapter {
    const adapter = this.#adapters.get(name);
    if (adapter === undefined) {
      throw new Error(
        `No fake adapter "${name}" (configured: ${this.names().join(', ') || 'none'}); list it in JidoSignalTestingModule.forRoot({ fakeAdapters })`,
      );
    }
    return adapter;
  }

  /** Names of the fakes, in configuration order. */
  names(): string[] {
    return [...this.#adapters.keys()];
  }

  /** Every fake, in configuration order. */
  list(): FakeAdapter[] {
    return [...this.#adapters.values()];
  }

  /** Reset every fake (see {@link FakeAdapter.reset}). */
  reset(): void {
    for (const adapter of this.#adapters.values()) adapter.reset();
  }
}
