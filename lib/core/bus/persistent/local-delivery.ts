import { keepShape } from '../../util/keep-shape.js';
import type { DeliveryController } from '../../dispatch/delivery-controller.js';
import type { Signal } from '../../signal/signal.js';
import type { LastError } from './failure.js';

// States of one tracked signal.
export const QUEUED = 0; // waiting for a delivery slot (in `#queue`)
export const DISPATCHING = 1; // handed to the receiver, dispatch not settled
export const IN_FLIGHT = 2; // dispatched, awaiting an ack
export const WAITING = 3; // failed, waiting for its retry time (in `#heap`)
export const DONE = 4; // acked or dead-lettered

// One instance of each stays alive (see keepShape).
let deliveryKept = false;
let batchKept = false;

/** One signal tracked by the in-process engine. @internal */
export class Delivery {
  state = QUEUED;
  firstAttemptAt = 0;
  lastAttemptAt = 0;
  /** Ack deadline (IN_FLIGHT) or retry time (WAITING). */
  deadline = 0;
  /** Bumped per dispatch so a stale settlement is ignored. */
  seq = 0;
  lastError: LastError | undefined = undefined;

  constructor(
    /** `logId`, or `dlq:<id>` for a redriven entry whose log id is tracked already. */
    readonly key: string,
    readonly logId: string | undefined,
    readonly signal: Signal,
    /** Part of the log order (counts for the ack floor); redriven entries are not. */
    readonly ordered: boolean,
    /** DLQ entry this delivery was redriven from. */
    readonly dlqId: string | undefined,
    /** Delivery attempts made. */
    public attempts: number,
  ) {
    if (!deliveryKept) {
      deliveryKept = true;
      keepShape(this); // done, it holds only its ids (`releaseSignal`, `LocalQueue.forget`)
    }
  }

  /** Abort handle of a running (DISPATCHING) delivery whose receiver takes a context. */
  ctl: DeliveryController | undefined = undefined;
  /** The publish waiting for this delivery's first attempt to settle. */
  batch: BatchWait | undefined = undefined;
  /** Neighbours in the engine's list of tracked deliveries (see `LocalQueue`). */
  prev: Delivery | undefined = undefined;
  next: Delivery | undefined = undefined;
}

/**
 * What a publish waits for: the first attempts its signals started, each until it settles
 * (handler returned or threw, dispatch done) or its ack deadline passes. One per batch (or
 * one over the batches of several subscriptions, see `PersistentRegistry.enqueue`). A
 * callback rather than a promise: the publish settles in the same turn as its last attempt.
 * @internal
 */
export class BatchWait {
  /** Attempts not settled yet; it never grows again once it is 0. */
  left = 0;
  #then: (() => void) | undefined = undefined;

  constructor() {
    if (!batchKept) {
      batchKept = true;
      keepShape(this); // settled, it holds nothing
    }
  }

  /** One attempt settled: the last one calls the callbacks. */
  release(): void {
    if (--this.left !== 0) return;
    const then = this.#then;
    this.#then = undefined;
    then?.();
  }

  /** Call `callback` once every attempt settled — now, if they have. */
  whenSettled(callback: () => void): void {
    if (this.left === 0) {
      callback();
      return;
    }
    const before = this.#then;
    this.#then =
      before === undefined
        ? callback
        : () => {
            before();
            callback();
          };
  }

  /** A promise of {@link whenSettled}. */
  settled(): Promise<void> {
    return new Promise<void>((resolve) => this.whenSettled(resolve));
  }
}

/**
 * What the publish being enqueued waits for: the first attempts its signals started that
 * did not settle at once (see `PersistentSubscription.endBatch`).
 * @internal
 */
export class PublishWaits {
  /** Set while a publish's signals are dispatched: first attempts started then join `#batch`. */
  #collecting = false;
  #batch: BatchWait | undefined;

  /** A publish starts enqueueing. */
  begin(): void {
    this.#batch = undefined;
  }

  /**
   * Run `dispatch` (the engine's pump) collecting the attempts it starts.
   * @returns what the publish waits for, or `undefined` when every attempt settled at once
   */
  collect(dispatch: () => void): BatchWait | undefined {
    this.run(dispatch);
    const batch = this.#batch;
    this.#batch = undefined;
    return batch !== undefined && batch.left > 0 ? batch : undefined;
  }

  /** Run `dispatch`: the attempts it starts join the publish being enqueued. */
  run(dispatch: () => void): void {
    const was = this.#collecting;
    this.#collecting = true;
    try {
      dispatch();
    } finally {
      this.#collecting = was;
    }
  }

  /** `d`'s attempt runs on: the publish being collected, if any, waits for it. */
  join(d: Delivery): void {
    if (!this.#collecting) return;
    const batch = (this.#batch ??= new BatchWait());
    batch.left++;
    d.batch = batch;
  }
}

/**
 * `d` is acked or dead-lettered: let its signal go. The delivery itself may stay in the
 * ack-floor order for a while (behind an older unacked one), and only its log id is read
 * there — keeping every signal above a stuck floor alive made a dead-letter burst grow
 * memory without bound.
 */
export function releaseSignal(d: Delivery): void {
  (d as { signal: Signal | undefined }).signal = undefined;
  d.lastError = undefined;
}

/** `d`'s first attempt settled: release the publish waiting for it, if any. */
export function releaseBatch(d: Delivery): void {
  const b = d.batch;
  if (b === undefined) return;
  d.batch = undefined;
  b.release();
}
