import {
  DispatchAggregateError,
  DispatchConfigError,
  DispatchError,
  DispatchTimeoutError,
  toDispatchConfigError,
  toDispatchError,
  type DispatchFailure,
} from '../errors/dispatch.error.js';
import type { JidoSignalError } from '../errors/jido-signal.error.js';
import { SignalValidationError } from '../errors/validation.error.js';
import { Signal } from '../signal/signal.js';
import { emit } from '../telemetry/telemetry.js';
import { AdapterRegistry } from './adapter-registry.js';
import type {
  AdapterHealth,
  DeliveryContext,
  DeliveryFailure,
  DispatchAdapter,
  DispatchAdapterClass,
  DispatchConfig,
} from './adapter.interface.js';
import { createBuiltInAdapters } from './adapters/index.js';
import type { ConsoleStreams } from './adapters/console.adapter.js';
import type { HttpAdapterOptions } from './adapters/http-options.js';
import type { DispatchLogger } from './adapters/logger.adapter.js';
import { createDefaultPubSubRegistry } from './adapters/pubsub.adapter.js';
import type { BusRegistry } from './bus-registry.interface.js';
import { DeadlineList } from './deadlines.js';
import { DeliveryController } from './delivery-controller.js';
import {
  dispatchEndChannel,
  dispatchErrorChannel,
  dispatchStartChannel,
  type DispatchTelemetryMessage,
} from './dispatch-telemetry.js';
import { InProcessPubSub, type PubSub, type PubSubRegistry } from './pubsub.js';
import { ReceiverRegistry } from './receiver-registry.js';
import {
  dispatchMany,
  type DispatchManyHost,
  type DispatchManyOptions,
  type DispatchManyResult,
} from './batching/dispatch-many.js';
import { isThenable } from '../util/is-thenable.js';

/** Options of a {@link Dispatcher}. */
export interface DispatcherOptions {
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
  /** Receivers of the `named` adapter. @default a new `ReceiverRegistry` */
  receivers?: ReceiverRegistry;
  /** Pubsub instances of the `pubsub` adapter. @default a `Map` holding an `InProcessPubSub` as `'default'` */
  pubsubs?: PubSubRegistry;
  /** Buses of the `bus` adapter. @default a registry that knows no bus */
  buses?: BusRegistry;
  /** Logger of the `logger` adapter. @default `consoleLogger` */
  logger?: DispatchLogger;
  /** Streams of the `console` adapter. @default `process.stdout` / `process.stderr` */
  consoleStreams?: ConsoleStreams;
  /**
   * Connection pool (and circuit breaker) of the built-in `http` adapter, e.g.
   * `{ connections: 128, keepAliveTimeout: 10_000 }` or `{ dispatcher: proxyAgent }`.
   * @default {} (an owned undici `Agent`: 64 connections per origin, 4 s keep-alive, no pipelining)
   */
  http?: HttpAdapterOptions;
  /**
   * Connection pool (and circuit breaker) of the built-in `webhook` adapter.
   * @default {} (an owned undici `Agent`: 64 connections per origin, 4 s keep-alive, no pipelining)
   */
  webhook?: HttpAdapterOptions;
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

const DEFAULT_MAX_CONCURRENCY = 32;
const DEFAULT_TIMEOUT = 30_000;
const MAX_FALLBACK_DEPTH = 8;
const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => {};

type Outcome = JidoSignalError | undefined;

interface Resolved {
  readonly adapter: DispatchAdapter<unknown>;
  readonly name: string;
  readonly options: unknown;
  readonly target: string;
  readonly fallbacks: readonly Resolved[] | undefined;
  readonly version: number;
}

/** Cancellation and timeout shared by the deliveries of one call. */
class Scope {
  reason: JidoSignalError | undefined;
  settled = false;
  readonly live = new Set<Delivery>();
  #listener: ((reason: JidoSignalError) => void) | undefined;

  onAbort(listener: (reason: JidoSignalError) => void): void {
    this.#listener = listener;
  }

  abort(reason: JidoSignalError): void {
    if (this.reason !== undefined || this.settled) return;
    this.reason = reason;
    for (const delivery of this.live) delivery.abort(reason);
    this.live.clear();
    this.#listener?.(reason);
  }
}

/**
 * The context one delivery gets. Its `AbortSignal` is created on first access only:
 * building one costs microseconds, and most adapters never look at it (the built-in `http`
 * and `webhook` adapters use `aborted` / `onAbort`).
 */
class Delivery extends DeliveryController implements DeliveryContext {
  /** Settles the delivery's promise; set while it is in flight. */
  settle: ((outcome: Outcome) => void) | undefined;

  constructor(failure: DeliveryFailure | undefined) {
    super(failure === undefined ? undefined : { failure });
  }

  override abort(reason: JidoSignalError): void {
    if (this.aborted) return;
    super.abort(reason);
    this.settle?.(reason);
  }
}

function cancelledError(adapter: string, reason: unknown): DispatchError {
  const text =
    reason instanceof Error
      ? reason.message
      : typeof reason === 'string' || typeof reason === 'number'
        ? String(reason)
        : undefined;
  const why = text === undefined ? '' : `: ${text}`;
  return new DispatchError('cancelled', adapter, `Dispatch was cancelled${why}`, { cause: reason });
}

function positiveInteger(
  field: string,
  value: number | undefined,
  fallback: number,
  allowZero: boolean,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new DispatchConfigError(
      'dispatcher',
      field,
      `"${field}" must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Runs `run(0..n-1)` with at most `limit` in flight. `run` never rejects; a synchronous
 * return keeps the loop going without a promise, so all-synchronous work finishes
 * synchronously (returns `undefined`).
 */
function runPool(
  n: number,
  limit: number,
  run: (index: number) => void | Promise<void>,
): void | Promise<void> {
  let next = 0;
  let active = 0;
  let done: (() => void) | undefined;
  const onSettled = (): void => {
    active--;
    pump();
  };
  const pump = (): void => {
    while (next < n && active < limit) {
      const pending = run(next++);
      if (pending !== undefined) {
        active++;
        void pending.then(onSettled);
      }
    }
    if (active === 0 && next >= n) done?.();
  };
  pump();
  if (active === 0 && next >= n) return;
  return new Promise<void>((resolve) => {
    done = resolve;
  });
}

/**
 * Delivers signals through adapters: one config, a list (in parallel, bounded by
 * `maxConcurrency`, failures aggregated), a batch that reports instead of rejecting, or a
 * cancellable background call. Every adapter failure — sync throw, rejection, non-`Error`
 * value — becomes a typed error; nothing escapes as an unhandled rejection.
 *
 * @example
 * const dispatcher = new Dispatcher();
 * await dispatcher.dispatch(createSignal('order.created', { id: 1 }), [
 *   { adapter: 'logger', level: 'log' },
 *   { adapter: 'pid', target: (signal: Signal) => console.log(signal.type) },
 * ]);
 */
export class Dispatcher {
  /** Registered adapters; `register` here is picked up by later dispatches. */
  readonly adapters: AdapterRegistry;
  /** Receivers of the `named` adapter. */
  readonly receivers: ReceiverRegistry;
  /** Pubsub instances of the `pubsub` adapter. */
  readonly pubsubs: PubSubRegistry;
  /** Buses of the `bus` adapter. */
  readonly buses: BusRegistry | undefined;
  /** Default most-in-flight deliveries of list and batch dispatches. */
  readonly maxConcurrency: number;
  /** Per-delivery timeout in milliseconds (`0` = none). */
  readonly timeout: number;

  readonly #cache = new WeakMap<object, Resolved>();
  #closed = false;
  readonly #ownedPubSubs: Map<string, PubSub> | undefined;
  /** Per-delivery timeouts, sharing one timer (`undefined` when `timeout` is 0). */
  readonly #deadlines: DeadlineList | undefined;
  #many: DispatchManyHost | undefined;

  /**
   * @param options adapters, concurrency, timeout and the registries the built-in adapters use
   * @throws DispatchConfigError for an invalid `maxConcurrency` or `timeout`
   */
  constructor(options: DispatcherOptions = {}) {
    this.maxConcurrency = positiveInteger(
      'maxConcurrency',
      options.maxConcurrency,
      DEFAULT_MAX_CONCURRENCY,
      false,
    );
    this.timeout = positiveInteger('timeout', options.timeout, DEFAULT_TIMEOUT, true);
    this.#deadlines = this.timeout > 0 ? new DeadlineList(this.timeout) : undefined;
    this.receivers = options.receivers ?? new ReceiverRegistry();
    this.#ownedPubSubs = options.pubsubs === undefined ? createDefaultPubSubRegistry() : undefined;
    this.pubsubs = options.pubsubs ?? this.#ownedPubSubs!;
    this.buses = options.buses;
    const builtIns =
      options.builtInAdapters === false
        ? []
        : createBuiltInAdapters({
            receivers: this.receivers,
            pubsubs: this.pubsubs,
            buses: options.buses,
            logger: options.logger,
            consoleStreams: options.consoleStreams,
            http: options.http,
            webhook: options.webhook,
          });
    this.adapters = new AdapterRegistry([...builtIns, ...(options.adapters ?? [])]);
  }

  /**
   * Validate a config (or list) without delivering anything. The normalized options are
   * cached per config object, so later dispatches with the same object skip validation.
   * @throws DispatchConfigError for a single config; DispatchAggregateError listing every
   *   invalid index for a list
   */
  validate(config: DispatchConfig): ValidatedDispatchConfig;
  validate(configs: readonly DispatchConfig[]): ValidatedDispatchConfig[];
  validate(
    config: DispatchConfig | readonly DispatchConfig[],
  ): ValidatedDispatchConfig | ValidatedDispatchConfig[];
  validate(
    config: DispatchConfig | readonly DispatchConfig[],
  ): ValidatedDispatchConfig | ValidatedDispatchConfig[] {
    if (!Array.isArray(config)) return project(this.#resolve(config as DispatchConfig));
    const out: ValidatedDispatchConfig[] = [];
    const failures: DispatchFailure[] = [];
    (config as readonly DispatchConfig[]).forEach((c, index) => {
      try {
        out.push(project(this.#resolve(c)));
      } catch (error) {
        failures.push(configFailure(index, error));
      }
    });
    if (failures.length > 0) throw new DispatchAggregateError(failures, config.length);
    return out;
  }

  /**
   * Deliver `signal` to one target, or to a list of targets in parallel (at most
   * `maxConcurrency` at a time).
   * @returns resolves when every target received the signal. A single config rejects with
   *   its own error (`DispatchConfigError`, `DispatchError`, `DispatchTimeoutError`, …); a
   *   list rejects with one `DispatchAggregateError` listing each failed index, adapter and
   *   error — the other targets are still delivered. With `options.signal`/`timeout` the
   *   call rejects with `'cancelled'` / a `DispatchTimeoutError` when they fire.
   */
  dispatch(
    signal: Signal,
    config: DispatchConfig | readonly DispatchConfig[],
    options?: DispatchCallOptions,
  ): Promise<void> {
    try {
      this.#check(signal);
      if (options !== undefined && (options.signal !== undefined || (options.timeout ?? 0) > 0)) {
        return this.#scoped(new Scope(), config, options, true, (scope) =>
          this.#dispatchIn(signal, config, scope),
        );
      }
      return this.#dispatchIn(signal, config, undefined) ?? RESOLVED;
    } catch (error) {
      return Promise.reject(toDispatchError(error, 'dispatcher'));
    }
  }

  /**
   * Deliver to every config and report instead of rejecting: invalid configs and failed
   * deliveries are listed in `failed`, in index order. Rejects only when the dispatcher is
   * closed or `signal` is not a `Signal`. On cancel/timeout, unfinished targets are
   * reported with code `'cancelled'` / `'timeout'`.
   */
  dispatchBatch(
    signal: Signal,
    configs: readonly DispatchConfig[],
    options: DispatchBatchOptions = {},
  ): Promise<DispatchBatchResult> {
    try {
      this.#check(signal);
      if (!Array.isArray(configs)) {
        throw new DispatchConfigError(
          'unknown',
          'configs',
          'dispatchBatch expects an array of configs',
        );
      }
      const limit = positiveInteger(
        'maxConcurrency',
        options.maxConcurrency,
        this.maxConcurrency,
        false,
      );
      const scoped = options.signal !== undefined || (options.timeout ?? 0) > 0;
      const scope = scoped ? new Scope() : undefined;
      const failed: DispatchFailure[] = [];
      const run = this.#listRunner(signal, configs, scope, failed);
      const finish = (): DispatchBatchResult => ({
        delivered: configs.length - failed.length,
        failed: failed.length > 1 ? failed.sort((a, b) => a.index - b.index) : failed,
      });
      if (scope === undefined) {
        const pending = runPool(configs.length, limit, run);
        return pending === undefined ? Promise.resolve(finish()) : pending.then(finish);
      }
      // A cancelled batch still resolves: aborted deliveries settle at once and unstarted
      // ones fail with the abort reason, so the pool finishes right after the abort.
      return this.#scoped(scope, configs, options, false, () =>
        runPool(configs.length, limit, run),
      ).then(finish);
    } catch (error) {
      return Promise.reject(toDispatchError(error, 'dispatcher'));
    }
  }

  /**
   * Deliver a list of signals to one target or several, reporting each signal's outcome
   * instead of rejecting. Adapters with `deliverBatch` (`http` and `webhook`: one
   * `application/cloudevents-batch+json` request; `bus`: one publish; `pid`/`named`: the
   * list in order; custom adapters) get the signals in requests of at most `batchSize`;
   * other adapters get one delivery per signal. A failed batch request fails each of its
   * signals (after the adapter's own retries); `onFailure` fallbacks receive each failed
   * signal. Rejects only when the dispatcher is closed or for bad arguments.
   * @throws (rejects with) SignalValidationError when an element is not a `Signal`,
   *   DispatchConfigError for an empty config list or a bad option, DispatchError `'closed'`
   */
  dispatchMany(
    signals: readonly Signal[],
    config: DispatchConfig | readonly DispatchConfig[],
    options: DispatchManyOptions = {},
  ): Promise<DispatchManyResult> {
    try {
      if (this.#closed) throw new DispatchError('closed', 'dispatcher', 'The dispatcher is closed');
      return dispatchMany(this.#manyHost, signals, config, options);
    } catch (error) {
      return Promise.reject(toDispatchError(error, 'dispatcher'));
    }
  }

  get #manyHost(): DispatchManyHost {
    return (this.#many ??= {
      maxConcurrency: this.maxConcurrency,
      timeout: this.timeout,
      resolve: (config) => this.#resolve(config),
      dispatch: (signal, config, options) => this.dispatch(signal, config, options),
      fallBack: async (config, signal, failure) => {
        const fallbacks = this.#resolve(config).fallbacks;
        if (fallbacks === undefined) return;
        const fallbackSignal = withFailure(signal, failure);
        await Promise.all(
          fallbacks.map((f) =>
            Promise.resolve(this.#deliverTree(fallbackSignal, f, undefined, failure)),
          ),
        );
      },
    });
  }

  /**
   * Start a dispatch in the background and return a handle to await or cancel it.
   * Configs are validated first, synchronously: nothing starts when one is invalid.
   * @throws DispatchConfigError (single config) / DispatchAggregateError (list) when invalid
   */
  dispatchAsync(
    signal: Signal,
    config: DispatchConfig | readonly DispatchConfig[],
    options: DispatchCallOptions = {},
  ): DispatchHandle {
    this.#check(signal);
    this.validate(config);
    const scope = new Scope();
    const label = this.#label(config);
    const result = this.#scoped(scope, config, options, true, (s) =>
      this.#dispatchIn(signal, config, s),
    );
    result.catch(noop);
    return {
      result,
      cancel: (reason?: unknown) => scope.abort(cancelledError(label, reason)),
    };
  }

  /**
   * Ask the config's adapter whether its target is usable. Adapters without a
   * `healthCheck` report healthy with `details.checked: false`; a throwing check reports
   * unhealthy with the error code.
   * @throws DispatchConfigError when the config is invalid
   */
  async healthCheck(config: DispatchConfig): Promise<DispatchHealth> {
    const r = this.#resolve(config);
    const started = performance.now();
    const base = { adapter: r.name, target: r.target };
    if (r.adapter.healthCheck === undefined) {
      return {
        healthy: true,
        details: { checked: false },
        ...base,
        durationMs: performance.now() - started,
      };
    }
    try {
      const health = await this.#limit(Promise.resolve(r.adapter.healthCheck(r.options)), r);
      return { ...health, ...base, durationMs: performance.now() - started };
    } catch (error) {
      const e = toDispatchError(error, r.name);
      return {
        healthy: false,
        details: { code: e.code, message: e.message },
        ...base,
        durationMs: performance.now() - started,
      };
    }
  }

  /**
   * Close every adapter that owns resources (`close()`), including adapters instantiated
   * from classes met in configs, and the default in-process pubsub. Later dispatches
   * reject with code `'closed'`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const adapters = new Set([...this.adapters.list(), ...this.adapters.instantiated()]);
    const results = await Promise.allSettled(
      [...adapters].map(async (adapter) => adapter.close?.()),
    );
    for (const pubsub of this.#ownedPubSubs?.values() ?? []) {
      if (pubsub instanceof InProcessPubSub) pubsub.close();
    }
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined) throw toDispatchError(failure.reason, 'dispatcher');
  }

  #check(signal: Signal): void {
    if (this.#closed) throw new DispatchError('closed', 'dispatcher', 'The dispatcher is closed');
    if (!(signal instanceof Signal)) {
      throw new SignalValidationError(
        'invalid_signal',
        'signal',
        'dispatch expects a Signal (use createSignal)',
      );
    }
  }

  #resolve(config: DispatchConfig, depth = 0): Resolved {
    const cached = this.#cache.get(config);
    if (cached !== undefined && cached.version === this.adapters.version) return cached;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new DispatchConfigError(
        'unknown',
        'config',
        'a dispatch config must be an object { adapter, ...options }',
      );
    }
    const { adapter: reference, onFailure, ...options } = config;
    const adapter = this.adapters.resolve(reference);
    let normalized: unknown;
    try {
      normalized = adapter.validateOptions(options);
    } catch (error) {
      throw toDispatchConfigError(error, adapter.name);
    }
    let target: string = adapter.name;
    try {
      target = adapter.describeTarget?.(normalized) ?? adapter.name;
    } catch {
      // A failing description must not make a valid config unusable.
    }
    const resolved: Resolved = {
      adapter,
      name: adapter.name,
      options: normalized,
      target,
      fallbacks:
        onFailure === undefined
          ? undefined
          : this.#resolveFallbacks(adapter.name, onFailure, depth),
      version: this.adapters.version,
    };
    this.#cache.set(config, resolved);
    return resolved;
  }

  #resolveFallbacks(adapter: string, onFailure: unknown, depth: number): Resolved[] {
    if (depth >= MAX_FALLBACK_DEPTH) {
      throw new DispatchConfigError(
        adapter,
        'onFailure',
        `onFailure fallbacks nest deeper than ${MAX_FALLBACK_DEPTH} levels`,
      );
    }
    const list = (Array.isArray(onFailure) ? onFailure : [onFailure]) as DispatchConfig[];
    return list.map((fallback, i) => {
      try {
        return this.#resolve(fallback, depth + 1);
      } catch (error) {
        const e = error as DispatchConfigError;
        const at = Array.isArray(onFailure) ? `onFailure[${i}]` : 'onFailure';
        throw new DispatchConfigError(adapter, `${at}.${e.field}`, `${at}: ${e.message}`, {
          cause: e,
        });
      }
    });
  }

  #label(config: DispatchConfig | readonly DispatchConfig[]): string {
    if (Array.isArray(config)) return 'dispatch';
    try {
      return this.#resolve(config as DispatchConfig).name;
    } catch {
      return 'dispatch';
    }
  }

  /** Runs a call: throws/rejects with the single error or the aggregate. */
  #dispatchIn(
    signal: Signal,
    config: DispatchConfig | readonly DispatchConfig[],
    scope: Scope | undefined,
  ): void | Promise<void> {
    if (Array.isArray(config)) {
      const configs = config as readonly DispatchConfig[];
      const failed: DispatchFailure[] = [];
      const pending = runPool(
        configs.length,
        this.maxConcurrency,
        this.#listRunner(signal, configs, scope, failed),
      );
      const settle = (): void => {
        if (failed.length > 0) {
          throw new DispatchAggregateError(
            failed.sort((a, b) => a.index - b.index),
            configs.length,
          );
        }
      };
      if (pending === undefined) return settle();
      return pending.then(settle);
    }
    const r = this.#resolve(config as DispatchConfig);
    if (r.fallbacks === undefined) {
      // The common case: the delivery's own promise rejects with its error, no wrapper.
      const outcome = this.#deliverOne(signal, r, scope, undefined, true);
      if (outcome === undefined) return;
      if (outcome instanceof Promise) return outcome as Promise<unknown> as Promise<void>;
      throw outcome;
    }
    const outcome = this.#deliverTree(signal, r, scope, undefined);
    if (outcome instanceof Promise) {
      return outcome.then((error) => {
        if (error !== undefined) throw error;
      });
    }
    if (outcome !== undefined) throw outcome;
  }

  #listRunner(
    signal: Signal,
    configs: readonly DispatchConfig[],
    scope: Scope | undefined,
    failed: DispatchFailure[],
  ): (index: number) => void | Promise<void> {
    return (index) => {
      let r: Resolved;
      try {
        r = this.#resolve(configs[index]);
      } catch (error) {
        failed.push(configFailure(index, error));
        return;
      }
      const outcome = this.#deliverTree(signal, r, scope, undefined);
      if (outcome instanceof Promise) {
        return outcome.then((error) => {
          if (error !== undefined) failed.push({ index, adapter: r.name, error });
        });
      }
      if (outcome !== undefined) failed.push({ index, adapter: r.name, error: outcome });
    };
  }

  /** One target plus, if it fails, its `onFailure` fallbacks. Never rejects. */
  #deliverTree(
    signal: Signal,
    r: Resolved,
    scope: Scope | undefined,
    failure: DeliveryFailure | undefined,
  ): Outcome | Promise<Outcome> {
    const outcome = this.#deliverOne(signal, r, scope, failure);
    if (r.fallbacks === undefined) return outcome;
    if (outcome instanceof Promise) return outcome.then((o) => this.#fallBack(signal, r, scope, o));
    return this.#fallBack(signal, r, scope, outcome);
  }

  #fallBack(
    signal: Signal,
    r: Resolved,
    scope: Scope | undefined,
    outcome: Outcome,
  ): Outcome | Promise<Outcome> {
    if (outcome === undefined || scope?.reason !== undefined) return outcome;
    const failure: DeliveryFailure = { adapter: r.name, target: r.target, error: outcome };
    const fallbackSignal = withFailure(signal, failure);
    let pending: Promise<Outcome>[] | undefined;
    for (const fallback of r.fallbacks!) {
      const o = this.#deliverTree(fallbackSignal, fallback, scope, failure);
      if (o instanceof Promise) (pending ??= []).push(o);
    }
    return pending === undefined ? outcome : Promise.all(pending).then(() => outcome);
  }

  /**
   * One single-target delivery with telemetry, timeout and abort. Never throws; returns
   * (or resolves with) the error — or, with `rejects`, the returned promise rejects with it
   * and only ever resolves with `undefined`.
   */
  #deliverOne(
    signal: Signal,
    r: Resolved,
    scope: Scope | undefined,
    failure: DeliveryFailure | undefined,
    rejects = false,
  ): Outcome | Promise<Outcome> {
    if (scope?.reason !== undefined) return scope.reason;
    const observed =
      dispatchStartChannel.hasSubscribers ||
      dispatchEndChannel.hasSubscribers ||
      dispatchErrorChannel.hasSubscribers;
    const started = observed ? performance.now() : 0;
    if (observed) emit(dispatchStartChannel, telemetryMessage(signal, r, failure));
    const context = new Delivery(failure);
    let result: unknown;
    try {
      result = r.adapter.deliver(signal, r.options, context);
      if (!isThenable(result))
        return observed ? this.#observe(signal, r, failure, started, undefined) : undefined;
    } catch (error) {
      const e = toDispatchError(error, r.name);
      return observed ? this.#observe(signal, r, failure, started, e) : e;
    }
    return new Promise<Outcome>((resolve, reject) => {
      const deadline = this.#deadlines?.add(() =>
        context.abort(new DispatchTimeoutError(r.name, this.timeout, { target: r.target })),
      );
      context.settle = (outcome) => {
        context.settle = undefined;
        deadline?.cancel();
        scope?.live.delete(context);
        const o = observed ? this.#observe(signal, r, failure, started, outcome) : outcome;
        if (rejects && o !== undefined) reject(o);
        else resolve(o);
      };
      scope?.live.add(context);
      // A native promise is subscribed to directly; other thenables are adopted first.
      (result instanceof Promise ? result : Promise.resolve(result)).then(
        () => context.settle?.(undefined),
        (error: unknown) => context.settle?.(toDispatchError(error, r.name)),
      );
    });
  }

  #observe(
    signal: Signal,
    r: Resolved,
    failure: DeliveryFailure | undefined,
    started: number,
    outcome: Outcome,
  ): Outcome {
    const durationMs = performance.now() - started;
    if (outcome === undefined) {
      emit(dispatchEndChannel, () => ({
        ...telemetryMessage(signal, r, failure),
        durationMs,
        outcome: 'ok' as const,
      }));
    } else {
      emit(dispatchErrorChannel, () => ({
        ...telemetryMessage(signal, r, failure),
        durationMs,
        outcome: 'error' as const,
        errorCode: outcome.code,
        retryable: outcome.retryable,
        error: outcome,
      }));
    }
    return outcome;
  }

  /**
   * Runs a call inside a scope wired to the external signal and the call timeout. With
   * `race`, the call rejects with the abort reason as soon as the scope aborts; without,
   * it waits for `run` to finish (its deliveries settle at once on abort).
   */
  #scoped<T>(
    scope: Scope,
    config: DispatchConfig | readonly DispatchConfig[],
    options: DispatchCallOptions,
    race: boolean,
    run: (scope: Scope) => void | Promise<T>,
  ): Promise<void | T> {
    const external = options.signal;
    const timeout = positiveInteger('timeout', options.timeout, 0, true);
    return new Promise<void | T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onExternalAbort = (): void =>
        scope.abort(cancelledError(this.#label(config), external?.reason));
      const cleanup = (): void => {
        scope.settled = true;
        if (timer !== undefined) clearTimeout(timer);
        external?.removeEventListener('abort', onExternalAbort);
      };
      if (race) {
        scope.onAbort((reason) => {
          cleanup();
          reject(reason);
        });
      }
      if (external !== undefined) {
        if (external.aborted) {
          onExternalAbort();
          if (race) return;
        } else {
          external.addEventListener('abort', onExternalAbort, { once: true });
        }
      }
      if (timeout > 0) {
        timer = setTimeout(
          () => scope.abort(new DispatchTimeoutError(this.#label(config), timeout)),
          timeout,
        );
      }
      let pending: void | Promise<T>;
      try {
        pending = run(scope);
      } catch (error) {
        cleanup();
        reject(toDispatchError(error, this.#label(config)));
        return;
      }
      if (pending === undefined) {
        cleanup();
        resolve();
        return;
      }
      pending.then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (error: unknown) => {
          cleanup();
          reject(toDispatchError(error, this.#label(config)));
        },
      );
    });
  }

  #limit<T>(promise: Promise<T>, r: Resolved): Promise<T> {
    if (this.timeout <= 0) return promise;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DispatchTimeoutError(r.name, this.timeout, { target: r.target })),
        this.timeout,
      );
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(toDispatchError(error, r.name));
        },
      );
    });
  }
}

function telemetryMessage(
  signal: Signal,
  r: Resolved,
  failure: DeliveryFailure | undefined,
): DispatchTelemetryMessage {
  return {
    adapter: r.name,
    target: r.target,
    signalId: signal.id,
    signalType: signal.type,
    fallback: failure !== undefined,
  };
}

function configFailure(index: number, error: unknown): DispatchFailure {
  const adapter = error instanceof DispatchConfigError ? error.adapter : 'unknown';
  return { index, adapter, error: toDispatchError(error, adapter) };
}

function project(r: Resolved): ValidatedDispatchConfig {
  return {
    adapter: r.name,
    target: r.target,
    options: r.options,
    onFailure: r.fallbacks?.map(project) ?? [],
  };
}

/** The signal a fallback receives: the original plus the failure's code, adapter and target. */
function withFailure(signal: Signal, failure: DeliveryFailure): Signal {
  try {
    return signal.with({
      extensions: {
        ...signal.extensions,
        [FAILURE_EXTENSIONS.code]: failure.error.code,
        [FAILURE_EXTENSIONS.adapter]: failure.adapter,
        [FAILURE_EXTENSIONS.target]: failure.target,
      },
    });
  } catch {
    // A registry that rejects these extension names: deliver the original signal.
    return signal;
  }
}
