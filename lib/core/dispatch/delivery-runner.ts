// The delivery loop of the `Dispatcher`: one delivery with its timeout, abort and
// telemetry, a target with its `onFailure` fallbacks, and the runner of a list of targets.
import {
  DispatchTimeoutError,
  toDispatchError,
  type DispatchFailure,
} from '../errors/dispatch.error.js';
import type { Signal } from '../signal/signal.js';
import { emit } from '../telemetry/telemetry.js';
import { isThenable } from '../util/is-thenable.js';
import type { DeliveryFailure, DispatchConfig } from './adapter.interface.js';
import { configFailure, type ConfigResolver, type ResolvedConfig } from './config-resolver.js';
import { DeadlineList } from './deadlines.js';
import { Delivery, type Outcome, type Scope } from './dispatch-scope.js';
import {
  dispatchEndChannel,
  dispatchErrorChannel,
  dispatchStartChannel,
  type DispatchTelemetryMessage,
} from './dispatch-telemetry.js';
import { FAILURE_EXTENSIONS } from './dispatcher-options.js';

/**
 * Delivers signals to resolved targets: per delivery a context, the dispatcher's timeout
 * (one shared timer) and the dispatch telemetry; on failure the target's fallbacks.
 * @internal
 */
export class DeliveryRunner {
  readonly #resolver: ConfigResolver;
  readonly #timeout: number;
  /** Per-delivery timeouts, sharing one timer (`undefined` when `timeout` is 0). */
  readonly #deadlines: DeadlineList | undefined;

  /** @param timeout per-delivery timeout in ms (`0` = none) */
  constructor(resolver: ConfigResolver, timeout: number) {
    this.#resolver = resolver;
    this.#timeout = timeout;
    this.#deadlines = timeout > 0 ? new DeadlineList(timeout) : undefined;
  }

  /**
   * The `run(index)` of a list dispatch: resolves `configs[index]` and delivers to it with
   * fallbacks, pushing each failure (invalid configs included) onto `failed`.
   */
  listRunner(
    signal: Signal,
    configs: readonly DispatchConfig[],
    scope: Scope | undefined,
    failed: DispatchFailure[],
  ): (index: number) => void | Promise<void> {
    return (index) => {
      let r: ResolvedConfig;
      try {
        r = this.#resolver.resolve(configs[index]);
      } catch (error) {
        failed.push(configFailure(index, error));
        return;
      }
      const outcome = this.deliverTree(signal, r, scope, undefined);
      if (outcome instanceof Promise) {
        return outcome.then((error) => {
          if (error !== undefined) failed.push({ index, adapter: r.name, error });
        });
      }
      if (outcome !== undefined) failed.push({ index, adapter: r.name, error: outcome });
    };
  }

  /** One target plus, if it fails, its `onFailure` fallbacks. Never rejects. */
  deliverTree(
    signal: Signal,
    r: ResolvedConfig,
    scope: Scope | undefined,
    failure: DeliveryFailure | undefined,
  ): Outcome | Promise<Outcome> {
    const outcome = this.deliverOne(signal, r, scope, failure);
    if (r.fallbacks === undefined) return outcome;
    if (outcome instanceof Promise) return outcome.then((o) => this.#fallBack(signal, r, scope, o));
    return this.#fallBack(signal, r, scope, outcome);
  }

  #fallBack(
    signal: Signal,
    r: ResolvedConfig,
    scope: Scope | undefined,
    outcome: Outcome,
  ): Outcome | Promise<Outcome> {
    if (outcome === undefined || scope?.reason !== undefined) return outcome;
    const failure: DeliveryFailure = { adapter: r.name, target: r.target, error: outcome };
    const fallbackSignal = withFailure(signal, failure);
    let pending: Promise<Outcome>[] | undefined;
    for (const fallback of r.fallbacks!) {
      const o = this.deliverTree(fallbackSignal, fallback, scope, failure);
      if (o instanceof Promise) (pending ??= []).push(o);
    }
    return pending === undefined ? outcome : Promise.all(pending).then(() => outcome);
  }

  /**
   * One single-target delivery with telemetry, timeout and abort. Never throws; returns
   * (or resolves with) the error — or, with `rejects`, the returned promise rejects with it
   * and only ever resolves with `undefined`.
   */
  deliverOne(
    signal: Signal,
    r: ResolvedConfig,
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
        context.abort(new DispatchTimeoutError(r.name, this.#timeout, { target: r.target })),
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
    r: ResolvedConfig,
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
}

function telemetryMessage(
  signal: Signal,
  r: ResolvedConfig,
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

/**
 * The signal a fallback receives: the original plus the failure's code, adapter and target.
 * @internal
 */
export function withFailure(signal: Signal, failure: DeliveryFailure): Signal {
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
