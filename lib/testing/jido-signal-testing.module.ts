import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { SignalBusRegistry } from '../core/bus/bus-registry.js';
import type { BusMiddleware } from '../core/bus/middleware.interface.js';
import type { DispatchAdapter, DispatchAdapterClass } from '../core/dispatch/adapter.interface.js';
import { Dispatcher } from '../core/dispatch/dispatcher.js';
import type { SignalFactoryOptions } from '../core/signal/signal.js';
import type { SignalStore } from '../core/store/signal-store.interface.js';
import { JidoSignalModule } from '../nest/jido-signal.module.js';
import type {
  JidoSignalDispatcherOptions,
  JidoSignalModuleOptions,
  SignalBusConfig,
} from '../nest/jido-signal-options.interface.js';
import { FakeAdapters } from './fake-adapter.js';
import { SignalSpy } from './signal-spy.js';
import { TestClock, type TestClockOptions } from './test-clock.js';

/** Options of {@link JidoSignalTestingModule.forRoot}. */
export interface JidoSignalTestingModuleOptions {
  /**
   * The buses. A bus without `store` gets `store(name)` or, without that option, a
   * `MemoryStore` of its own (created and closed by the bus).
   * @default [{ name: 'default' }]
   */
  buses?: readonly SignalBusConfig[];
  /**
   * Bus of `@OnSignal` without `bus` and of `@InjectSignalBus()` (as `JidoSignalModule`'s
   * `defaultBus`).
   * @default 'default'
   */
  defaultBus?: string;
  /**
   * Store of each bus that does not set one — e.g. `() => sharedStore` to inspect the log
   * or a Redis store for an integration test. Stores returned here are yours to close.
   * @default undefined (a new MemoryStore per bus, closed with it)
   */
  store?: (bus: string) => SignalStore;
  /**
   * Names of {@link FakeAdapter}s to register in the dispatcher; get them with
   * `moduleRef.get(FakeAdapters).get(name)`. A fake replaces an adapter of the same name,
   * whether from `adapters` options or an `@SignalAdapter` provider.
   * @default []
   */
  fakeAdapters?: readonly string[];
  /**
   * Real adapters to register besides the fakes (as `JidoSignalModule`'s `adapters`).
   * @default []
   */
  adapters?: readonly (DispatchAdapter<unknown> | DispatchAdapterClass)[];
  /**
   * Middleware of every bus (as `JidoSignalModule`'s `middleware`).
   * @default []
   */
  middleware?: readonly BusMiddleware[];
  /**
   * Options of the shared `Dispatcher` (as `JidoSignalModule`'s `dispatcher`).
   * @default {}
   */
  dispatcher?: JidoSignalDispatcherOptions;
  /**
   * Options of the application's `SignalFactory`. Its ids (and so `time`) always come from
   * the module's {@link TestClock}.
   * @default { source: '/test' }
   */
  signals?: Omit<SignalFactoryOptions, 'ids'>;
  /**
   * Start and step of the {@link TestClock} behind the factory's ids and times.
   * @default { start: Date.UTC(2026, 0, 1), stepMs: 1 }
   */
  clock?: TestClockOptions;
  /**
   * Discover `@OnSignal` handlers, `@SignalAdapter` and `@SignalMiddleware` providers.
   * @default true
   */
  registerHandlers?: boolean;
  /**
   * Longest the shutdown waits for in-flight deliveries of each bus, in ms (short, so a
   * stuck handler fails the test run quickly instead of hanging it).
   * @default 1000
   */
  shutdownTimeout?: number;
}

/**
 * Puts the fakes back in front after `@SignalAdapter` providers of the same name were
 * registered, and detaches the spy once the buses have drained. Nest runs `onModuleInit`
 * of global modules (such as `JidoSignalModule`) first, then the others from the deepest
 * import up: this module is not global so that its hook runs after the signal lifecycle's. A
 * configuration validated in between is re-validated (the adapter registry's version
 * changes). @internal
 */
@Injectable()
class JidoSignalTestingLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(SignalSpy) private readonly spy: SignalSpy,
    @Inject(FakeAdapters) private readonly fakes: FakeAdapters,
    @Inject(Dispatcher) private readonly dispatcher: Dispatcher,
  ) {}

  onModuleInit(): void {
    for (const fake of this.fakes.list()) {
      if (this.dispatcher.adapters.get(fake.name) !== fake) this.dispatcher.adapters.register(fake);
    }
  }

  onApplicationShutdown(): void {
    this.spy.detach();
  }
}

/** Holds the per-application clock and fakes, for the async root module. @internal */
@Module({})
class JidoSignalTestingCoreModule {}

/**
 * `JidoSignalModule` set up for tests: deterministic signal ids and times from a
 * {@link TestClock}, a `MemoryStore` per bus, a {@link SignalSpy} on every bus of the
 * application, {@link FakeAdapter}s registered by name, and a short shutdown timeout.
 * Every compiled application gets its own clock, spy, fakes and buses.
 * `moduleRef.close()` drains and closes everything (no open handles).
 *
 * Providers: everything `JidoSignalModule` provides, global as there (buses by
 * `getSignalBusToken(name)`, `SignalBusRegistry`, `Dispatcher`, `SignalFactory`, …), plus
 * `SignalSpy`, `FakeAdapters` and `TestClock`, exported to the importing module (the
 * testing module is not global; `moduleRef.get()` finds them anywhere).
 *
 * @example
 * const moduleRef = await Test.createTestingModule({
 *   imports: [JidoSignalTestingModule.forRoot({ fakeAdapters: ['mailer'] })],
 *   providers: [OrderService, Billing],
 * }).compile();
 * await moduleRef.init();
 * await moduleRef.get(OrderService).place({ sku: 'book' });
 * await moduleRef.get(SignalSpy).waitFor('order.placed', { on: 'dispatched' });
 * await moduleRef.close();
 */
@Module({})
export class JidoSignalTestingModule {
  /** Configure the testing module (see {@link JidoSignalTestingModuleOptions}). */
  static forRoot(options: JidoSignalTestingModuleOptions = {}): DynamicModule {
    const buses = options.buses ?? [{ name: 'default' }];
    const fakeNames = options.fakeAdapters ?? [];
    // Factories, not values: an application compiled twice from one definition still gets
    // a fresh clock and fresh fakes each time.
    const core: DynamicModule = {
      module: JidoSignalTestingCoreModule,
      providers: [
        { provide: TestClock, useFactory: () => new TestClock(options.clock) },
        { provide: FakeAdapters, useFactory: () => new FakeAdapters(fakeNames) },
      ],
      exports: [TestClock, FakeAdapters],
    };
    const root = JidoSignalModule.forRootAsync({
      imports: [core],
      inject: [TestClock, FakeAdapters],
      busNames: buses.map((b) => b.name),
      useFactory: (clock: TestClock, fakes: FakeAdapters): JidoSignalModuleOptions => ({
        buses: buses.map((bus) =>
          bus.store !== undefined || options.store === undefined
            ? bus
            : { ...bus, store: options.store(bus.name) },
        ),
        adapters: [...(options.adapters ?? []), ...fakes.list()],
        middleware: options.middleware ?? [],
        dispatcher: options.dispatcher ?? {},
        signals: { source: '/test', ...options.signals, ids: clock.ids() },
        registerHandlers: options.registerHandlers ?? true,
        ...(options.defaultBus === undefined ? {} : { defaultBus: options.defaultBus }),
        shutdownTimeout: options.shutdownTimeout ?? 1000,
      }),
    });
    return {
      module: JidoSignalTestingModule,
      imports: [core, root],
      providers: [
        {
          provide: SignalSpy,
          // Only this application's buses, including forFeature buses added later — not
          // another application's bus of the same name.
          useFactory: (registry: SignalBusRegistry) =>
            new SignalSpy(
              (name, instance) =>
                registry.has(name) && (instance === undefined || registry.get(name) === instance),
            ),
          inject: [SignalBusRegistry],
        },
        JidoSignalTestingLifecycle,
      ],
      exports: [core, root, SignalSpy],
    };
  }
}
