// The public option and result types of the `Dispatcher`: its construction options, the
// per-call options of `dispatch`/`dispatchAsync`/`dispatchBatch`, their results, and the
// extension attributes a fallback target's signal carries.
import type { DispatchFailure } from '../errors/dispatch.error.js';
import type { AdapterHealth, DispatchAdapter, DispatchAdapterClass } from './adapter.interface.js';
import type { BuiltInAdapterDependencies } from './adapters/index.js';

/**
 * Options of a {@link Dispatcher}: its adapters, concurrency and timeout, plus the
 * registries, logger, streams and connection pools the built-in adapters use
 * ({@link BuiltInAdapterDependencies}).
 */
export interface DispatcherOptions extends BuiltInAdapterDependencies {
  /**
   * Extra adapters (objects or classes), registered after the built-ins; one with a
   * built-in's name replaces it.
   * @default []
   */
  adapters?: Iterable<DispatchAdapter<unknown> | DispatchAdapterClass>;
  /** Register the built-in adapters (`pid`, `named`, `pubsub`, `bus`, `logger`, `console`, `noop`, …). @default true */
  builtInAdapters?: boolean;
  /** Most deliveries of one list or batch dispatch running at the same time. @default 32 */
  maxConcurrency?: number;
  /**
   * Longest a single-target delivery may take, in milliseconds, before it fails with a
   * `DispatchTimeoutError` and its `AbortSignal` is aborted; `0` disables the limit.
   * Adapters may enforce shorter limits of their own (`pid` sync: 5 s).
   * @default 30_000
   */
  timeout?: number;
}

/** Per-call options of {@link Dispatcher.dispatch} and {@link Dispatcher.dispatchAsync}. */
export interface DispatchCallOptions {
  /**
   * Cancels the call when aborted: in-flight deliveries see their `AbortSignal` abort and
   * the call rejects with code `'cancelled'`.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * Limit for the whole call in milliseconds; on expiry in-flight deliveries are aborted
   * and the call rejects with a `DispatchTimeoutError`. `0` = none.
   * @default 0
   */
  timeout?: number;
}

/** Options of {@link Dispatcher.dispatchBatch}. */
export interface DispatchBatchOptions extends DispatchCallOptions {
  /** Most deliveries running at the same time. @default the dispatcher's `maxConcurrency` */
  maxConcurrency?: number;
}

/** Outcome of {@link Dispatcher.dispatchBatch}. */
export interface DispatchBatchResult {
  /** How many targets received the signal. */
  readonly delivered: number;
  /** Every failed target (invalid configs included), in index order. */
  readonly failed: readonly DispatchFailure[];
}

/** A running {@link Dispatcher.dispatchAsync} call. */
export interface DispatchHandle {
  /**
   * Resolves when every target received the signal; rejects like `dispatch`, with code
   * `'cancelled'` after {@link DispatchHandle.cancel} or a `DispatchTimeoutError` after the
   * call's `timeout`. Never reported as an unhandled rejection when left unawaited.
   */
  readonly result: Promise<void>;
  /** Abort in-flight deliveries (their `AbortSignal`s abort) and reject `result` with `'cancelled'`. No-op once settled. */
  cancel(reason?: unknown): void;
}

/** A validated config, as returned by {@link Dispatcher.validate}. */
export interface ValidatedDispatchConfig {
  /** Adapter name. */
  readonly adapter: string;
  /** Secret-free target description. */
  readonly target: string;
  /** The adapter's normalized options. */
  readonly options: unknown;
  /** Validated `onFailure` fallbacks. */
  readonly onFailure: readonly ValidatedDispatchConfig[];
}

/** Result of {@link Dispatcher.healthCheck}. */
export interface DispatchHealth extends AdapterHealth {
  /** Adapter name. */
  readonly adapter: string;
  /** Secret-free target description. */
  readonly target: string;
  /** How long the check took. */
  readonly durationMs: number;
}

/** Extension attributes set on the signal an `onFailure` fallback receives. */
export const FAILURE_EXTENSIONS = {
  /** Error code of the failed primary target (`'timeout'`, `'status_error'`, …). */
  code: 'dispatcherror',
  /** Adapter name of the failed primary target. */
  adapter: 'dispatchadapter',
  /** Secret-free description of the failed primary target. */
  target: 'dispatchtarget',
} as const;
