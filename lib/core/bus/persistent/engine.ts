import type { DeliveryContext } from '../../dispatch/adapter.interface.js';
import type { BusError } from '../../errors/bus.error.js';
import type { Signal } from '../../signal/signal.js';
import type { SignalStore } from '../../store/signal-store.interface.js';
import type { DeliveryScope } from '../delivery-scope.js';

/**
 * How a subscription receives a signal: returns the handler's result (maybe a promise). A
 * function declaring the third parameter gets a `DeliveryContext` from persistent engines.
 */
export type DeliverFunction = (
  signal: Signal,
  logId: string,
  delivery?: DeliveryContext,
) => unknown;

/** Options of `SignalBus.nack`. */
export interface NackOptions {
  /** `false` dead-letters the signal at once (JetStream `term`). @default true */
  requeue?: boolean;
  /** Redeliver after this many ms instead of the subscription's backoff. @default the backoff */
  delay?: number;
  /** Recorded as the DLQ entry's last error message. @default 'nacked' */
  reason?: string;
}

/** Result of `SignalBus.reconnect`. */
export interface ReconnectResult {
  /** Ack floor: every matching entry up to it is acked or dead-lettered (`undefined` before the first). */
  readonly checkpoint: string | undefined;
  /** Unacked deliveries sent again to the new receiver. */
  readonly redelivered: number;
}

/** Result of `bus.dlq.redrive`. */
export interface RedriveResult {
  /** DLQ entries sent back through the subscription (they leave the DLQ once acked). */
  readonly redriven: number;
  /** Entries that could not be taken (subscription full); they stay in the DLQ. */
  readonly failed: number;
}

/**
 * Counters of a persistent subscription (`stats().subscriptions[i].persistence`).
 * `inFlight + pending + retrying ≤ maxInFlight + maxPending` always holds, and so do
 * `inFlight ≤ maxInFlight` and (once loaded, while running) `pending ≤ maxPending`.
 */
export interface PersistentStats {
  /** Deliveries handed over and not acked yet (a handler still running included); at most `maxInFlight`. */
  readonly inFlight: number;
  /** Signals waiting for a delivery slot (not handed over yet, or due for a redelivery). */
  readonly pending: number;
  /** Signals that failed an attempt and wait for their retry time (backoff, nack delay). */
  readonly retrying: number;
  /** Successful dispatches (first deliveries and redeliveries). */
  readonly delivered: number;
  /** Signals acked (explicitly or by `autoAck`). */
  readonly acked: number;
  /** Retries scheduled (dispatch failures, nacks, ack timeouts). */
  readonly retried: number;
  /** Signals dead-lettered (those whose DLQ entry was then discarded included). */
  readonly deadLettered: number;
  /** DLQ entries discarded because the DLQ held `maxDlqSize` entries (see `dlqOverflow`). */
  readonly dlqDropped: number;
  /** `maxDlqSize`. */
  readonly maxDlqSize: number;
  /** DLQ entries redriven. */
  readonly redriven: number;
  /** The ack floor (log id), `undefined` before the first ack. */
  readonly checkpoint: string | undefined;
  /** `maxInFlight`. */
  readonly maxInFlight: number;
  /** `maxPending`. */
  readonly maxPending: number;
  /** Secret-free description of the current receiver. */
  readonly target: string;
}

/**
 * What the bus lends a persistent engine: its name, its store (a `DistributedSignalStore`
 * for the remote engine), the delivery scope and the error report.
 * @internal
 */
export interface PersistentHost<S extends SignalStore = SignalStore> {
  readonly bus: string;
  readonly store: S;
  /** The bus's delivery scope now (the drain replaces it when shutdown starts). */
  readonly scope: () => DeliveryScope | undefined;
  readonly report: (error: BusError) => void;
}

/**
 * What a bus needs of a persistent subscription's machinery: the in-process
 * `PersistentSubscription` or the remote one over a distributed store.
 * @internal
 */
export interface PersistentEngine {
  readonly id: string;
  readonly pattern: string;
  readonly createdAt: number;
  load(): Promise<void>;
  halt(): void;
  stop(persist: boolean): Promise<void>;
  destroy(): Promise<void>;
  ack(ids: string | readonly string[]): void;
  nack(id: string, options?: NackOptions): void;
  reconnect(deliver: DeliverFunction, target: string): ReconnectResult;
  /** `ids`: only these DLQ entries (the listing is then not limited). */
  redrive(
    limit: number | undefined,
    clearOnSuccess?: boolean,
    ids?: ReadonlySet<string>,
  ): Promise<RedriveResult>;
  forgetRedrives(): void;
  stats(): PersistentStats;
}
