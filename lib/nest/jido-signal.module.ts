import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SignalBusRegistry } from '../core/bus/bus-registry.js';
import { Dispatcher } from '../core/dispatch/dispatcher.js';
import { BusOptionError } from '../core/errors/bus.error.js';
import { SignalFactory } from '../core/signal/signal.js';
import { injectedBusNames } from './decorators/inject-signal-bus.decorator.js';
import {
  DEFAULT_SIGNAL_BUS,
  DEFAULT_SIGNAL_BUS_TOKEN,
  JIDO_SIGNAL_RUNTIME,
  getSignalBusToken,
} from './jido-signal.constants.js';
import { JidoSignalMessages } from './jido-signal.messages.js';
import {
  JIDO_SIGNAL_MODULE_OPTIONS,
  JidoSignalConfigurableModule,
  type JidoSignalModuleAsyncOptions,
  type JidoSignalModuleRootOptions,
} from './jido-signal.module-definition.js';
import type {
  JidoSignalFeatureOptions,
  JidoSignalModuleOptions,
} from './jido-signal-options.interface.js';
import { JidoSignalRuntime } from './jido-signal.runtime.js';
import { SignalMetadataAccessor } from './signal-metadata.accessor.js';
import { SignalHandlerRegistry } from './signal-handler.registry.js';
import { SignalProvidersLoader } from './signal-providers.loader.js';
import { SignalReadinessWatcher } from './signal-readiness.watcher.js';
import { SignalSubscribersLoader } from './signal-subscribers.loader.js';
import { SignalLifecycle } from './signal.lifecycle.js';

/** Bus names that get a token with `forRootAsync`. @internal */
const JIDO_SIGNAL_BUS_NAMES = Symbol('JIDO_SIGNAL_BUS_NAMES');

/**
 * @param defaultName - the default bus's name when known statically (`forRoot`): the default
 *   token is then an alias of its named token, so overriding one overrides both
 */
function busTokenProviders(names: readonly string[], defaultName?: string): Provider[] {
  const named: Provider[] = [...new Set(names)].map((name) => ({
    provide: getSignalBusToken(name),
    // `null` for a bus that does not exist: the lifecycle then fails the bootstrap with a
    // message naming the injecting class and `busNames` (see `injectedBusNames`).
    useFactory: (runtime: JidoSignalRuntime) => runtime.registry.get(name) ?? null,
    inject: [JIDO_SIGNAL_RUNTIME],
  }));
  const defaultToken: Provider =
    defaultName !== undefined && names.includes(defaultName)
      ? { provide: DEFAULT_SIGNAL_BUS_TOKEN, useExisting: getSignalBusToken(defaultName) }
      : {
          provide: DEFAULT_SIGNAL_BUS_TOKEN,
          useFactory: (runtime: JidoSignalRuntime) =>
            runtime.registry.get(runtime.defaultBus) ?? null,
          inject: [JIDO_SIGNAL_RUNTIME],
        };
  return [...named, defaultToken];
}

/**
 * @param created - bus names created with defaults when the options do not configure them
 * @param tokens - bus names that get an injection token
 */
function rootDefinition(
  definition: DynamicModule,
  created: readonly string[],
  tokens: readonly string[] = created,
  defaultName?: string,
): DynamicModule {
  const providers = busTokenProviders(tokens, defaultName);
  return {
    ...definition,
    providers: [
      ...(definition.providers ?? []),
      { provide: JIDO_SIGNAL_BUS_NAMES, useValue: created },
      ...providers,
    ],
    exports: [
      ...(definition.exports ?? []),
      ...providers.map((p) => (p as { provide: string }).provide),
    ],
  };
}

/**
 * Feature module of `JidoSignalModule.forFeature` (its own class, so the root providers
 * are not instantiated twice). @internal
 */
@Module({})
export class JidoSignalFeatureModule {}

/**
 * The NestJS module: buses, a shared `Dispatcher`, a `SignalBusRegistry`, a
 * `SignalFactory`, `@OnSignal` handler discovery with Nest enhancers, DI-injected adapters
 * and middleware, readiness and graceful shutdown. Every application gets its own instances
 * (no static state).
 *
 * @example
 * @Module({ imports: [JidoSignalModule.forRoot({ buses: [{ name: 'default' }, { name: 'audit' }] })] })
 * export class AppModule {}
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    SignalReadinessWatcher,
    {
      provide: JIDO_SIGNAL_RUNTIME,
      useFactory: async (
        options: JidoSignalModuleOptions,
        readiness: SignalReadinessWatcher,
        names: readonly string[] | undefined,
      ) => {
        const runtime = new JidoSignalRuntime(options ?? {}, readiness);
        await runtime.openStore();
        try {
          runtime.createRootBuses(names ?? []);
        } catch (error) {
          await runtime.close();
          throw error;
        }
        return runtime;
      },
      inject: [
        JIDO_SIGNAL_MODULE_OPTIONS,
        SignalReadinessWatcher,
        { token: JIDO_SIGNAL_BUS_NAMES, optional: true },
      ],
    },
    {
      provide: SignalBusRegistry,
      useFactory: (runtime: JidoSignalRuntime) => runtime.registry,
      inject: [JIDO_SIGNAL_RUNTIME],
    },
    {
      provide: Dispatcher,
      useFactory: (runtime: JidoSignalRuntime) => runtime.dispatcher,
      inject: [JIDO_SIGNAL_RUNTIME],
    },
    {
      provide: SignalFactory,
      useFactory: (runtime: JidoSignalRuntime) => runtime.factory,
      inject: [JIDO_SIGNAL_RUNTIME],
    },
    SignalMetadataAccessor,
    SignalHandlerRegistry,
    SignalProvidersLoader,
    SignalSubscribersLoader,
    SignalLifecycle,
  ],
  exports: [
    JIDO_SIGNAL_RUNTIME,
    SignalReadinessWatcher,
    SignalBusRegistry,
    Dispatcher,
    SignalFactory,
    SignalHandlerRegistry,
  ],
})
export class JidoSignalModule extends JidoSignalConfigurableModule {
  /**
   * Configure the module synchronously. Each bus in `buses` (default: one named
   * `'default'`) is injectable with `@InjectSignalBus(name)`.
   */
  static override forRoot(options: JidoSignalModuleRootOptions = {}): DynamicModule {
    const buses = options.buses ?? [{ name: DEFAULT_SIGNAL_BUS }];
    if (!Array.isArray(buses)) {
      throw new BusOptionError(
        '(module)',
        'buses',
        JidoSignalMessages.invalidBuses('must be an array'),
      );
    }
    const names = buses.map((b: { name: string }) => b.name);
    return rootDefinition(
      super.forRoot(options),
      names,
      names,
      options.defaultBus ?? DEFAULT_SIGNAL_BUS,
    );
  }

  /**
   * Configure the module from a factory, class or existing provider (e.g. a config
   * service). List the buses to inject by token in `busNames` (default `['default']` plus
   * every name used with `@InjectSignalBus(name)`).
   */
  static override forRootAsync(options: JidoSignalModuleAsyncOptions): DynamicModule {
    if (options.busNames !== undefined) {
      return rootDefinition(super.forRootAsync(options), options.busNames);
    }
    // Without busNames, every name used with @InjectSignalBus gets a token too (resolved to
    // the factory's bus, or reported clearly at bootstrap when the factory has none).
    return rootDefinition(
      super.forRootAsync(options),
      [DEFAULT_SIGNAL_BUS],
      [DEFAULT_SIGNAL_BUS, ...injectedBusNames],
    );
  }

  /**
   * Add named buses to the application's registry (each injectable by its token). Needs
   * `forRoot`/`forRootAsync` in the application, global (the default) or imported.
   */
  static forFeature(options: JidoSignalFeatureOptions): DynamicModule {
    const providers: Provider[] = options.buses.map((config) => ({
      provide: getSignalBusToken(config.name),
      useFactory: (runtime: JidoSignalRuntime | undefined) => {
        if (runtime === undefined) {
          throw new BusOptionError(
            config.name,
            'forFeature',
            JidoSignalMessages.featureWithoutRoot(),
          );
        }
        return runtime.createBus(config);
      },
      inject: [{ token: JIDO_SIGNAL_RUNTIME, optional: true }],
    }));
    return {
      module: JidoSignalFeatureModule,
      providers,
      exports: options.buses.map((config) => getSignalBusToken(config.name)),
    };
  }
}
