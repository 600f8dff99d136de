import { SignalBusRegistry } from '../core/bus/bus-registry.js';
import type { SignalBus } from '../core/bus/signal-bus.js';
import { Dispatcher } from '../core/dispatch/dispatcher.js';
import { BusClosedError, BusOptionError } from '../core/errors/bus.error.js';
import { SignalFactory } from '../core/signal/signal.js';
import { configureOpenTelemetry } from '../core/telemetry/otel/options.js';
import type { SignalStore } from '../core/store/signal-store.interface.js';
import { DEFAULT_SHUTDOWN_TIMEOUT, DEFAULT_SIGNAL_BUS } from './jido-signal.constants.js';
import { JidoSignalMessages } from './jido-signal.messages.js';
import type { JidoSignalModuleOptions, SignalBusConfig } from './jido-signal-options.interface.js';
import { GatedSignalBus } from './gated-signal-bus.js';
import type { SignalReadinessWatcher } from './signal-readiness.watcher.js';

/**
 * Everything one application's signal layer owns: the bus registry, the shared
 * dispatcher, the signal factory and the readiness gate. Created per application by the
 * module (no static state), closed on shutdown.
 * @internal
 */
export class JidoSignalRuntime {
  readonly registry = new SignalBusRegistry();
  readonly dispatcher: Dispatcher;
  readonly factory: SignalFactory;
  readonly shutdownTimeout: number;
  readonly registerHandlers: boolean;
  /** Bus of `@OnSignal` without `bus` and of `@InjectSignalBus()` (option `defaultBus`). */
  readonly defaultBus: string;
  readonly #options: JidoSignalModuleOptions;
  readonly #readiness: SignalReadinessWatcher;
  #closed: Promise<void> | undefined;
  /** Store shared by buses without their own; `#ownsStore` when the module opened it. */
  #store: SignalStore | undefined;
  #ownsStore = false;

  constructor(options: JidoSignalModuleOptions, readiness: SignalReadinessWatcher) {
    this.#options = options;
    this.#readiness = readiness;
    const timeout = options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
    if (!Number.isInteger(timeout) || timeout < 0) {
      throw new BusOptionError(
        '(module)',
        'shutdownTimeout',
        JidoSignalMessages.invalidShutdownTimeout(timeout),
      );
    }
    this.shutdownTimeout = timeout;
    if (options.telemetry !== undefined) configureOpenTelemetry(options.telemetry);
    this.registerHandlers = options.registerHandlers ?? true;
    this.defaultBus = options.defaultBus ?? DEFAULT_SIGNAL_BUS;
    this.factory = new SignalFactory(options.signals ?? {});
    this.dispatcher = new Dispatcher({
      ...options.dispatcher,
      adapters: options.adapters ?? [],
      buses: this.registry,
    });
  }

  /**
   * Open the module's store (`options.store`): connect to JetStream for a `jetstream`
   * config, to Redis for a `redis` config, adopt a store object as is.
   * @throws BusOptionError for an unknown store type; the store's connection errors
   */
  async openStore(): Promise<void> {
    const option = this.#options.store;
    if (option === undefined) return;
    if (typeof option !== 'object' || option === null) {
      throw new BusOptionError(
        '(module)',
        'store',
        JidoSignalMessages.invalidStore(String(option)),
      );
    }
    if (!('type' in option)) {
      this.#store = option;
      return;
    }
    if (option.type === 'memory') return;
    if (option.type === 'jetstream') {
      const { type: _type, ...jetstream } = option;
      // The `./jetstream` entry point, loaded only now: apps without the NATS peers never load it.
      const { JetStreamStore } = await import('../jetstream/index.js');
      this.#store = await JetStreamStore.connect(jetstream);
      this.#ownsStore = true;
      return;
    }
    if (option.type === 'redis') {
      const { type: _type, ...redis } = option;
      // The `./redis` entry point, loaded only now: apps without ioredis never load it.
      const { RedisStore } = await import('../redis/index.js');
      this.#store = await RedisStore.connect(redis);
      this.#ownsStore = true;
      return;
    }
    throw new BusOptionError(
      '(module)',
      'store',
      JidoSignalMessages.invalidStore(String((option as { type: unknown }).type)),
    );
  }

  /** The store buses without their own get (`undefined`: each its own in-memory store). */
  get store(): SignalStore | undefined {
    return this.#store;
  }

  /** Create the buses of the root options, plus `extraNames` with defaults. */
  createRootBuses(extraNames: readonly string[] = []): void {
    const buses: unknown = this.#options.buses ?? [{ name: DEFAULT_SIGNAL_BUS }];
    if (!Array.isArray(buses)) {
      throw new BusOptionError(
        '(module)',
        'buses',
        JidoSignalMessages.invalidBuses('must be an array'),
      );
    }
    for (const config of buses as SignalBusConfig[]) this.createBus(config);
    for (const name of extraNames) if (!this.registry.has(name)) this.createBus({ name });
    if (this.#options.defaultBus !== undefined && !this.registry.has(this.defaultBus)) {
      throw new BusOptionError(
        '(module)',
        'defaultBus',
        JidoSignalMessages.unknownDefaultBus(this.defaultBus, this.registry.names()),
      );
    }
  }

  /**
   * Create and register one bus: module middleware first, then the bus's own; the shared
   * dispatcher; publishes held until the handlers are subscribed.
   * @throws BusExistsError for a taken name, BusOptionError for bad options
   */
  createBus(config: SignalBusConfig): SignalBus {
    if (typeof config !== 'object' || config === null) {
      throw new BusOptionError(
        '(module)',
        'buses',
        JidoSignalMessages.invalidBuses('each bus must be an object with a name'),
      );
    }
    const bus = new GatedSignalBus(
      {
        ...config,
        handlerErrors: config.handlerErrors ?? this.#options.handlerErrors,
        store: config.store ?? this.#store,
        middleware: [...(this.#options.middleware ?? []), ...(config.middleware ?? [])],
        dispatcher: this.dispatcher,
      },
      this.#readiness,
    );
    this.registry.register(bus);
    return bus;
  }

  /**
   * Stop intake and drain every bus together (up to `shutdownTimeout` in all; follow-ups
   * published by handlers still running are delivered meanwhile), then close
   * the dispatcher and the store the module opened. Stores the module created are closed;
   * stores passed in options are not. Idempotent.
   */
  close(): Promise<void> {
    return (this.#closed ??= this.#close());
  }

  async #close(): Promise<void> {
    const buses = this.registry.list();
    if (!this.#readiness.isReady) {
      const names = buses.map((b) => b.name).join(', ');
      this.#readiness.setErrored(
        new BusClosedError(
          names,
          'publish: the application closed before it finished bootstrapping',
        ),
      );
    }
    // Together: a handler still running may publish follow-ups on any bus of the app.
    await this.registry.closeAll({ timeout: this.shutdownTimeout });
    await this.dispatcher.close().catch(() => undefined);
    if (this.#ownsStore) await this.#store?.close().catch(() => undefined);
  }
}
