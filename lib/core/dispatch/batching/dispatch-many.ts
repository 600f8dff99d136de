import {
  DispatchAggregateError,
  DispatchConfigError,
  DispatchError,
  DispatchTimeoutError,
  toDispatchError,
  type DispatchFailure,
} from '../../errors/dispatch.error.js';
import type { JidoSignalError } from '../../errors/jido-signal.error.js';
import { SignalValidationError } from '../../errors/validation.error.js';
import { Signal } from '../../signal/signal.js';
import { emit } from '../../telemetry/telemetry.js';
import type { DeliveryFailure, DispatchAdapter, DispatchConfig } from '../adapter.interface.js';
import { optionalInteger } from '../adapters/options.js';
import { DeliveryController } from '../delivery-controller.js';
import { callTimeout } from '../dispatch-scope.js';
import {
  dispatchEndChannel,
  dispatchErrorChannel,
  dispatchStartChannel,
  type DispatchTelemetryMessage,
} from '../dispatch-telemetry.js';
import type { DispatchCallOptions } from '../dispatcher-options.js';
import { isThenable } from '../../util/is-thenable.js';
import { timerDelay } from '../../util/timer-delay.js';

/** Options of `Dispatcher.dispatchMany`. */
export interface DispatchManyOptions extends DispatchCallOptions {
  /**
   * Most signals per request to a target whose adapter delivers batches (`http`, `webhook`,
   * `bus`, `pid`, `named`, custom adapters with `deliverBatch`); longer lists are split into
   * several requests. 1..100 000.
   * @default 100
   */
  batchSize?: number;
  /**
   * Most adapter calls (batch requests or single deliveries) in flight at once, over all
   * targets.
   * @default the dispatcher's `maxConcurrency`
   */
  maxConcurrency?: number;
}

/** One failed (signal, target) pair of a `dispatchMany` call. */
export interface SignalDispatchFailure extends DispatchFailure {
  /** Position of the signal in the list. */
  readonly signalIndex: number;
  /** Id of the signal. */
  readonly signalId: string;
}

/** Outcome of `Dispatcher.dispatchMany`: every signal's fate, per target. */
export interface DispatchManyResult {
  /** Signals that reached every target. */
  readonly delivered: number;
  /**
   * Per signal, in input order: `undefined` when it reached every target; the target's
   * error when one target failed; a `DispatchAggregateError` (indexed by config) when
   * several did.
   */
  readonly outcomes: readonly (JidoSignalError | undefined)[];
  /** Every failed (signal, target) pair, by signal index, then config index. */
  readonly failed: readonly SignalDispatchFailure[];
  /** Adapter calls made: one per batch request plus one per signal delivered singly. */
  readonly requests: number;
}

/** A config resolved by the dispatcher. @internal */
export interface ManyResolved {
  readonly adapter: DispatchAdapter<unknown>;
  readonly name: string;
  readonly options: unknown;
  readonly target: string;
}

/** What `dispatchMany` needs from its `Dispatcher`. @internal */
export interface DispatchManyHost {
  readonly maxConcurrency: number;
  /** Per-delivery timeout (`0` = none). */
  readonly timeout: number;
  /** Validate and resolve a config (cached per config object). @throws DispatchConfigError */
  resolve(config: DispatchConfig): ManyResolved;
  /** Deliver one signal with fallbacks, timeout and telemetry (the public `dispatch`). */
  dispatch(signal: Signal, config: DispatchConfig, options: DispatchCallOptions): Promise<void>;
  /**
   * Deliver `signal` to the `onFailure` fallbacks of `config` after it failed with
   * `failure` (the fallbacks see it in `ctx.failure` and its extensions). Never rejects.
   */
  fallBack(config: DispatchConfig, signal: Signal, failure: DeliveryFailure): Promise<void>;
}

/** Default most signals per batch request. */
export const DEFAULT_DISPATCH_BATCH_SIZE = 100;
const MAX_BATCH_SIZE = 100_000;
const noop = (): void => {};

function cancelled(reason: unknown): DispatchError {
  return new DispatchError('cancelled', 'dispatcher', 'Dispatch was cancelled', { cause: reason });
}

/**
 * Check the arguments of `dispatchMany`.
 * @throws SignalValidationError naming the first element that is not a `Signal`
 * @throws DispatchConfigError for a bad config list or option
 * @internal
 */
export function checkDispatchMany(
  signals: unknown,
  config: unknown,
  options: DispatchManyOptions,
): { signals: readonly Signal[]; configs: readonly DispatchConfig[]; batchSize: number } {
  if (!Array.isArray(signals)) {
    throw new SignalValidationError(
      'invalid_signal',
      'signals',
      'dispatchMany expects an array of signals',
    );
  }
  const list = signals as readonly unknown[];
  for (let i = 0; i < list.length; i++) {
    if (!(list[i] instanceof Signal)) {
      throw new SignalValidationError(
        'invalid_signal',
        `signals[${i}]`,
        `dispatchMany expects Signals (use createSignal); element ${i} is not one`,
      );
    }
  }
  const configs = (Array.isArray(config) ? config : [config]) as readonly DispatchConfig[];
  if (configs.length === 0) {
    throw new DispatchConfigError('unknown', 'configs', 'dispatchMany needs at least one config');
  }
  const batchSize = optionalInteger(
    'dispatcher',
    'batchSize',
    options.batchSize,
    1,
    MAX_BATCH_SIZE,
    DEFAULT_DISPATCH_BATCH_SIZE,
  );
  return { signals: list as readonly Signal[], configs, batchSize };
}

/**
 * Deliver `signals` to every config: adapters with `deliverBatch` get them in requests of
 * at most `batchSize` (one CloudEvents batch request each for `http`/`webhook`), the others
 * one `dispatch` per signal. Never rejects for delivery failures: they are reported per
 * signal. Rejects only for bad arguments (see {@link checkDispatchMany}).
 * @internal
 */
export function dispatchMany(
  host: DispatchManyHost,
  signalsIn: readonly Signal[],
  config: DispatchConfig | readonly DispatchConfig[],
  options: DispatchManyOptions,
): Promise<DispatchManyResult> {
  const { signals, configs, batchSize } = checkDispatchMany(signalsIn, config, options);
  const limit = optionalInteger(
    'dispatcher',
    'maxConcurrency',
    options.maxConcurrency,
    1,
    1_000_000,
    host.maxConcurrency,
  );
  const timeout = callTimeout(options.timeout);
  const failures: SignalDispatchFailure[] = [];
  const fail = (signalIndex: number, index: number, adapter: string, error: JidoSignalError) =>
    failures.push({ signalIndex, signalId: signals[signalIndex].id, index, adapter, error });

  // One abort for the call: the caller's signal or the call timeout.
  const call = new AbortController();
  const live = new Set<DeliveryController>();
  let reason: JidoSignalError | undefined;
  const abortCall = (error: JidoSignalError): void => {
    if (reason !== undefined) return;
    reason = error;
    for (const delivery of live) delivery.abort(error);
    live.clear();
    call.abort(error);
  };
  const external = options.signal;
  const onExternal = (): void => abortCall(cancelled(external?.reason));
  if (external?.aborted === true) onExternal();
  else external?.addEventListener('abort', onExternal, { once: true });
  const timer =
    timeout > 0
      ? setTimeout(
          () => abortCall(new DispatchTimeoutError('dispatcher', timeout)),
          timerDelay(timeout),
        )
      : undefined;

  let requests = 0;
  const tasks: (() => Promise<void>)[] = [];
  configs.forEach((c, index) => {
    let r: ManyResolved;
    try {
      r = host.resolve(c);
    } catch (error) {
      const adapter = error instanceof DispatchConfigError ? error.adapter : 'unknown';
      const e = toDispatchError(error, adapter);
      for (let s = 0; s < signals.length; s++) fail(s, index, adapter, e);
      return;
    }
    if (r.adapter.deliverBatch === undefined) {
      const callOptions: DispatchCallOptions = { signal: call.signal };
      for (let s = 0; s < signals.length; s++) {
        tasks.push(() => {
          if (reason !== undefined) {
            fail(s, index, r.name, reason);
            return Promise.resolve();
          }
          requests++;
          return host.dispatch(signals[s], c, callOptions).catch((error: unknown) => {
            const e = toDispatchError(error, r.name);
            fail(s, index, r.name, reason !== undefined && e.code === 'cancelled' ? reason : e);
          });
        });
      }
      return;
    }
    for (let start = 0; start < signals.length; start += batchSize) {
      const from = start;
      const to = Math.min(start + batchSize, signals.length);
      tasks.push(async () => {
        if (reason !== undefined) {
          for (let s = from; s < to; s++) fail(s, index, r.name, reason);
          return;
        }
        requests++;
        const chunk = signals.slice(from, to);
        const errors = await deliverChunk(host, r, chunk, live);
        // Fallbacks get each failed signal (as `dispatch` does); their own failures are not
        // reported — the primary failure is.
        const fallingBack: Promise<void>[] = [];
        for (let i = 0; i < errors.length; i++) {
          const e = errors[i];
          if (e === undefined) continue;
          fail(from + i, index, r.name, e);
          if (c.onFailure !== undefined && reason === undefined) {
            const failure: DeliveryFailure = { adapter: r.name, target: r.target, error: e };
            fallingBack.push(host.fallBack(c, chunk[i], failure));
          }
        }
        if (fallingBack.length > 0) await Promise.all(fallingBack);
      });
    }
  });

  return runTasks(tasks, limit).then(() => {
    if (timer !== undefined) clearTimeout(timer);
    external?.removeEventListener('abort', onExternal);
    return summarize(signals, failures, requests, configs.length);
  });
}

/** Per signal of `chunk`: `undefined` (delivered) or its error. Never rejects. */
async function deliverChunk(
  host: DispatchManyHost,
  r: ManyResolved,
  chunk: readonly Signal[],
  live: Set<DeliveryController>,
): Promise<(JidoSignalError | undefined)[]> {
  const observed =
    dispatchStartChannel.hasSubscribers ||
    dispatchEndChannel.hasSubscribers ||
    dispatchErrorChannel.hasSubscribers;
  const message = (): DispatchTelemetryMessage => ({
    adapter: r.name,
    target: r.target,
    signalId: chunk[0].id,
    signalType: chunk[0].type,
    fallback: false,
    batchSize: chunk.length,
  });
  const started = observed ? performance.now() : 0;
  if (observed) emit(dispatchStartChannel, message);
  const context = new DeliveryController();
  live.add(context);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let outcome: unknown;
  let error: JidoSignalError | undefined;
  try {
    const result = r.adapter.deliverBatch!(chunk, r.options, context);
    if (isThenable(result)) {
      const aborted = new Promise<never>((_, reject) => {
        context.onAbort(reject);
        if (host.timeout > 0) {
          timer = setTimeout(
            () =>
              context.abort(new DispatchTimeoutError(r.name, host.timeout, { target: r.target })),
            timerDelay(host.timeout),
          );
        }
      });
      outcome = await Promise.race([Promise.resolve(result), aborted]);
    } else {
      outcome = result;
    }
  } catch (thrown) {
    error = toDispatchError(thrown, r.name);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    live.delete(context);
  }
  const errors: (JidoSignalError | undefined)[] = new Array<JidoSignalError | undefined>(
    chunk.length,
  ).fill(undefined);
  if (error !== undefined) {
    errors.fill(error);
  } else if (Array.isArray(outcome)) {
    for (let i = 0; i < chunk.length; i++) {
      const item: unknown = outcome[i];
      errors[i] = item === undefined || item === null ? undefined : toDispatchError(item, r.name);
    }
  } else if (outcome !== undefined) {
    error = new DispatchError(
      'dispatch_error',
      r.name,
      `${r.name} deliverBatch returned neither nothing nor one entry per signal`,
    );
    errors.fill(error);
  }
  if (observed) {
    const durationMs = performance.now() - started;
    const first = errors.find((e) => e !== undefined);
    if (first === undefined) {
      emit(dispatchEndChannel, () => ({ ...message(), durationMs, outcome: 'ok' as const }));
    } else {
      emit(dispatchErrorChannel, () => ({
        ...message(),
        durationMs,
        outcome: 'error' as const,
        errorCode: first.code,
        retryable: first.retryable,
        error: first,
      }));
    }
  }
  return errors;
}

/** Runs the tasks with at most `limit` in flight; resolves when all settled. */
function runTasks(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  if (tasks.length === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let next = 0;
    let active = 0;
    const pump = (): void => {
      while (next < tasks.length && active < limit) {
        active++;
        void tasks[next++]()
          .catch(noop)
          .then(() => {
            active--;
            if (next >= tasks.length && active === 0) resolve();
            else pump();
          });
      }
    };
    pump();
  });
}

function summarize(
  signals: readonly Signal[],
  failures: SignalDispatchFailure[],
  requests: number,
  configCount: number,
): DispatchManyResult {
  failures.sort((a, b) => a.signalIndex - b.signalIndex || a.index - b.index);
  const outcomes: (JidoSignalError | undefined)[] = new Array<JidoSignalError | undefined>(
    signals.length,
  ).fill(undefined);
  let failedSignals = 0;
  for (let i = 0; i < failures.length;) {
    const s = failures[i].signalIndex;
    let j = i;
    while (j < failures.length && failures[j].signalIndex === s) j++;
    outcomes[s] =
      j - i === 1
        ? failures[i].error
        : new DispatchAggregateError(
            failures
              .slice(i, j)
              .map((f) => ({ index: f.index, adapter: f.adapter, error: f.error })),
            configCount,
          );
    failedSignals++;
    i = j;
  }
  return {
    delivered: signals.length - failedSignals,
    outcomes,
    failed: failures,
    requests,
  };
}
