import type { DeliveryContext, DispatchConfig } from '../dispatch/adapter.interface.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import {
  BatchBufferFullError,
  DispatchAggregateError,
  DispatchConfigError,
  toDispatchError,
  type DispatchFailure,
} from '../errors/dispatch.error.js';
import type { JidoSignalError } from '../errors/jido-signal.error.js';
import type { Signal } from '../signal/signal.js';
import type { DeliverFunction } from './subscription.js';

/**
 * `batch` option of a subscription's dispatch config — `{ adapter: 'http', url, batch: {
 * size: 100, timeout: 1000 } }`: signals are buffered per target and sent as one CloudEvents
 * batch request when `size` are buffered or the oldest has waited `timeout` ms, and on
 * `unsubscribe`, `bus.drain()` / `bus.close()` (so Nest shutdown too). Works with every
 * adapter that delivers batches (`http` in structured mode, `webhook`, `bus`, `pid`,
 * `named`, custom adapters with `deliverBatch`).
 *
 * Each signal's delivery settles with its batch: a persistent subscription acks the
 * signals of a batch only once the batch request succeeded, and a failed batch (after the
 * target's `retry` policy and circuit breaker, which apply to the whole request) fails each
 * of its signals, which are then retried and dead-lettered one by one. Give a persistent
 * subscription `maxInFlight` ≥ `size` (it counts signals), or batches only ever fill up to
 * `maxInFlight` and go out on `timeout`.
 */
export interface SubscriptionBatchOptions {
  /** Signals per batch request: the buffer is sent as soon as it holds this many. 1..10 000. @default 100 */
  size?: number;
  /** Longest a signal waits in the buffer before its batch is sent, in ms. 1..3 600 000. @default 1000 */
  timeout?: number;
  /**
   * Most signals buffered or in flight for this target. Beyond it a delivery fails at once
   * with a `BatchBufferFullError` (`queue_full`, retryable) instead of growing the buffer
   * while the target is down. At least `size`.
   * @default 10 × size
   */
  maxBuffered?: number;
  /** Batch requests in flight at once for this target (1 keeps batches in order). 1..64. @default 1 */
  concurrency?: number;
}

/** Validated {@link SubscriptionBatchOptions}. @internal */
export interface ResolvedBatchOptions {
  readonly size: number;
  readonly timeout: number;
  readonly maxBuffered: number;
  readonly concurrency: number;
}

const BATCH_KEYS: ReadonlySet<string> = new Set(['size', 'timeout', 'maxBuffered', 'concurrency']);
const BATCH_ADAPTERS =
  'http (structured mode), webhook, bus, pid, named or a custom adapter with deliverBatch';

function integer(adapter: string, field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new DispatchConfigError(
      adapter,
      `batch.${field}`,
      `"batch.${field}" must be an integer from ${min} to ${max}`,
    );
  }
  return value;
}

/**
 * Validate a `batch` option.
 * @throws DispatchConfigError naming the field (`batch.size`, …)
 * @internal
 */
export function resolveBatchOptions(adapter: string, value: unknown): ResolvedBatchOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DispatchConfigError(
      adapter,
      'batch',
      '"batch" must be an object { size?, timeout?, maxBuffered?, concurrency? }',
    );
  }
  const options = value as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!BATCH_KEYS.has(key)) {
      throw new DispatchConfigError(
        adapter,
        `batch.${key}`,
        `unknown option "batch.${key}"; known options: ${[...BATCH_KEYS].join(', ')}`,
      );
    }
  }
  const size = options.size === undefined ? 100 : integer(adapter, 'size', options.size, 1, 10_000);
  const timeout =
    options.timeout === undefined
      ? 1000
      : integer(adapter, 'timeout', options.timeout, 1, 3_600_000);
  const maxBuffered =
    options.maxBuffered === undefined
      ? size * 10
      : integer(adapter, 'maxBuffered', options.maxBuffered, size, 10_000_000);
  const concurrency =
    options.concurrency === undefined
      ? 1
      : integer(adapter, 'concurrency', options.concurrency, 1, 64);
  return { size, timeout, maxBuffered, concurrency };
}

interface Entry {
  readonly signal: Signal;
  readonly resolve: () => void;
  readonly reject: (error: JidoSignalError) => void;
  unwatch: (() => void) | undefined;
}

/**
 * The buffer of one batched subscription target: collects signals, sends them through
 * `Dispatcher.dispatchMany` by size, by time or when drained, and settles each signal's
 * delivery with its batch's outcome for that signal.
 * @internal
 */
export class SignalBatcher {
  readonly #buffer: Entry[] = [];
  #inFlight = 0;
  #inFlightSignals = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The oldest buffered signal has waited `timeout`: send even a partial batch. */
  #due = false;
  /**
   * Draining: buffered signals go out as soon as a request slot is free, and signals added
   * later wait one timer tick (so those of one burst still share a batch), not `timeout`.
   */
  #draining = false;

  constructor(
    readonly dispatcher: Dispatcher,
    readonly config: DispatchConfig,
    readonly adapter: string,
    readonly target: string,
    readonly options: ResolvedBatchOptions,
  ) {}

  /** Signals buffered or in flight. */
  get size(): number {
    return this.#buffer.length + this.#inFlightSignals;
  }

  /**
   * Buffer `signal`; the promise settles with its batch. An abort of `delivery` (a
   * persistent subscription's `ackTimeout`) takes a still-buffered signal out again.
   * @throws (rejects with) BatchBufferFullError when `maxBuffered` signals are held
   */
  add(signal: Signal, delivery?: DeliveryContext): Promise<void> {
    if (this.size >= this.options.maxBuffered) {
      return Promise.reject(
        new BatchBufferFullError(this.adapter, this.target, this.size, this.options.maxBuffered),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const entry: Entry = { signal, resolve, reject, unwatch: undefined };
      if (delivery !== undefined) entry.unwatch = this.#watch(entry, delivery);
      this.#buffer.push(entry);
      this.#pump();
    });
  }

  /** Send everything buffered now, and every signal added from now on after one tick. */
  drain(): void {
    this.#draining = true;
    this.#clearTimer();
    this.#due = true;
    this.#pump();
  }

  #watch(entry: Entry, delivery: DeliveryContext): (() => void) | undefined {
    const onAbort = (reason: unknown): void => {
      const at = this.#buffer.indexOf(entry);
      if (at < 0) return; // already sent: its batch settles it
      this.#buffer.splice(at, 1);
      entry.reject(toDispatchError(reason, this.adapter));
      if (this.#buffer.length === 0) this.#clearTimer();
    };
    if (delivery.onAbort !== undefined) return delivery.onAbort(onAbort);
    const signal = delivery.signal;
    const listener = (): void => onAbort(signal.reason);
    signal.addEventListener('abort', listener, { once: true });
    return () => signal.removeEventListener('abort', listener);
  }

  #pump(): void {
    const { size, concurrency } = this.options;
    while (
      this.#inFlight < concurrency &&
      this.#buffer.length > 0 &&
      (this.#buffer.length >= size || this.#due)
    ) {
      this.#send(this.#buffer.splice(0, size));
    }
    if (this.#buffer.length === 0) {
      this.#due = false;
      this.#clearTimer();
    } else if (!this.#due && this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimeout, this.#draining ? 0 : this.options.timeout);
    }
  }

  readonly #onTimeout = (): void => {
    this.#timer = undefined;
    this.#due = true;
    this.#pump();
  };

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #send(batch: Entry[]): void {
    this.#inFlight++;
    this.#inFlightSignals += batch.length;
    for (const entry of batch) entry.unwatch?.();
    const signals = batch.map((e) => e.signal);
    const finish = (errors: readonly (JidoSignalError | undefined)[]): void => {
      this.#inFlight--;
      this.#inFlightSignals -= batch.length;
      // The next batch may go before this one's signals settle (their acks are what frees
      // a persistent subscription's capacity anyway).
      this.#pump();
      batch.forEach((entry, i) => {
        const error = errors[i];
        if (error === undefined) entry.resolve();
        else entry.reject(error);
      });
    };
    this.dispatcher.dispatchMany(signals, this.config, { batchSize: this.options.size }).then(
      (result) => finish(result.outcomes),
      (error: unknown) => {
        const e = toDispatchError(error, this.adapter);
        finish(batch.map(() => e));
      },
    );
  }
}

/** The batchers of a bus, by subscription id, drained on unsubscribe and on bus drain/close. @internal */
export class BatchingRegistry {
  readonly #bySubscription = new Map<string, SignalBatcher[]>();
  #draining = false;

  /** Register the batchers of a subscription (replacing — and draining — earlier ones). */
  set(subscriptionId: string, batchers: SignalBatcher[]): void {
    this.release(subscriptionId);
    this.#bySubscription.set(subscriptionId, batchers);
    if (this.#draining) for (const b of batchers) b.drain();
  }

  /** Drain and forget the batchers of a removed subscription. */
  release(subscriptionId: string): void {
    const batchers = this.#bySubscription.get(subscriptionId);
    if (batchers === undefined) return;
    this.#bySubscription.delete(subscriptionId);
    for (const b of batchers) b.drain();
  }

  /** The bus drains: send every buffered signal now, and later ones without waiting. */
  drainAll(): void {
    this.#draining = true;
    for (const batchers of this.#bySubscription.values()) for (const b of batchers) b.drain();
  }
}

function hasBatch(config: unknown): boolean {
  return (
    typeof config === 'object' &&
    config !== null &&
    !Array.isArray(config) &&
    (config as { batch?: unknown }).batch !== undefined
  );
}

/**
 * The delivery of a subscription whose dispatch config (or one config of its list) has a
 * `batch` option, or `undefined` when none has. Configs are validated now; batched ones
 * must use an adapter that delivers batches.
 * @throws DispatchConfigError (single config) / DispatchAggregateError (list)
 * @internal
 */
export function batchedDelivery(
  dispatcher: Dispatcher,
  dispatch: DispatchConfig | readonly DispatchConfig[],
): { deliver: DeliverFunction; target: string; batchers: SignalBatcher[] } | undefined {
  const list: readonly DispatchConfig[] = Array.isArray(dispatch)
    ? (dispatch as readonly DispatchConfig[])
    : [dispatch as DispatchConfig];
  if (!list.some(hasBatch)) return undefined;
  const batchers: SignalBatcher[] = [];
  const failures: DispatchFailure[] = [];
  const parts: (SignalBatcher | DispatchConfig)[] = [];
  const targets: string[] = [];
  list.forEach((config, index) => {
    try {
      if (!hasBatch(config)) {
        const v = dispatcher.validate(config);
        parts.push(config);
        targets.push(v.target === v.adapter ? v.adapter : `${v.adapter} ${v.target}`);
        return;
      }
      const { batch, ...rest } = config;
      const plain: DispatchConfig = rest;
      const v = dispatcher.validate(plain);
      const options = resolveBatchOptions(v.adapter, batch);
      const adapter = dispatcher.adapters.resolve(plain.adapter);
      const binary = (v.options as { mode?: unknown } | null)?.mode === 'binary';
      if (adapter.deliverBatch === undefined || (v.adapter === 'http' && binary)) {
        throw new DispatchConfigError(
          v.adapter,
          'batch',
          `"batch" needs an adapter that delivers batches: ${BATCH_ADAPTERS}`,
        );
      }
      const batcher = new SignalBatcher(dispatcher, plain, v.adapter, v.target, options);
      batchers.push(batcher);
      parts.push(batcher);
      targets.push(
        `${v.target === v.adapter ? v.adapter : `${v.adapter} ${v.target}`} (batches of ${options.size})`,
      );
    } catch (error) {
      const adapter = error instanceof DispatchConfigError ? error.adapter : 'unknown';
      failures.push({ index, adapter, error: toDispatchError(error, adapter) });
    }
  });
  if (failures.length > 0) {
    if (!Array.isArray(dispatch)) throw failures[0].error;
    throw new DispatchAggregateError(failures, list.length);
  }
  const target = targets.join(', ');
  if (parts.length === 1) {
    const batcher = parts[0] as SignalBatcher;
    return {
      deliver: (signal, _logId, delivery) => batcher.add(signal, delivery),
      target,
      batchers,
    };
  }
  const deliver: DeliverFunction = async (signal, _logId, delivery) => {
    const outcomes = await Promise.allSettled(
      parts.map((part) =>
        part instanceof SignalBatcher
          ? part.add(signal, delivery)
          : dispatcher.dispatch(
              signal,
              part,
              delivery === undefined ? {} : { signal: delivery.signal },
            ),
      ),
    );
    const failed: DispatchFailure[] = [];
    outcomes.forEach((o, index) => {
      if (o.status === 'fulfilled') return;
      const part = parts[index];
      const adapter =
        part instanceof SignalBatcher
          ? part.adapter
          : typeof part.adapter === 'string'
            ? part.adapter
            : 'custom';
      failed.push({ index, adapter, error: toDispatchError(o.reason, adapter) });
    });
    if (failed.length > 0) throw new DispatchAggregateError(failed, parts.length);
  };
  return { deliver, target, batchers };
}
