import type { SubscriptionState } from '../../store/signal-store.interface.js';
import { Fifo } from './fifo.js';
import { Delivery, DONE } from './local-delivery.js';
import type { LocalDlq } from './local-dlq.js';
import type { PersistentHost } from './engine.js';
import { assertStoredPattern, type StartSpec } from './options.js';
import type { StoreWrites } from './writes.js';

/** What the in-process engine resumes from (see {@link LocalCheckpoint.resume}). @internal */
export interface Resumed {
  /** When the stored subscription was created (`undefined`: it is new). */
  readonly createdAt: number | undefined;
  /** The history from the floor on, in log order; acked entries are `DONE`. */
  readonly history: readonly Delivery[];
  /**
   * A new subscription starting after this log id (`startFrom: 'current'`, or `after`): live
   * signals recorded at or before it arrived while it was opening and are not for it.
   */
  readonly startsAfter: string | undefined;
}

/**
 * The checkpoint of the in-process engine: the log order of its deliveries from the ack
 * floor on, the floor itself, and the coalesced writes of the subscription state (at most
 * once per `checkpointInterval`, always after the DLQ writes issued before).
 * @internal
 */
export class LocalCheckpoint {
  /** Ack floor: every ordered delivery up to it is acked or dead-lettered. */
  floor: string | undefined;
  /** Ordered deliveries from the floor on. */
  readonly #order = new Fifo<Delivery>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: PersistentHost,
    private readonly interval: number,
    private readonly writes: StoreWrites,
    /** The state to write. */
    private readonly snapshot: () => SubscriptionState,
    /** Reports a failed write of a scheduled flush. */
    private readonly report: (error: unknown) => void,
  ) {}

  /** Resolves once the writes of the state issued so far are done. */
  get written(): Promise<void> {
    return this.#chain;
  }

  /** Add `d` to the log order. */
  push(d: Delivery): void {
    this.#order.push(d);
  }

  /** Advance the ack floor past every leading acked or dead-lettered entry. */
  advance(): void {
    const order = this.#order;
    for (let d = order.peek(); d !== undefined && d.state === DONE; d = order.peek()) {
      this.floor = d.logId;
      order.shift();
    }
  }

  /**
   * The subscription state to store: `base` plus the floor, the log ids above it already
   * acked or dead-lettered, and the attempts of the `tracked` deliveries in the log order.
   */
  state(
    base: Omit<SubscriptionState, 'ackFloor' | 'acked' | 'attempts'>,
    tracked: Iterable<Delivery>,
  ): SubscriptionState {
    const acked: string[] = [];
    const order = this.#order;
    for (let i = 0; i < order.size; i++) {
      const d = order.at(i);
      if (d.state === DONE) acked.push(d.logId!);
    }
    const attempts: Record<string, number> = {};
    for (const d of tracked) {
      if (d.ordered && d.attempts > 0) attempts[d.key] = d.attempts;
    }
    const floor = this.floor;
    return {
      subscriptionId: base.subscriptionId,
      pattern: base.pattern,
      options: base.options,
      ...(floor === undefined ? {} : { ackFloor: floor }),
      acked,
      attempts,
      createdAt: base.createdAt,
    };
  }

  /** Write the state within `checkpointInterval` (once for every call until then). */
  schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(this.#onTimer, this.interval);
    this.#timer.unref();
  }

  /** Drop a scheduled write. */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.flush().catch(this.report);
  };

  /** Write the state after every DLQ write issued so far (a crash never skips a signal). */
  flush(): Promise<void> {
    const run = this.#chain.then(async () => {
      await this.writes.settle();
      await this.host.store.putSubscription(this.host.bus, this.snapshot());
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Load the stored state of subscription `id` (resume: the floor, acked entries, attempts,
   * the DLQ ids) or write a fresh one, and read the history not acked yet from the log.
   * @param persisted - the options kept in the state (their `start` becomes the stored one)
   * @throws BusOptionError when the stored subscription has another pattern; store errors
   */
  async resume(
    id: string,
    pattern: string,
    start: StartSpec,
    persisted: Record<string, unknown>,
    dlq: LocalDlq,
  ): Promise<Resumed> {
    const { store, bus } = this.host;
    const existing = await store.getSubscription(bus, id);
    let acked: ReadonlySet<string> = new Set<string>();
    let attempts: Readonly<Record<string, number>> = {};
    assertStoredPattern(bus, id, existing, pattern);
    if (existing !== undefined) {
      this.floor = existing.ackFloor;
      const stored = existing.options.start as StartSpec | undefined;
      start = stored ?? {};
      persisted.start = { ...start };
      acked = new Set(existing.acked);
      attempts = existing.attempts;
    } else {
      await store.putSubscription(bus, this.snapshot());
    }
    const fresh = existing === undefined && start.after !== undefined && start.since === undefined;
    const entries = fresh
      ? []
      : await store.read(bus, {
          afterLogId: this.floor ?? start.after,
          since: this.floor === undefined ? start.since : undefined,
          pattern,
        });
    if (existing !== undefined && dlq.bounded) await dlq.load();
    const history = entries.map(({ logId, signal }) => {
      const d = new Delivery(logId, logId, signal, true, undefined, attempts[logId] ?? 0);
      if (acked.has(logId)) d.state = DONE;
      return d;
    });
    return {
      createdAt: existing?.createdAt,
      history,
      startsAfter: fresh ? start.after : undefined,
    };
  }
}
