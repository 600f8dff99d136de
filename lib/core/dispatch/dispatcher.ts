// The `Dispatcher`: the public entry point that delivers signals through adapters — one
// target, a list, a reporting batch, a list of signals, or a cancellable background call —
// over the config resolver, the delivery runner and the call scope of this folder.
import {
  DispatchAggregateError,
  DispatchConfigError,
  DispatchError,
  DispatchTimeoutError,
  toDispatchError,
  type DispatchFailure,
} from '../errors/dispatch.error.js';
import { SignalValidationError } from '../errors/validation.error.js';
import { Signal } from '../signal/signal.js';
import { AdapterRegistry } from './adapter-registry.js';
import type { DispatchConfig } from './adapter.interface.js';
import { createBuiltInAdapters } from './adapters/index.js';
import { optionalInteger } from './adapters/options.js';
import { createDefaultPubSubRegistry } from './adapters/pubsub.adapter.js';
import type { BusRegistry } from './bus-registry.interface.js';
import {
  dispatchMany,
  type DispatchManyHost,
  type DispatchManyOptions,
  type DispatchManyResult,
} from './batching/dispatch-many.js';
import { ConfigResolver, configFailure, project, type ResolvedConfig } from './config-resolver.js';
import { DeliveryRunner, withFailure } from './delivery-runner.js';
import { cancelledError, runScoped, Scope } from './dispatch-scope.js';
import type {
  DispatchBatchOptions,
  DispatchBatchResult,
  DispatchCallOptions,
  DispatchHandle,
  DispatchHealth,
  DispatcherOptions,
  ValidatedDispatchConfig,
} from './dispatcher-options.js';
import { InProcessPubSub, type PubSub, type PubSubRegistry } from './pubsub.js';
import { ReceiverRegistry } from './receiver-registry.js';
import { runPool } from './run-pool.js';
import { timerDelay } from '../util/timer-delay.js';

const DEFAULT_MAX_CONCURRENCY = 32;
const DEFAULT_TIMEOUT = 30_000;
const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => {};

/** An optional non-negative (`allowZero`) or positive integer option of the dispatcher. */
function countOption(
  field: string,
  value: number | undefined,
  fallback: number,
  allowZero: boolean,
): number {
  const min = allowZero ? 0 : 1;
  return optionalInteger('dispatcher', field, value, min, Number.MAX_SAFE_INTEGER, fallback);
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

  readonly #resolver: ConfigResolver;
  readonly #runner: DeliveryRunner;
  #closed = false;
  readonly #ownedPubSubs: Map<string, PubSub> | undefined;
  #many: DispatchManyHost | undefined;

  /**
   * @param options adapters, concurrency, timeout and the registries the built-in adapters use
   * @throws DispatchConfigError for an invalid `maxConcurrency` or `timeout`
   */
  constructor(options: DispatcherOptions = {}) {
    this.maxConcurrency = countOption(
      'maxConcurrency',
      options.maxConcurrency,
      DEFAULT_MAX_CONCURRENCY,
      false,
    );
    this.timeout = countOption('timeout', options.timeout, DEFAULT_TIMEOUT, true);
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
    this.#resolver = new ConfigResolver(this.adapters);
    this.#runner = new DeliveryRunner(this.#resolver, this.timeout);
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
    if (!Array.isArray(config)) return project(this.#resolver.resolve(config as DispatchConfig));
    const out: ValidatedDispatchConfig[] = [];
    const failures: DispatchFailure[] = [];
    (config as readonly DispatchConfig[]).forEach((c, index) => {
      try {
        out.push(project(this.#resolver.resolve(c)));
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
        return runScoped(
          new Scope(),
          () => this.#label(config),
          options,
          true,
          (scope) => this.#dispatchIn(signal, config, scope),
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
      const limit = countOption(
        'maxConcurrency',
        options.maxConcurrency,
        this.maxConcurrency,
        false,
      );
      const scoped = options.signal !== undefined || (options.timeout ?? 0) > 0;
      const scope = scoped ? new Scope() : undefined;
      const failed: DispatchFailure[] = [];
      const run = this.#runner.listRunner(signal, configs, scope, failed);
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
      return runScoped(
        scope,
        () => this.#label(configs),
        options,
        false,
        () => runPool(configs.length, limit, run),
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
      resolve: (config) => this.#resolver.resolve(config),
      dispatch: (signal, config, options) => this.dispatch(signal, config, options),
      fallBack: async (config, signal, failure) => {
        const fallbacks = this.#resolver.resolve(config).fallbacks;
        if (fallbacks === undefined) return;
        const fallbackSignal = withFailure(signal, failure);
        await Promise.all(
          fallbacks.map((f) =>
            Promise.resolve(this.#runner.deliverTree(fallbackSignal, f, undefined, failure)),
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
    const result = runScoped(
      scope,
      () => this.#label(config),
      options,
      true,
      (s) => this.#dispatchIn(signal, config, s),
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
    const r = this.#resolver.resolve(config);
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
  #label(config: DispatchConfig | readonly DispatchConfig[]): string {
    if (Array.isArray(config)) return 'dispatch';
    try {
      return this.#resolver.resolve(config as DispatchConfig).name;
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
        this.#runner.listRunner(signal, configs, scope, failed),
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
    const r = this.#resolver.resolve(config as DispatchConfig);
    if (r.fallbacks === undefined) {
      // The common case: the delivery's own promise rejects with its error, no wrapper.
      const outcome = this.#runner.deliverOne(signal, r, scope, undefined, true);
      if (outcome === undefined) return;
      if (outcome instanceof Promise) return outcome as Promise<unknown> as Promise<void>;
      throw outcome;
    }
    const outcome = this.#runner.deliverTree(signal, r, scope, undefined);
    if (outcome instanceof Promise) {
      return outcome.then((error) => {
        if (error !== undefined) throw error;
      });
    }
    if (outcome !== undefined) throw outcome;
  }

  #limit<T>(promise: Promise<T>, r: ResolvedConfig): Promise<T> {
    if (this.timeout <= 0) return promise;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DispatchTimeoutError(r.name, this.timeout, { target: r.target })),
        timerDelay(this.timeout),
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
