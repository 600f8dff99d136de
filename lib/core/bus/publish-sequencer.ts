import {
  BusClosedError,
  PublishHandlersError,
  type BusError,
  type SubscriberError,
} from '../errors/bus.error.js';
import { JidoSignalError } from '../errors/jido-signal.error.js';
import { CausalityContext } from '../journal/causality-context.js';
import { recordPublished } from '../journal/record-published.js';
import type { SignalJournal } from '../journal/signal-journal.js';
import { Signal } from '../signal/signal.js';
import type { RecordedSignal, SignalStore } from '../store/signal-store.interface.js';
import { asError } from '../util/as-error.js';
import type { BusContext, PersistentRouting } from './bus-context.js';
import type { BatchWait } from './persistent/local-delivery.js';
import type { BusLifecycle } from './bus-lifecycle.js';
import { handlerErrorsProblem, type PublishOptions } from './bus-options.js';
import { dispatchChannel, publishChannel, publishMessage } from './bus-telemetry.js';
import { Tracker } from './delivery-tracker.js';
import type { FanOut } from './fan-out.js';
import type { LaneAdmission } from './lane-admission.js';
import type { MiddlewarePipeline } from './middleware-pipeline.js';
import { publishRefusal, signalList } from './publish-input.js';
import type { PublishContext } from './middleware.interface.js';
import type { Retention } from './retention.js';
import type { Subscription } from './subscription.js';

const NONE: RecordedSignal[] = [];

/** A publish waiting for its turn. */
class QueuedPublish {
  constructor(
    readonly signals: readonly Signal[],
    readonly resolve: (entries: RecordedSignal[]) => void,
    readonly reject: (error: unknown) => void,
    /** Entries another instance recorded (distributed store): deliver only. */
    readonly recorded?: RecordedSignal[],
    /** Reject with the ordinary subscribers' failures (`handlerErrors: 'reject'`). */
    readonly collect = false,
  ) {}
}

/**
 * The publish queue of a bus: publishes are serialized FIFO — recorded in call order, their
 * signals handed over in log order — and each is started once the running one has recorded
 * and handed over its signals (not when its deliveries settle). On a bus without middleware
 * or persistent subscriptions, publishes that queued up meanwhile are recorded together with
 * one store append (group commit). Entries other instances recorded (distributed store) take
 * the same queue to be delivered in log order.
 * @internal
 */
export class PublishSequencer {
  /** Signals recorded by this bus instance since it started. */
  published = 0;
  readonly #context: BusContext;
  readonly #name: string;
  readonly #store: SignalStore;
  readonly #pipeline: MiddlewarePipeline;
  readonly #journal: SignalJournal | undefined;
  readonly #maxLogSize: number;
  readonly #persistent: PersistentRouting;
  readonly #report: (error: BusError) => void;
  readonly #life: BusLifecycle;
  readonly #fanOut: FanOut;
  /** The partitions; undefined on a bus without partitions. */
  readonly #lanes: LaneAdmission | undefined;
  readonly #retention: Retention;
  /** Publishes waiting for their turn, FIFO from `#head`. */
  readonly #queue: (QueuedPublish | undefined)[] = [];
  #head = 0;
  /** A publish holds the turn. */
  #sequencing = false;
  /** `#pump` is running; a nested call sets `#pumpAgain` instead of recursing. */
  #pumping = false;
  #pumpAgain = false;
  /**
   * The {@link #runPlain} publish whose single pending delivery (to `#lone`) the prebuilt
   * `#loneDelivered`/`#loneFailed` settle — no closures per publish; at most one at a time
   * (publishes meanwhile get their own callbacks) — and its signal, entries and `early`.
   */
  #lone: Subscription | undefined;
  #loneSignal: Signal | undefined;
  #loneEntries: RecordedSignal[] = NONE;
  #loneEarly = false;
  readonly #loneDelivered = (): RecordedSignal[] => {
    this.#fanOut.oneDelivered(this.#lone!);
    return this.#loneDone();
  };
  readonly #loneFailed = (error: unknown): RecordedSignal[] => {
    this.#fanOut.oneFailed(this.#lone!, this.#loneSignal!, error);
    return this.#loneDone();
  };
  /**
   * Trackers of `handlerErrors: 'reject'` publishes being delivered, by signal id: failures
   * a handler wrapper reports itself (`reportSubscriberError`) join their publish's.
   */
  readonly #collecting = new Map<string, Tracker>();

  constructor(
    context: BusContext,
    life: BusLifecycle,
    fanOut: FanOut,
    lanes: LaneAdmission | undefined,
    retention: Retention,
  ) {
    this.#context = context;
    this.#name = context.name;
    this.#store = context.store;
    this.#pipeline = context.pipeline;
    this.#journal = context.journal;
    this.#maxLogSize = context.maxLogSize;
    this.#persistent = context.persistent;
    this.#report = context.report;
    this.#life = life;
    this.#fanOut = fanOut;
    this.#lanes = lanes;
    this.#retention = retention;
  }

  /** Publishes accepted and not settled yet (queued, recording or delivering). */
  pending = 0;

  /**
   * Deliver an entry another instance recorded (distributed store) through the queue, in
   * log order, to the ordinary subscriptions and streams.
   */
  deliverRecorded(entry: RecordedSignal): void {
    this.#life.active++;
    const recorded = [entry];
    const settle = (): void => undefined;
    if (!this.#sequencing) {
      this.#sequencing = true;
      this.#run([entry.signal], 1, recorded).then(settle, settle);
    } else {
      this.#queue.push(new QueuedPublish([entry.signal], settle, settle, recorded));
    }
  }

  /** A failure a handler wrapper reported itself joins its `handlerErrors: 'reject'` publish. */
  collectFailure(signalId: string, error: SubscriberError): void {
    if (this.#collecting.size !== 0) this.#collecting.get(signalId)?.failures?.push(error);
  }

  /** Validate a publish and start it, or queue it for its turn (see `SignalBus.publish`). */
  publish(
    signals: Signal | readonly Signal[],
    options: PublishOptions | undefined,
  ): Promise<RecordedSignal[]> {
    if (this.#life.closing && !this.#life.admitsWhileClosing()) return this.#refuse(signals);
    let collect = this.#context.rejectHandlerErrors;
    const mode = typeof options === 'object' && options !== null ? options.handlerErrors : options;
    if (mode !== undefined) {
      const problem = handlerErrorsProblem(
        this.#name,
        'publish option',
        mode,
        this.#lanes !== undefined,
      );
      if (problem !== undefined) return Promise.reject(problem);
      collect = mode === 'reject';
    }
    let list: readonly Signal[];
    if (signals instanceof Signal) list = [signals];
    else {
      const checked = signalList(this.#name, signals);
      if (!Array.isArray(checked)) return Promise.reject(checked);
      if (checked.length === 0) return Promise.resolve([]);
      list = checked;
    }
    // Published from inside a handler: link the new signals to the handled one.
    if (this.#context.causality && CausalityContext.current() !== undefined) {
      list = list.map((s) => CausalityContext.applyCausality(s));
    }
    this.#life.active++;
    this.pending++;
    if (!this.#sequencing) {
      // Idle bus: start at once.
      this.#sequencing = true;
      return !collect && this.#plain()
        ? this.#runPlain(list)
        : this.#run(list, 1, undefined, collect);
    }
    // Wait for the turn, FIFO: `#pump` starts queued publishes once the running one has
    // recorded and handed over its signals — several at once (one store append) when the
    // bus has no middleware.
    return new Promise<RecordedSignal[]>((resolve, reject) => {
      this.#queue.push(new QueuedPublish(list, resolve, reject, undefined, collect));
    });
  }

  /**
   * Whether a publish may take {@link #runPlain}: no middleware, partition, delivery scope
   * (nor OpenTelemetry's) or dispatch telemetry, and a synchronous store whose size is known
   * (or unbounded).
   */
  #plain(): boolean {
    return (
      this.#pipeline.isEmpty &&
      this.#lanes === undefined &&
      // No delivery scope, OpenTelemetry's included (when it was unregistered, this also
      // releases its channel listeners, as a delivery on the other paths would).
      this.#context.currentScope() === undefined &&
      !dispatchChannel.hasSubscribers &&
      this.#store.appendSync !== undefined &&
      (this.#retention.knownSize !== undefined || this.#maxLogSize === Infinity)
    );
  }

  /**
   * {@link #run} for the common case ({@link #plain}, one publish, not `'reject'`), without
   * an async function: record synchronously, deliver, and settle the publish when its
   * deliveries have — with callbacks on the single pending delivery, if any. Same order of
   * effects as `#run`; the caller holds the turn.
   */
  #runPlain(list: readonly Signal[]): Promise<RecordedSignal[]> {
    const early = !this.#life.closing;
    if (early) this.#life.early++;
    let entries: RecordedSignal[];
    let pending: Promise<unknown> | Tracker | undefined;
    let persisting: BatchWait | undefined;
    let sub: Subscription | undefined;
    let signal: Signal | undefined;
    const persistent = this.#persistent.hasPersistent();
    // This publish holds the turn until it hands it on (`#pump`), also when it fails.
    let turn = true;
    try {
      try {
        // Persistent subscriptions refuse a publish they cannot take before anything is
        // recorded (QueueFullError): nobody receives any of its signals.
        if (persistent) this.#persistent.checkPersistent(list);
        entries = this.#store.appendSync!(this.#name, list);
        // Recorded before delivery (and in publish order), so causes precede effects.
        if (this.#journal !== undefined) void recordPublished(this.#journal, list);
      } catch (error) {
        turn = false;
        throw this.#recordingFailed(error);
      }
      const n = entries.length;
      this.published += n;
      if (publishChannel.hasSubscribers) {
        publishChannel.publish(publishMessage(this.#name, entries, false, this.#context));
      }
      if (persistent) persisting = this.#persistent.enqueuePersistent(entries);
      if (this.#retention.knownSize !== undefined) {
        this.#retention.knownSize += n;
        if (this.#retention.knownSize > this.#maxLogSize) this.#retention.trimToSize();
      }
      const fanOut = this.#fanOut;
      pending = fanOut.invokePlain(entries);
      sub = fanOut.oneSub;
      if (sub !== undefined) {
        signal = fanOut.oneSignal!;
        fanOut.oneSub = fanOut.oneSignal = undefined;
      }
      turn = false;
      this.#pump();
    } catch (error) {
      if (turn) this.#pump();
      this.#endRun(early);
      return Promise.reject(asError(error));
    }
    if (persisting !== undefined)
      return this.#afterPersisting(persisting, pending, sub, signal, entries, early);
    if (pending === undefined) {
      // Every delivery settled synchronously.
      this.#endRun(early);
      return Promise.resolve(entries);
    }
    if (pending instanceof Tracker) {
      // Several pending deliveries, settled by their own callbacks.
      const tracker = pending;
      return new Promise<RecordedSignal[]>((resolve) =>
        tracker.finishThen(() => {
          this.#endRun(early);
          resolve(entries);
        }),
      );
    }
    // One pending delivery (a native promise): settle it here, without a tracker.
    if (this.#lone === undefined) {
      // The common case, one awaited publish at a time: the prebuilt callbacks settle it.
      this.#lone = sub;
      this.#loneSignal = signal;
      this.#loneEntries = entries;
      this.#loneEarly = early;
      return pending.then(this.#loneDelivered, this.#loneFailed);
    }
    const one = sub!;
    return pending.then(
      () => {
        this.#fanOut.oneDelivered(one);
        this.#endRun(early);
        return entries;
      },
      (error: unknown) => {
        this.#fanOut.oneFailed(one, signal!, error);
        this.#endRun(early);
        return entries;
      },
    );
  }

  /**
   * Settle a {@link #runPlain} publish whose persistent first attempts run on: once they
   * and its ordinary deliveries (`pending`; one delivery to `sub` when set) settled.
   */
  #afterPersisting(
    persisting: BatchWait,
    pending: Promise<unknown> | Tracker | undefined,
    sub: Subscription | undefined,
    signal: Signal | undefined,
    entries: RecordedSignal[],
    early: boolean,
  ): Promise<RecordedSignal[]> {
    return new Promise<RecordedSignal[]>((resolve) => {
      const done = (): void => {
        this.#endRun(early);
        resolve(entries);
      };
      if (pending === undefined) {
        persisting.whenSettled(done);
        return;
      }
      const fanOut = this.#fanOut;
      const after = (): void => persisting.whenSettled(done);
      if (pending instanceof Tracker) {
        // Several pending deliveries, settled by their own callbacks.
        pending.finishThen(after);
        return;
      }
      void pending.then(
        () => {
          fanOut.oneDelivered(sub!);
          after();
        },
        (error: unknown) => {
          fanOut.oneFailed(sub!, signal!, error);
          after();
        },
      );
    });
  }

  /** The lone publish settled: free its slot and end its run; returns its entries. */
  #loneDone(): RecordedSignal[] {
    const entries = this.#loneEntries;
    const early = this.#loneEarly;
    this.#lone = this.#loneSignal = undefined;
    this.#loneEntries = NONE;
    this.#endRun(early);
    return entries;
  }

  /** Recording a publish failed: release the turn; returns the error to reject it with. */
  #recordingFailed(error: unknown): unknown {
    this.#pump();
    return error instanceof JidoSignalError
      ? error
      : this.#context.storeError('Recording the publish failed', error);
  }

  /** A publish started by `#runPlain` settled (for `close()`). */
  #endRun(early: boolean): void {
    this.pending--;
    if (early) this.#life.earlyDone();
    this.#life.settle();
  }

  /**
   * Record `list` and deliver it; the caller holds the turn. `count` publishes are settled
   * (for `close()`) when it ends: more than one when queued publishes were grouped.
   */
  async #run(
    list: readonly Signal[],
    count: number,
    recorded?: RecordedSignal[],
    collect = false,
  ): Promise<RecordedSignal[]> {
    let failures: SubscriberError[] | undefined;
    let collector: Tracker | undefined;
    let collected: readonly RecordedSignal[] | undefined;
    // Deliveries started before a drain may publish follow-ups outside any context.
    const early = !this.#life.closing;
    if (early) this.#life.early++;
    // This publish holds the turn until it hands it on (`#pump`), also when it fails.
    let turn = true;
    try {
      const pipeline = this.#pipeline;
      const context: PublishContext | undefined = pipeline.isEmpty
        ? undefined
        : { bus: this.#name, publishedAt: Date.now(), metadata: new Map<string, unknown>() };
      let entries: RecordedSignal[];
      try {
        if (recorded !== undefined) entries = recorded;
        else if (
          pipeline.hasBeforePublish &&
          (list = await pipeline.beforePublish(list, context!)).length === 0
        ) {
          entries = [];
        } else {
          if (this.#retention.knownSize === undefined && this.#maxLogSize !== Infinity) {
            this.#retention.knownSize = await this.#store.size(this.#name);
          }
          // Persistent subscriptions refuse a publish they cannot take before anything
          // is recorded (QueueFullError): nobody receives any of its signals.
          if (this.#persistent.hasPersistent()) this.#persistent.checkPersistent(list);
          const store = this.#store;
          entries =
            store.appendSync !== undefined
              ? store.appendSync(this.#name, list)
              : await store.append(this.#name, list);
          // Recorded before delivery (and in publish order), so causes precede effects.
          if (this.#journal !== undefined) void recordPublished(this.#journal, list);
        }
      } catch (error) {
        turn = false;
        throw this.#recordingFailed(error);
      }
      const n = entries.length;
      if (n === 0) {
        turn = false;
        this.#pump();
        return entries;
      }
      if (recorded === undefined) this.published += n;
      if (recorded === undefined && publishChannel.hasSubscribers) {
        publishChannel.publish(
          publishMessage(this.#name, entries, this.#lanes !== undefined, this.#context),
        );
      }
      const persisting = this.#persistent.hasPersistent()
        ? this.#persistent.enqueuePersistent(entries)
        : undefined;
      if (this.#retention.knownSize !== undefined && recorded === undefined) {
        this.#retention.knownSize += n;
        // Issued now, not awaited: MemoryStore applies it at once; a remote store soon
        // after. `close()` waits for it and failures are reported on errors$.
        if (this.#retention.knownSize > this.#maxLogSize) this.#retention.trimToSize();
      }
      if (this.#lanes !== undefined) {
        this.#lanes.admit(entries, context);
        turn = false;
        this.#pump();
      } else if (
        pipeline.hasBeforeDispatch ||
        pipeline.hasAfterDispatch ||
        this.#context.currentScope() !== undefined ||
        dispatchChannel.hasSubscribers ||
        collect
      ) {
        const tracker = new Tracker(context);
        if (collect) {
          collector = tracker;
          failures = tracker.failures = [];
          collected = entries;
          for (let i = 0; i < n; i++) this.#collecting.set(entries[i].signal.id, tracker);
        }
        if (pipeline.hasBeforeDispatch) {
          const invoking = this.#fanOut.invokeFrom(tracker, entries, 0, 0, undefined);
          if (invoking !== undefined) await invoking;
        } else {
          this.#fanOut.invoke(tracker, entries);
        }
        turn = false;
        this.#pump();
        const settled = tracker.finish();
        if (settled !== undefined) await settled;
      } else {
        const fanOut = this.#fanOut;
        const pending = fanOut.invokePlain(entries);
        const sub = fanOut.oneSub;
        const signal = fanOut.oneSignal;
        fanOut.oneSub = fanOut.oneSignal = undefined;
        turn = false;
        this.#pump();
        if (pending === undefined) {
          // Every delivery settled synchronously.
        } else if (pending instanceof Tracker) {
          await pending.finish(); // several pending deliveries, settled by their own callbacks
        } else {
          // One pending delivery: await it here, without callbacks.
          try {
            await pending;
            fanOut.oneDelivered(sub!);
          } catch (error) {
            fanOut.oneFailed(sub!, signal!, error);
          }
        }
      }
      if (persisting !== undefined) await persisting.settled();
      if (pipeline.hasAfterPublish && recorded === undefined) {
        const after = pipeline.afterPublish(entries, context!, this.#report);
        if (after !== undefined) await after;
      }
      if (failures !== undefined && failures.length > 0) {
        throw new PublishHandlersError(this.#name, failures, entries);
      }
      return entries;
    } finally {
      if (turn) this.#pump();
      if (collected !== undefined) {
        for (let i = 0; i < collected.length; i++) {
          const id = collected[i].signal.id;
          if (this.#collecting.get(id) === collector) this.#collecting.delete(id);
        }
      }
      if (recorded === undefined) this.pending -= count;
      if (early) this.#life.earlyDone();
      this.#life.settle(count);
    }
  }

  /**
   * The running publish handed its signals over: start the next queued one — or, on a bus
   * without middleware, every queued one as a group sharing one store append — or go idle.
   */
  #pump(): void {
    // Iterate, never recurse: a publish started here may release its turn synchronously
    // (a MemoryStore records synchronously), and with a persistent subscription queued
    // publishes are started one by one — recursing went `#run → #pump → #run …` one stack
    // frame set per queued publish and overflowed the stack on a burst. A nested call only
    // asks this loop to go round again.
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    if (this.#queue.length === this.#head) {
      this.#goIdle(); // the common case: nothing queued
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#startNext();
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
  }

  /** Nothing is queued: release the turn. */
  #goIdle(): void {
    if (this.#head > 0) {
      this.#queue.length = 0;
      this.#head = 0;
    }
    this.#sequencing = false;
  }

  /** One step of `#pump`: start the next queued publish (or group), or go idle. */
  #startNext(): void {
    const queue = this.#queue;
    const waiting = queue.length - this.#head;
    if (waiting === 0) {
      this.#goIdle();
      return;
    }
    // Grouped publishes share one record step; a persistent subscription may refuse a
    // publish (queue_full), which must fail only that publish — so no grouping then.
    const first = queue[this.#head]!;
    if (
      waiting === 1 ||
      !this.#pipeline.isEmpty ||
      this.#persistent.hasPersistent() ||
      first.recorded !== undefined ||
      first.collect
    ) {
      queue[this.#head++] = undefined;
      this.#run(first.signals, 1, first.recorded, first.collect).then(first.resolve, first.reject);
      return;
    }
    // Group the local publishes up to the next entry recorded by another instance (or the
    // next publish that collects its own failures).
    let end = this.#head + 1;
    while (end < queue.length && queue[end]!.recorded === undefined && !queue[end]!.collect) {
      end++;
    }
    const jobs = queue.slice(this.#head, end) as QueuedPublish[];
    if (end === queue.length) {
      queue.length = 0;
      this.#head = 0;
    } else {
      queue.fill(undefined, this.#head, end);
      this.#head = end;
    }
    const all: Signal[] = [];
    for (const job of jobs) for (const signal of job.signals) all.push(signal);
    this.#run(all, jobs.length).then(
      (entries) => {
        let at = 0;
        for (const job of jobs) {
          const n = job.signals.length;
          job.resolve(entries.slice(at, at + n));
          at += n;
        }
      },
      (error: unknown) => {
        for (const job of jobs) job.reject(error);
      },
    );
  }

  /** Refuse a publish because the bus is closing or closed: reject, and report it with ids. */
  #refuse(signals: unknown): Promise<never> {
    const error = publishRefusal(this.#name, signals);
    this.#report(error);
    return Promise.reject(error);
  }

  /** The drain is over: refuse (and report) the publishes still waiting for their turn. */
  refuseQueued(): void {
    const queue = this.#queue;
    for (let i = this.#head; i < queue.length; i++) {
      const job = queue[i];
      if (job === undefined) continue;
      queue[i] = undefined;
      if (job.recorded === undefined) {
        this.pending--;
        const error = new BusClosedError(
          this.#name,
          'publish',
          job.signals.map((signal) => signal.id),
        );
        this.#report(error);
        job.reject(error);
      }
      this.#life.settle();
    }
    queue.length = 0;
    this.#head = 0;
  }
}
