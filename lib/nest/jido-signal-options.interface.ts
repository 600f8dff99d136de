import type { OpenTelemetryOptions } from '../core/telemetry/otel/options.js';
import type { DispatchAdapter, DispatchAdapterClass } from '../core/dispatch/adapter.interface.js';
import type { DispatcherOptions } from '../core/dispatch/dispatcher-options.js';
import type { BusMiddleware } from '../core/bus/middleware.interface.js';
import type { PersistentSubscribeOptions } from '../core/bus/persistent/options.js';
import type { HandlerErrorMode, SignalBusOptions } from '../core/bus/signal-bus.js';
import type { SignalFactoryOptions } from '../core/signal/signal.js';
import type { JetStreamStoreSettings } from '../core/store/jetstream/options.js';
import type { RedisStoreSettings } from '../core/store/redis/options.js';
import type { SignalStore } from '../core/store/signal-store.interface.js';

/** The embedded in-memory store (one per bus). */
export interface MemoryStoreConfig {
  type: 'memory';
}

/**
 * NATS JetStream: every bus of the module on one shared JetStream store, connected by the
 * module (needs the optional peers `@nats-io/transport-node` and `@nats-io/jetstream`). To
 * reuse an open NATS connection, pass a store object instead:
 * `store: await JetStreamStore.connect({ connection })` from `nestjs-jido-signal/jetstream`.
 */
export interface JetStreamStoreConfig extends JetStreamStoreSettings {
  type: 'jetstream';
}

/**
 * Redis Streams: every bus of the module on one shared Redis store, connected by the module
 * (needs the optional peer `ioredis`). To reuse an open `ioredis` client, pass a store object
 * instead: `store: await RedisStore.connect({ client })` from `nestjs-jido-signal/redis`.
 */
export interface RedisStoreConfig extends RedisStoreSettings {
  type: 'redis';
}

/**
 * The module's store: a config the module opens on start and closes on shutdown, or a
 * store object you own (the module does not close it).
 */
export type JidoSignalStoreOption =
  MemoryStoreConfig | JetStreamStoreConfig | RedisStoreConfig | SignalStore;

/**
 * One bus of the module: the `SignalBus` options without those the module supplies
 * (`dispatcher`, `buses`). Buses share the module's `Dispatcher`.
 */
export interface SignalBusConfig extends Omit<SignalBusOptions, 'dispatcher' | 'buses'> {
  /** Name of the bus; its token is `getSignalBusToken(name)`. Required. */
  name: string;
}

/** Dispatcher defaults of the module (the registries are supplied by the module). */
export type JidoSignalDispatcherOptions = Omit<
  DispatcherOptions,
  'adapters' | 'buses' | 'receivers'
>;

/** Options of `JidoSignalModule.forRoot` / the factory result of `forRootAsync`. */
export interface JidoSignalModuleOptions {
  /**
   * The buses of the application. Every bus gets the module's `Dispatcher` and middleware.
   * With `forRootAsync`, the buses to inject by token must also be listed in `busNames`.
   * @default [{ name: 'default' }]
   */
  buses?: readonly SignalBusConfig[];
  /**
   * Bus of every `@OnSignal` without a `bus` option and of `@InjectSignalBus()` without a
   * name. Must be one of `buses` (not a `forFeature` bus).
   * @default 'default'
   */
  defaultBus?: string;
  /**
   * Store of every bus that has no `store` of its own. `{ type: 'jetstream', servers }`
   * (NATS JetStream) or `{ type: 'redis', url }` (Redis Streams) connects before the module
   * finishes initialising, so several app instances share the buses (fan-out, competing
   * persistent subscriptions, shared DLQ).
   * @default { type: 'memory' } (each bus its own in-memory store)
   */
  store?: JidoSignalStoreOption;
  /**
   * Options of the module's `Dispatcher` (`timeout`, `maxConcurrency`, `http`, `webhook`,
   * `logger`, `pubsubs`, …).
   * @default {}
   */
  dispatcher?: JidoSignalDispatcherOptions;
  /**
   * Extra dispatch adapters (objects or classes instantiated without arguments). For
   * adapters with dependencies use an `@SignalAdapter(name)` provider instead.
   * @default []
   */
  adapters?: readonly (DispatchAdapter<unknown> | DispatchAdapterClass)[];
  /**
   * Middleware of every bus, run before each bus's own `middleware` and before
   * `@SignalMiddleware` providers.
   * @default []
   */
  middleware?: readonly BusMiddleware[];
  /**
   * Options of the application's `SignalFactory` provider (default `source`, extensions,
   * size limit). The module does not change the process-wide factory behind `createSignal`.
   * @default {} (source '/app')
   */
  signals?: SignalFactoryOptions;
  /**
   * Discover `@OnSignal` handlers, `@SignalAdapter` and `@SignalMiddleware` providers.
   * `false` gives an API-only instance (buses, dispatcher, registry, factory).
   * @default true
   */
  registerHandlers?: boolean;
  /**
   * Longest the shutdown waits for in-flight deliveries and queued publishes of each bus,
   * in ms, before it closes anyway.
   * @default 10_000
   */
  shutdownTimeout?: number;
  /**
   * Default `handlerErrors` of every bus without its own: with `'reject'`, `publish`
   * rejects with a `PublishHandlersError` when an ordinary handler failed on the published
   * signals — including handlers with `onError: 'log'`, which still count as delivered.
   * Override per bus (`buses[].handlerErrors`) or per call
   * (`bus.publish(signal, { handlerErrors })`).
   * @default 'report' (publish resolves; failures are logged and reported on `errors$`)
   */
  handlerErrors?: HandlerErrorMode;
  /**
   * OpenTelemetry switches (spans, metrics, attribute cardinality cap). The instrumentation
   * runs whenever `@opentelemetry/api` has a tracer or meter provider registered; this turns
   * parts of it off. The switches are process-wide (see `configureOpenTelemetry` in
   * `nestjs-jido-signal/telemetry`).
   * @default undefined (traces and metrics on, at most 100 values per metric attribute)
   */
  telemetry?: OpenTelemetryOptions;
}

/** Extra options of `forRoot` / `forRootAsync` that shape the module definition itself. */
export interface JidoSignalModuleExtras {
  /** Register the module globally (its providers are injectable everywhere). @default true */
  isGlobal?: boolean;
  /**
   * Buses that get an injection token (`getSignalBusToken(name)`) with `forRootAsync`,
   * where the bus list is only known at runtime. A listed bus the factory does not
   * configure is created with default options. Ignored by `forRoot` (it uses `buses`).
   * Without it, the buses named in `@InjectSignalBus(name)` decorators also get a token (a
   * bus the factory does not configure then fails the bootstrap with a message naming
   * `busNames`).
   * @default ['default'] plus the names used with `@InjectSignalBus`
   */
  busNames?: readonly string[];
}

/** Options of `JidoSignalModule.forFeature`. */
export interface JidoSignalFeatureOptions {
  /** Buses to add to the application's registry, each injectable by its token. Required. */
  buses: readonly SignalBusConfig[];
}

/**
 * Persistent options of `@OnSignal({ persistent })`: the bus's persistent subscription
 * options without `persistent`, `dispatch` and `priority` (set by the decorator).
 */
export type OnSignalPersistentOptions = Omit<
  PersistentSubscribeOptions,
  'persistent' | 'dispatch' | 'priority' | 'autoAck'
>;

/** What a signal handler does with an error (after logging it). */
export type SignalHandlerErrorMode = 'log' | 'rethrow';

/** Options of `@OnSignal`. */
export interface OnSignalOptions {
  /** Bus to subscribe on. @default the module's `defaultBus` ('default' unless set) */
  bus?: string;
  /** Integer −100..100; higher runs first. @default 0 */
  priority?: number;
  /**
   * Either way the error is logged (with its stack) and reported on the bus's `errors$` as a
   * `SubscriberError`.
   * `'log'`: the delivery counts as successful (`delivered` in `stats()`).
   * `'rethrow'`: the delivery fails — counted as `failed` in `stats()`. Persistent handlers
   * always rethrow (a failure nacks).
   * @default 'log'
   */
  onError?: SignalHandlerErrorMode;
  /**
   * Make the subscription persistent (at-least-once, store-backed): a handler that
   * returns/resolves acks the signal, one that throws is retried with backoff and
   * dead-lettered after `maxAttempts`. One decorator is one durable subscription, over all
   * its patterns (a signal matching several is delivered once). `subscriptionId` defaults
   * to `ClassName.methodName` (`#2`, `#3`… for further persistent decorators on the same
   * method and bus, in source order); the stored state (checkpoint, DLQ) is keyed by it, so
   * pin it (`subscriptionId: 'settlement'`) before renaming the class or method — the
   * module warns at bootstrap about every derived id. Not available on request-scoped
   * providers.
   * @default undefined (an ordinary subscription)
   */
  persistent?: true | OnSignalPersistentOptions;
}

/** One `@OnSignal` application, as stored in metadata. */
export interface OnSignalMetadata {
  /** Patterns (one subscription each; one subscription over all of them when persistent). */
  readonly patterns: readonly string[];
  /** Options. */
  readonly options: Readonly<OnSignalOptions>;
}

/** Options of `@SignalMiddleware`. */
export interface SignalMiddlewareOptions {
  /** Bus to add the middleware to. @default every bus of the application */
  bus?: string;
  /** Lower runs first among `@SignalMiddleware` providers (ties: discovery order). @default 0 */
  order?: number;
}
