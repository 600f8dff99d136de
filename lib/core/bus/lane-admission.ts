import { RateLimitedError, type DroppedDelivery } from '../errors/bus.error.js';
import type { SignalRouter } from '../router/signal-router.js';
import type { RecordedSignal } from '../store/signal-store.interface.js';
import { emit } from '../telemetry/telemetry.js';
import type { BusContext } from './bus-context.js';
import type { BusLifecycle } from './bus-lifecycle.js';
import {
  dispatchChannel,
  rateLimitedChannel,
  type BusRateLimitedTelemetryMessage,
} from './bus-telemetry.js';
import { Tracker } from './delivery-tracker.js';
import type { FanOut } from './fan-out.js';
import type { MiddlewarePipeline } from './middleware-pipeline.js';
import type { PublishContext } from './middleware.interface.js';
import type { Lane } from './partition.js';
import type { BusError } from '../errors/bus.error.js';
import type { Subscription } from './subscription.js';
import { isThenable } from '../util/is-thenable.js';

/**
 * The deliveries of one publish that go to one lane: delivery k = `subs[k]` × `entries[k]`.
 * @internal
 */
export class LaneBatch extends Tracker {
  readonly subs: Subscription[] = [];
  readonly entries: RecordedSignal[] = [];

  constructor(
    context: PublishContext | undefined,
    readonly lane: Lane,
    onDone: () => void,
  ) {
    super(context, onDone);
  }
}

/**
 * The partitions of a bus with `partitionCount` > 1: a publish's deliveries are split by
 * lane, charged to each lane's token bucket (the excess is dropped and reported) and run
 * FIFO per lane; `beforeDispatch` middleware holds the lane while it is asynchronous.
 * @internal
 */
export class LaneAdmission {
  readonly #name: string;
  readonly #lanes: readonly Lane[];
  readonly #router: SignalRouter<Subscription>;
  readonly #pipeline: MiddlewarePipeline;
  readonly #report: (error: BusError) => void;
  readonly #life: BusLifecycle;
  readonly #fanOut: FanOut;

  constructor(context: BusContext, lanes: readonly Lane[], life: BusLifecycle, fanOut: FanOut) {
    this.#name = context.name;
    this.#lanes = lanes;
    this.#router = context.router;
    this.#pipeline = context.pipeline;
    this.#report = context.report;
    this.#life = life;
    this.#fanOut = fanOut;
  }

  /** Split a publish's deliveries by lane, charge each lane's bucket, enqueue. */
  admit(entries: readonly RecordedSignal[], context: PublishContext | undefined): void {
    const lanes = this.#lanes;
    const life = this.#life;
    const batches: (LaneBatch | undefined)[] = new Array<LaneBatch | undefined>(lanes.length);
    for (const entry of entries) {
      const subs = this.#router.route(entry.signal.type);
      for (let j = 0; j < subs.length; j++) {
        const sub = subs[j];
        if (sub.removed) continue;
        const batch = (batches[sub.partition] ??= new LaneBatch(
          context,
          lanes[sub.partition],
          life.closing ? life.settle : life.settleEarly,
        ));
        batch.subs.push(sub);
        batch.entries.push(entry);
      }
    }
    for (const batch of batches) {
      if (batch === undefined) continue;
      const lane = batch.lane;
      const requested = batch.subs.length;
      const available = Math.floor(lane.bucket.available());
      const granted = lane.bucket.take(requested);
      if (granted < requested) this.#rateLimited(batch, granted, requested, available);
      if (granted === 0) continue;
      life.active++;
      if (batch.onDone === life.settleEarly) life.early++;
      lane.enqueue(() => this.#runBatch(batch));
    }
  }

  #rateLimited(batch: LaneBatch, granted: number, requested: number, available: number): void {
    const dropped: DroppedDelivery[] = [];
    for (let k = granted; k < requested; k++) {
      const sub = batch.subs[k];
      const entry = batch.entries[k];
      sub.rateLimited++;
      dropped.push({ subscriptionId: sub.id, signalId: entry.signal.id, logId: entry.logId });
    }
    batch.subs.length = granted;
    batch.entries.length = granted;
    const partition = batch.lane.index;
    emit(rateLimitedChannel, (): BusRateLimitedTelemetryMessage => ({
      bus: this.#name,
      partition,
      dropped: dropped.length,
      requested,
      available,
    }));
    this.#report(new RateLimitedError(this.#name, partition, dropped, requested, available));
  }

  /** Run one lane batch: hold the lane while `beforeDispatch` is asynchronous. */
  #runBatch(batch: LaneBatch): void | Promise<void> {
    const held = this.#runBatchFrom(batch, 0);
    if (held === undefined) {
      batch.release();
      return;
    }
    return held.then(() => batch.release());
  }

  #runBatchFrom(batch: LaneBatch, k: number): void | Promise<void> {
    const partition = batch.lane.index;
    const observed = dispatchChannel.hasSubscribers;
    const withMiddleware = this.#pipeline.hasBeforeDispatch;
    for (; k < batch.subs.length; k++) {
      const sub = batch.subs[k];
      const entry = batch.entries[k];
      if (sub.removed) continue;
      if (!withMiddleware) {
        this.#fanOut.deliver(batch, sub, entry.signal, entry.logId, partition, observed);
        continue;
      }
      const verdict = this.#pipeline.beforeDispatch(
        entry.signal,
        sub.info(),
        this.#fanOut.dispatchContext(batch, entry.logId, partition),
      );
      if (isThenable(verdict)) {
        const at = k;
        return verdict.then((v) => {
          this.#fanOut.apply(batch, sub, entry, partition, v);
          return this.#runBatchFrom(batch, at + 1);
        });
      }
      this.#fanOut.apply(batch, sub, entry, partition, verdict);
    }
  }
}
