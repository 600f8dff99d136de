import type { JidoSignalError } from '../errors/jido-signal.error.js';
import type { Signal } from '../signal/signal.js';

/** Per-delivery context handed to {@link DispatchAdapter.deliver}. */
export interface DeliveryContext {
  /**
   * Aborted when the delivery is cancelled or times out; adapters must stop work on abort.
   * The `Dispatcher` creates it on first access (an `AbortSignal` costs microseconds), so
   * hot paths should prefer `aborted` / `onAbort` when the context has them.
   */
  readonly signal: AbortSignal;
  /**
   * Whether the delivery was cancelled or timed out — `signal.aborted` without creating the
   * `AbortSignal`. Contexts from the `Dispatcher` and from a `DeliveryController` have it; a
   * hand-built context may leave it out (read `signal.aborted` then).
   * @default undefined
   */
  readonly aborted?: boolean;
  /**
   * The abort reason once `aborted` — `signal.reason` without creating the `AbortSignal`.
   * @default undefined
   */
  readonly reason?: unknown;
  /**
   * Call `listener` with the abort reason when the delivery aborts — the cheap form of
   * `signal.addEventListener('abort', …, { once: true })`: no `AbortController`, signal or
   * event is created. It runs synchronously inside the abort, before `signal`'s listeners,
   * and is not called when the delivery is already aborted (check `aborted` first).
   * Present on contexts from the `Dispatcher` and a `DeliveryController`.
   * @returns a function that removes the listener
   * @default undefined (listen on `signal` instead)
   */
  onAbort?(listener: (reason: unknown) => void): () => void;
  /** 1 for the first try, incremented by retries. */
  readonly attempt: number;
  /**
   * Set when this delivery is an `onFailure` fallback: why the primary target failed.
   * @default undefined
   */
  readonly failure?: DeliveryFailure;
}

/** Why the primary target of an `onFailure` fallback failed. */
export interface DeliveryFailure {
  /** Adapter name of the failed primary target. */
  readonly adapter: string;
  /** Secret-free description of the failed primary target. */
  readonly target: string;
  /** The primary target's error. */
  readonly error: JidoSignalError;
}

/**
 * What {@link DispatchAdapter.deliverBatch} returns: nothing (every signal delivered) or one
 * entry per signal, in order — `undefined` when delivered, else why it failed.
 */
export type BatchDeliveryOutcome = void | readonly unknown[];

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
  /**
   * Check and normalize a config's options (the config without `adapter` and `onFailure`).
   * Called once per config object; the result is what `deliver` receives.
   * @throws DispatchConfigError naming the bad field
   */
  validateOptions(options: Readonly<Record<string, unknown>>): Options;
  /**
   * Deliver one signal. Return (or resolve) on success; throw or reject on failure. A
   * synchronous return keeps the dispatcher on its allocation-free fast path.
   */
  deliver(signal: Signal, options: Options, context: DeliveryContext): Promise<void> | void;
  /**
   * Deliver several signals in one go (one request, one publish), in order. Used by
   * `Dispatcher.dispatchMany` and by batched subscriptions; adapters without it get one
   * `deliver` call per signal.
   *
   * Return (or resolve) nothing when every signal was delivered; throw or reject when none
   * was (the error applies to each signal); or return one entry per signal, in order —
   * `undefined` for a delivered signal, the error (any value, wrapped into a typed error)
   * for a failed one.
   * @default undefined (per-signal delivery)
   */
  deliverBatch?(
    signals: readonly Signal[],
    options: Options,
    context: DeliveryContext,
  ): BatchDeliveryOutcome | Promise<BatchDeliveryOutcome>;
  /** Whether the target is usable now (reachable, alive, registered). */
  healthCheck?(options: Options): Promise<AdapterHealth> | AdapterHealth;
  /**
   * A secret-free description of the target for telemetry and errors (e.g. a URL without
   * credentials, query or fragment). Defaults to the adapter name.
   */
  describeTarget?(options: Options): string;
  /** Release owned resources (connection pools, timers). */
  close?(): Promise<void> | void;
}

/**
 * An adapter object written inline in a config, without a `name`
 * (`{ adapter: { validateOptions, deliver } }`): it is named after its class, or `'custom'`
 * for a plain object, in telemetry and errors (and registered under that name).
 */
export type UnnamedDispatchAdapter<Options = unknown> = Omit<DispatchAdapter<Options>, 'name'> & {
  /** @default the object's class name, or `'custom'` for a plain object */
  readonly name?: string;
};

/** A class whose instances are adapters (instantiated by the dispatcher without arguments). */
export type DispatchAdapterClass = new () => DispatchAdapter<unknown>;

/**
 * One dispatch target: the adapter (registered name, adapter object or class) plus its
 * options, e.g. `{ adapter: 'http', url: 'http://127.0.0.1:8080/hook' }`. Everything but
 * `adapter` and `onFailure` is handed to the adapter's `validateOptions`. A config is
 * validated once and the result cached per config object, so treat configs as immutable.
 */
export interface DispatchConfig {
  /** Registered adapter name, an adapter object or an adapter class. */
  readonly adapter:
    string | DispatchAdapter<unknown> | UnnamedDispatchAdapter | DispatchAdapterClass;
  /**
   * Fallback target(s) (dead-letter destinations) that receive the signal only when this
   * target fails; the failure is still reported.
   * @default undefined
   */
  readonly onFailure?: DispatchConfig | readonly DispatchConfig[];
  /** Adapter options. */
  readonly [option: string]: unknown;
}
