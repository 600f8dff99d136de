import type { JidoSignalError } from '../errors/jido-signal.error.js';
import type { RecordedSignal, SignalStore } from './signal-store.interface.js';

/**
 * Where a new durable consumer starts: the whole log, signals recorded after it is created,
 * or a time (ms since the epoch: entries recorded at or after it).
 */
export type ConsumerStart = 'origin' | 'current' | number;

/** What a persistent subscription asks of a distributed store's durable consumer. */
export interface DurableConsumerSpec {
  /** Subscription id; the consumer is named after it and shared by every instance. */
  readonly subscriptionId: string;
  /** Router pattern. The store delivers only matching entries and acks the others away. */
  readonly pattern: string;
  /** Deliveries handed out and not acked yet, across all instances (`max_ack_pending`). */
  readonly maxAckPending: number;
  /** Deliveries per entry the server makes before giving up (`max_deliver`). */
  readonly maxDeliver: number;
  /** Redeliver an entry not acked within this many ms (`ack_wait`). */
  readonly ackWait: number;
  /** Start position of a consumer created now; ignored when it exists already. */
  readonly startFrom: ConsumerStart;
}

/** One delivery of a durable consumer. Settle it exactly once with `ack`, `nak` or `term`. */
export interface DurableMessage {
  readonly entry: RecordedSignal;
  /** 1 on the first delivery, counted by the server across instances. */
  readonly deliveryCount: number;
  /**
   * Done: never redeliver. Sent without waiting for a confirmation: an ack that is lost is
   * redelivered (at least once).
   */
  ack(): void;
  /** Failed: redeliver after `delayMs` (at once without it). */
  nak(delayMs?: number): void;
  /** Give up: never redeliver (the caller dead-lettered it). */
  term(): void;
  /** Still working: restart the `ackWait` clock. */
  working(): void;
}

/** A running durable consumer on this instance. */
export interface DurableConsumer {
  /** Stop pulling. Unsettled deliveries return to the server and are redelivered after `ackWait`. */
  stop(): Promise<void>;
  /** Server-side counters of the shared consumer. */
  info(): Promise<DurableConsumerInfo>;
}

/** Server-side counters of a durable consumer. */
export interface DurableConsumerInfo {
  /** Entries not delivered yet. */
  readonly pending: number;
  /** Delivered and not acked yet (all instances). */
  readonly ackPending: number;
  /** Entries delivered more than once. */
  readonly redelivered: number;
}

/** A live feed of a bus log. */
export interface LogTail {
  /** Stop the feed. */
  stop(): Promise<void>;
}

/**
 * A store shared by several processes (NATS JetStream): besides the {@link SignalStore}
 * contract it feeds every instance the entries other instances append (fan-out) and runs
 * durable consumers that instances compete on (persistent subscriptions). A `SignalBus`
 * over such a store delivers its own publishes at once and the others' from {@link tail}.
 */
export interface DistributedSignalStore extends SignalStore {
  /** Marks the store as distributed. */
  readonly distributed: true;
  /** Id of this store object, stamped on every entry it appends. */
  readonly instanceId: string;
  /** Whether the connection is up right now. */
  readonly connected: boolean;
  /**
   * Feed every entry *other* store objects append to `bus` after this call, in log order,
   * without gaps across reconnects (this store's own appends are skipped).
   */
  tail(bus: string, onEntry: (entry: RecordedSignal) => void): Promise<LogTail>;
  /**
   * Create or resume the durable consumer `spec.subscriptionId` of `bus` and pull from it;
   * each instance that opens the same id competes for its entries.
   */
  openConsumer(
    bus: string,
    spec: DurableConsumerSpec,
    onMessage: (message: DurableMessage) => void,
  ): Promise<DurableConsumer>;
  /** Delete a durable consumer and its server-side state; `false` when there was none. */
  deleteConsumer(bus: string, subscriptionId: string): Promise<boolean>;
  /** Listen to connection changes. @returns a function that removes the listener */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
  /**
   * Listen to failures no caller can be rejected with (a stalled feed, a stream whose server
   * configuration differs from the options, retention held back by a lagging consumer). A bus
   * on the store forwards them to its `errors$`.
   * @returns a function that removes the listener
   */
  onError?(listener: (error: JidoSignalError) => void): () => void;
}

/** Whether `store` is a {@link DistributedSignalStore}. */
export function isDistributedStore(store: SignalStore): store is DistributedSignalStore {
  return (store as Partial<DistributedSignalStore>).distributed === true;
}
