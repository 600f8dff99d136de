import type { DispatchAdapter } from '../adapter.interface.js';
import type { BusRegistry } from '../bus-registry.interface.js';
import type { PubSubRegistry } from '../pubsub.js';
import type { ReceiverRegistry } from '../receiver-registry.js';
import { BusAdapter } from './bus.adapter.js';
import { ConsoleAdapter, type ConsoleStreams } from './console.adapter.js';
import { HttpAdapter } from './http.adapter.js';
import type { HttpAdapterOptions } from './http-options.js';
import { LoggerAdapter, type DispatchLogger } from './logger.adapter.js';
import { NamedAdapter } from './named.adapter.js';
import { NoopAdapter } from './noop.adapter.js';
import { PidAdapter } from './pid.adapter.js';
import { PubSubAdapter } from './pubsub.adapter.js';
import { WebhookAdapter } from './webhook.adapter.js';

/** What the built-in adapters look names up in, and where they write. */
export interface BuiltInAdapterDependencies {
  /** Receivers of the `named` adapter. @default a new, empty `ReceiverRegistry` */
  receivers?: ReceiverRegistry;
  /** Instances of the `pubsub` adapter. @default a registry with an `InProcessPubSub` as `'default'` */
  pubsubs?: PubSubRegistry;
  /** Buses of the `bus` adapter. @default a registry that knows no bus */
  buses?: BusRegistry;
  /** Logger of the `logger` adapter. @default `consoleLogger` */
  logger?: DispatchLogger;
  /** Streams of the `console` adapter. @default `process.stdout` / `process.stderr` */
  consoleStreams?: ConsoleStreams;
  /**
   * Connection pool (and circuit breaker) of the `http` adapter: `connections`,
   * `keepAliveTimeout`, `pipelining`, a `dispatcher` of your own, a shared `circuitBreaker`.
   * @default {} (an owned undici `Agent`: 64 connections per origin, 4 s keep-alive, no pipelining)
   */
  http?: HttpAdapterOptions;
  /**
   * Connection pool (and circuit breaker) of the `webhook` adapter; same options as `http`.
   * @default {} (an owned undici `Agent`: 64 connections per origin, 4 s keep-alive, no pipelining)
   */
  webhook?: HttpAdapterOptions;
}

/**
 * One instance of every built-in adapter, in registration order.
 * @throws DispatchConfigError for out-of-range `http` / `webhook` pool options
 */
export function createBuiltInAdapters(
  deps: BuiltInAdapterDependencies = {},
): DispatchAdapter<unknown>[] {
  return [
    new PidAdapter(),
    new NamedAdapter(deps.receivers),
    new PubSubAdapter(deps.pubsubs),
    new BusAdapter(deps.buses),
    new LoggerAdapter(deps.logger),
    new ConsoleAdapter(deps.consoleStreams),
    new NoopAdapter(),
    new HttpAdapter(deps.http),
    new WebhookAdapter(deps.webhook),
  ];
}
