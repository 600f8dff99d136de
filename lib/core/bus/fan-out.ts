import { SubscriberError } from '../errors/bus.error.js';
import type { Signal } from '../signal/signal.js';
import type { SignalRouter } from '../router/signal-router.js';
import type { RecordedSignal } from '../store/signal-store.interface.js';
import { emit } from '../telemetry/telemetry.js';
import type { BusContext } from './bus-context.js';
import {
  dispatchChannel,
  dispatchMessage,
  skipChannel,
  withOrigin,
  type BusDispatchTelemetryMessage,
  type BusSkipTelemetryMessage,
} from './bus-telemetry.js';
import type { DeliveryScope } from './delivery-scope.js';
import { Tracker } from './delivery-tracker.js';
import type { DispatchVerdict, MiddlewarePipeline } from './middleware-pipeline.js';
import type { DeliveryResult, DispatchContext } from './middleware.interface.js';
import type { BusError } from '../errors/bus.error.js';
import type { Subscription } from './subscription.js';
import { isThenable } from '../util/is-thenable.js';
import { toPromise } from '../util/to-promise.js';

const OK: DeliveryResult = Object.freeze({ status: 'ok' });
/** What `FanOut.#handOver` returns when the handler threw. */
const THREW: unique symbol = Symbol('threw');

/**
 * Hands recorded signals to the matching ordinary subscriptions and settles each delivery:
 * counters, `BusDispatch` / `BusDispatchSkipped` telemetry, `afterDispatch` middleware and
 * failure reports. Four loops share the per-delivery steps: {@link FanOut.invokePlain}
 * (nothing to observe: no middleware, scope or dispatch telemetry), {@link FanOut.invoke}
 * (no `beforeDispatch`), {@link FanOut.invokeFrom} (with `beforeDispatch`, resumable) and
 * the lane batches (`LaneAdmission`), which call {@link FanOut.deliver} and
 * {@link FanOut.apply}. They stay separate loops rather than one parameterised loop: the
 * plain one is the hot path (issue 17) and one loop would put the middleware, scope and
 * telemetry checks, the resume position of an asynchronous `beforeDispatch` and a tracker
 * on every delivery; the others differ in what they must be able to suspend.
 * @internal
 */
export class FanOut {
  /** Hand-off from {@link invokePlain} to its caller (read and cleared synchronously). */
  oneSub: Subscription | undefined;
  oneSignal: Signal | undefined;
  readonly #name: string;
  /** This bus, as its telemetry messages name it (see `withOrigin`). */
  readonly #origin: object;
  readonly #router: SignalRouter<Subscription>;
  readonly #pipeline: MiddlewarePipeline;
  readonly #report: (error: BusError) => void;
  readonly #currentScope: () => DeliveryScope | undefined;
  /**
   * The plain one-signal publish whose deliveries settle through their subscriptions'
   * `settleOk`/`settleFail` (at most one at a time; publishes meanwhile use per-delivery
   * callbacks), and its signal.
   */
  #shared: Tracker | undefined;
  #sharedSignal: Signal | undefined;
  readonly #sharedDone = (): void => {
    this.#shared = this.#sharedSignal = undefined;
  };

  constructor(context: BusContext) {
    this.#name = context.name;
    this.#origin = context;
    this.#router = context.router;
    this.#pipeline = context.pipeline;
    this.#report = context.report;
    this.#currentScope = context.currentScope;
  }

  /**
   * The common case — no dispatch middleware, no scope, no dispatch telemetry: hand every
   * entry to its subscribers (the caller then releases the turn). Returns what to wait for:
   * nothing when every delivery settled synchronously; the single pending delivery's own
   * promise (its subscription and signal left in `oneSub`/`oneSignal` for the caller to
   * settle — no callbacks); or, with several pending, their tracker, which settles them
   * (the caller ends its invocation phase: `finish` or `finishThen`).
   */
  invokePlain(entries: readonly RecordedSignal[]): Promise<unknown> | Tracker | undefined {
    if (entries.length === 1 && this.#shared === undefined) return this.#invokeShared(entries[0]);
    let one: Promise<unknown> | undefined;
    let oneSub: Subscription | undefined;
    let oneSignal: Signal | undefined;
    let tracker: Tracker | undefined;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const signal = entry.signal;
      const subs = this.#router.route(signal.type);
      for (let j = 0; j < subs.length; j++) {
        const sub = subs[j];
        if (sub.removed) continue;
        const result = this.#handOver(sub, signal, entry.logId);
        if (result === THREW) continue;
        if (result === undefined) {
          sub.delivered++;
          continue;
        }
        sub.inFlight++;
        if (one === undefined && tracker === undefined) {
          one = result;
          oneSub = sub;
          oneSignal = signal;
          continue;
        }
        if (tracker === undefined) {
          tracker = new Tracker(undefined);
          this.#trackPlain(tracker, one!, oneSub!, oneSignal!);
          one = undefined;
        }
        this.#trackPlain(tracker, result, sub, signal);
      }
    }
    if (tracker !== undefined) return tracker;
    if (one !== undefined) {
      this.oneSub = oneSub;
      this.oneSignal = oneSignal;
    }
    return one;
  }

  /**
   * {@link invokePlain} for a one-signal publish while no other publish is the shared one:
   * with several pending deliveries it becomes the shared one, and each delivery settles
   * through its subscription's `settleOk`/`settleFail` (no closure per delivery). Those run
   * as microtasks, after this has set `#shared`.
   */
  #invokeShared(entry: RecordedSignal): Promise<unknown> | Tracker | undefined {
    const signal = entry.signal;
    const subs = this.#router.route(signal.type);
    let one: Promise<unknown> | undefined;
    let oneSub: Subscription | undefined;
    let pending = 0;
    for (let j = 0; j < subs.length; j++) {
      const sub = subs[j];
      if (sub.removed) continue;
      // A native promise (see #handOver): settle callbacks never run in this loop.
      const result = this.#handOver(sub, signal, entry.logId);
      if (result === THREW) continue;
      if (result === undefined) {
        sub.delivered++;
        continue;
      }
      sub.inFlight++;
      if (++pending === 1) {
        one = result;
        oneSub = sub;
        continue;
      }
      if (pending === 2) this.#settleShared(one!, oneSub!);
      this.#settleShared(result, sub);
    }
    if (pending < 2) {
      if (one !== undefined) {
        this.oneSub = oneSub;
        this.oneSignal = signal;
      }
      return one;
    }
    const tracker = (this.#shared = new Tracker(undefined, this.#sharedDone));
    tracker.pending += pending;
    this.#sharedSignal = signal;
    return tracker;
  }

  /**
   * Hand `signal` to `sub` on a plain path: what its handler returned as a native promise
   * ({@link toPromise}), `undefined` when it settled synchronously, or {@link THREW} once a
   * synchronous throw is counted and reported.
   */
  #handOver(
    sub: Subscription,
    signal: Signal,
    logId: string,
  ): Promise<unknown> | undefined | typeof THREW {
    try {
      const handler = sub.handler;
      return toPromise(handler !== undefined ? handler(signal) : sub.deliver(signal, logId));
    } catch (error) {
      sub.failed++;
      this.#report(new SubscriberError(this.#name, sub.id, signal.id, error));
      return THREW;
    }
  }

  /** Settle `sub`'s pending delivery `result` in the shared publish. */
  #settleShared(result: Promise<unknown>, sub: Subscription): void {
    if (sub.settleOk === undefined) this.#settlers(sub);
    void result.then(sub.settleOk, sub.settleFail);
  }

  /** Hands every entry of a publish to its subscribers (no `beforeDispatch` middleware). */
  invoke(tracker: Tracker, entries: readonly RecordedSignal[]): void {
    const observed = dispatchChannel.hasSubscribers;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const subs = this.#router.route(entry.signal.type);
      for (let j = 0; j < subs.length; j++) {
        const sub = subs[j];
        if (!sub.removed) this.deliver(tracker, sub, entry.signal, entry.logId, 0, observed);
      }
    }
  }

  /**
   * Same as {@link invoke} with `beforeDispatch` middleware: synchronous while the hooks
   * are, resuming after an asynchronous hook so no later delivery overtakes it.
   */
  invokeFrom(
    tracker: Tracker,
    entries: readonly RecordedSignal[],
    i: number,
    j: number,
    current: readonly Subscription[] | undefined,
  ): void | Promise<void> {
    for (; i < entries.length; i++, j = 0, current = undefined) {
      const entry = entries[i];
      const subs = current ?? this.#router.route(entry.signal.type);
      for (; j < subs.length; j++) {
        const sub = subs[j];
        if (sub.removed) continue;
        const verdict = this.#pipeline.beforeDispatch(
          entry.signal,
          sub.info(),
          this.dispatchContext(tracker, entry.logId, 0),
        );
        if (isThenable(verdict)) {
          const at = i;
          const next = j + 1;
          return verdict.then((v) => {
            this.apply(tracker, sub, entry, 0, v);
            return this.invokeFrom(tracker, entries, at, next, subs);
          });
        }
        this.apply(tracker, sub, entry, 0, verdict);
      }
    }
  }

  apply(
    tracker: Tracker,
    sub: Subscription,
    entry: RecordedSignal,
    partition: number,
    verdict: DispatchVerdict,
  ): void {
    if (sub.removed) return;
    if (verdict.kind === 'deliver') {
      this.deliver(
        tracker,
        sub,
        verdict.signal,
        entry.logId,
        partition,
        dispatchChannel.hasSubscribers,
      );
    } else if (verdict.kind === 'skip') {
      sub.skipped++;
      emit(skipChannel, (): BusSkipTelemetryMessage =>
        withOrigin(
          {
            bus: this.#name,
            subscriptionId: sub.id,
            pattern: sub.pattern,
            partition,
            signal: entry.signal,
            logId: entry.logId,
            middleware: verdict.middleware,
            reason: verdict.reason,
          },
          this.#origin,
        ),
      );
    } else {
      sub.failed++;
      this.#report(verdict.error);
    }
  }

  /** Hand one signal to one subscription and track its settlement. */
  deliver(
    tracker: Tracker,
    sub: Subscription,
    signal: Signal,
    logId: string,
    partition: number,
    observed: boolean,
  ): void {
    const started = observed ? performance.now() : 0;
    let result: Promise<unknown> | undefined;
    const scope = this.#currentScope();
    try {
      result = toPromise(
        scope === undefined
          ? sub.deliver(signal, logId)
          : scope.run({ bus: this.#name, signal, logId, subscriptionId: sub.id }, () =>
              sub.deliver(signal, logId),
            ),
      );
    } catch (error) {
      this.#failed(tracker, sub, signal, logId, partition, started, error);
      return;
    }
    if (result !== undefined) {
      sub.inFlight++;
      this.#track(tracker, result, sub, signal, logId, partition, started);
    } else {
      this.#succeeded(tracker, sub, signal, logId, partition, started);
    }
  }

  /**
   * {@link #track} for `invokePlain` (no middleware, telemetry or partition): the settle
   * callbacks capture only what they need, and a success touches nothing but counters.
   */
  #trackPlain(tracker: Tracker, result: Promise<unknown>, sub: Subscription, signal: Signal): void {
    tracker.pending++;
    void result.then(
      () => this.#plainSucceeded(tracker, sub),
      (error: unknown) => this.#plainFailed(tracker, sub, signal, error),
    );
  }

  /** Make `sub`'s callbacks settling its delivery in the shared plain publish. */
  #settlers(sub: Subscription): void {
    sub.settleOk = () => this.#plainSucceeded(this.#shared!, sub);
    sub.settleFail = (error: unknown) =>
      this.#plainFailed(this.#shared!, sub, this.#sharedSignal!, error);
  }

  /**
   * A delivery of a plain publish succeeded. Its publish started without middleware or
   * dispatch telemetry: one added since applies from the next publish on (`use`), to
   * successes and failures alike.
   */
  #plainSucceeded(tracker: Tracker, sub: Subscription): void {
    this.oneDelivered(sub);
    tracker.release();
  }

  /** A delivery of a plain publish failed (see {@link #plainSucceeded}). */
  #plainFailed(tracker: Tracker, sub: Subscription, signal: Signal, error: unknown): void {
    this.oneFailed(sub, signal, error);
    tracker.release();
  }

  /** Count a pending delivery on `tracker` and settle it when `result` does. */
  #track(
    tracker: Tracker,
    result: Promise<unknown>,
    sub: Subscription,
    signal: Signal,
    logId: string,
    partition: number,
    started: number,
  ): void {
    tracker.pending++;
    void result.then(
      () => {
        sub.inFlight--;
        this.#succeeded(tracker, sub, signal, logId, partition, started);
        tracker.release();
      },
      (error: unknown) => this.#rejected(tracker, sub, signal, logId, partition, started, error),
    );
  }

  /** A tracked delivery rejected: failed, or succeeded when its rejection hook settled it. */
  #rejected(
    tracker: Tracker,
    sub: Subscription,
    signal: Signal,
    logId: string,
    partition: number,
    started: number,
    error: unknown,
  ): void {
    sub.inFlight--;
    const failure = rejection(sub, signal, error);
    if (failure === SETTLED) this.#succeeded(tracker, sub, signal, logId, partition, started);
    else this.#failed(tracker, sub, signal, logId, partition, started, failure);
    tracker.release();
  }

  #succeeded(
    tracker: Tracker,
    sub: Subscription,
    signal: Signal,
    logId: string,
    partition: number,
    started: number,
  ): void {
    sub.delivered++;
    if (started !== 0) {
      emit(dispatchChannel, () =>
        dispatchMessage(this.#name, this.#origin, sub, signal, logId, partition, started),
      );
    }
    if (this.#pipeline.hasAfterDispatch)
      this.#afterDispatch(tracker, sub, signal, logId, partition, OK);
  }

  #failed(
    tracker: Tracker,
    sub: Subscription,
    signal: Signal,
    logId: string,
    partition: number,
    started: number,
    cause: unknown,
  ): void {
    sub.failed++;
    const error = new SubscriberError(this.#name, sub.id, signal.id, cause);
    tracker.failures?.push(error);
    emit(dispatchChannel, (): BusDispatchTelemetryMessage => ({
      ...dispatchMessage(this.#name, this.#origin, sub, signal, logId, partition, started),
      outcome: 'error',
      errorCode: error.reason,
      error,
    }));
    this.#report(error);
    if (this.#pipeline.hasAfterDispatch) {
      this.#afterDispatch(tracker, sub, signal, logId, partition, { status: 'error', error });
    }
  }

  #afterDispatch(
    tracker: Tracker,
    sub: Subscription,
    signal: Signal,
    logId: string,
    partition: number,
    result: DeliveryResult,
  ): void {
    const after = this.#pipeline.afterDispatch(
      signal,
      sub.info(),
      result,
      this.dispatchContext(tracker, logId, partition),
      this.#report,
    );
    if (after !== undefined) {
      tracker.pending++;
      void after.then(() => tracker.release());
    }
  }

  dispatchContext(tracker: Tracker, logId: string, partition: number): DispatchContext {
    const base = tracker.context ?? {
      bus: this.#name,
      publishedAt: Date.now(),
      metadata: new Map(),
    };
    return {
      bus: base.bus,
      publishedAt: base.publishedAt,
      metadata: base.metadata,
      logId,
      partition,
    };
  }

  /**
   * A pending delivery of `sub` on a plain path succeeded (its counts only): the single one
   * {@link invokePlain} handed over, or one a tracker settles.
   */
  oneDelivered(sub: Subscription): void {
    sub.inFlight--;
    sub.delivered++;
  }

  /** The single pending delivery {@link invokePlain} handed over failed with `error`. */
  oneFailed(sub: Subscription, signal: Signal, error: unknown): void {
    sub.inFlight--;
    const failure = rejection(sub, signal, error);
    if (failure === SETTLED) sub.delivered++;
    else {
      sub.failed++;
      this.#report(new SubscriberError(this.#name, sub.id, signal.id, failure));
    }
  }
}

/** What {@link rejection} returns when the subscription's hook settled the failure itself. */
const SETTLED: unique symbol = Symbol('settled');

/**
 * A delivery of `sub` rejected with `error`: `SETTLED` when its rejection hook took care of
 * it (the delivery counts as succeeded), else the error to fail it with (what the hook
 * threw, if it threw; `error` itself without a hook).
 */
function rejection(sub: Subscription, signal: Signal, error: unknown): unknown {
  const hook = sub.onRejected;
  if (hook === undefined) return error;
  try {
    return hook(error, signal) ? error : SETTLED;
  } catch (thrown) {
    return thrown;
  }
}
