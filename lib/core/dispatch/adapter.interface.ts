import type { Signal } from '../signal/signal.js';

/** Per-delivery context handed to {@link DispatchAdapter.deliver}. */
export interface DeliveryContext {
  /** Aborted when the delivery is cancelled or times out; adapters must stop work on abort. */
  readonly signal: AbortSignal;
  /** 1 for the first try, incremented by retries. */
  readonly attempt: number;
}

/** Result of an adapter health check. */
export interface AdapterHealth {
  /** Whether the target is reachable and usable. */
  readonly healthy: boolean;
  /** Secret-free details (e.g. status code, circuit state). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * A delivery mechanism. `validateOptions` normalizes the user's options once (throwing a
 * `DispatchConfigError` naming the field); `deliver` sends one signal and resolves on
 * success or throws (any error is wrapped into a `DispatchError`).
 */
export interface DispatchAdapter<Options = Record<string, unknown>> {
  /** Name used in configs (`{ adapter: 'http' }`) and errors. */
  readonly name: string;
  /** @throws DispatchConfigError */
  validateOptions(options: Readonly<Record<string, unknown>>): Options;
  deliver(signal: Signal, options: Options, context: DeliveryContext): Promise<void> | void;
  healthCheck?(options: Options): Promise<AdapterHealth> | AdapterHealth;
  /**
   * A secret-free description of the target for telemetry and errors (e.g. a URL without
   * credentials, query or fragment). Defaults to the adapter name.
   */
  describeTarget?(options: Options): string;
  /** Release owned resources (connection pools, timers). */
  close?(): Promise<void> | void;
}

/** A class whose instances are adapters (instantiated by the dispatcher without arguments). */
export type DispatchAdapterClass = new () => DispatchAdapter<unknown>;

/**
 * One dispatch target: the adapter (registered name, adapter object or class) plus its
 * options, e.g. `{ adapter: 'http', url: 'http://127.0.0.1:8080/hook' }`.
 */
export interface DispatchConfig {
  readonly adapter: string | DispatchAdapter<unknown> | DispatchAdapterClass;
  readonly [option: string]: unknown;
}
