import type { Signal } from '../signal/signal.js';

/** A signal as recorded in a bus log. */
export interface RecordedSignal<S extends Signal = Signal> {
  /**
   * Log position: a UUIDv7 assigned at append time, strictly increasing within a bus, so
   * string order is log order and its timestamp is the record time.
   */
  readonly logId: string;
  /** Milliseconds since the epoch when the signal was appended. */
  readonly recordedAt: number;
  /** The signal as published (after `beforePublish` middleware). */
  readonly signal: S;
}

/** Range query over a bus log. All bounds are optional; results are in log order. */
export interface LogQuery {
  /** Only entries with `logId` strictly greater (exclusive cursor). @default undefined */
  readonly afterLogId?: string;
  /** Only entries recorded at or after this time (ms since the epoch). @default undefined */
  readonly since?: number;
  /** Only entries recorded at or before this time (ms since the epoch). @default undefined */
  readonly until?: number;
  /** Only signals whose type matches this pattern (router grammar). @default undefined (all) */
  readonly pattern?: string;
  /** Only signals whose `correlationid` extension equals this value. @default undefined */
  readonly correlationId?: string;
  /** At most this many entries. @default unlimited */
  readonly limit?: number;
}

/** What {@link SignalStore.trim} removes. */
export interface TrimOptions {
  /** Keep at most this many newest entries. @default undefined (no count limit) */
  readonly maxSize?: number;
  /** Remove entries recorded before this time (ms since the epoch). @default undefined */
  readonly olderThan?: number;
}

/** A dead-lettered signal of one subscription. */
export interface DlqEntry {
  /** Entry id (UUIDv7). */
  readonly id: string;
  readonly subscriptionId: string;
  /** Log position of the signal, when it came from the log. */
  readonly logId?: string;
  readonly signal: Signal;
  /** Delivery attempts made before giving up. */
  readonly attempts: number;
  /** Secret-free description of the last failure (`code`, `message`). */
  readonly lastError: { readonly code: string; readonly message: string };
  /** First delivery attempt (ms since the epoch). */
  readonly firstAttemptAt: number;
  /** Last delivery attempt (ms since the epoch). */
  readonly lastAttemptAt: number;
  /** When the entry was written (ms since the epoch). */
  readonly insertedAt: number;
}

/** Durable state of one persistent subscription (everything needed to resume after a restart). */
export interface SubscriptionState {
  readonly subscriptionId: string;
  /** Subscription pattern. */
  readonly pattern: string;
  /** JSON-safe subscription options, as given at subscribe time. */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Ack floor: every log entry up to and including this id is acked or dead-lettered.
   * `undefined` before the first entry.
   */
  readonly ackFloor?: string;
  /** Log ids above the floor that are acked or dead-lettered (out-of-order acks). */
  readonly acked: readonly string[];
  /** Failed attempts per unacked log id. */
  readonly attempts: Readonly<Record<string, number>>;
  /** When the subscription was created (ms since the epoch). */
  readonly createdAt: number;
}

/** An immutable snapshot of matching log entries. */
export interface SnapshotRecord {
  readonly id: string;
  readonly pattern: string;
  readonly createdAt: number;
  readonly entries: readonly RecordedSignal[];
}

/**
 * Storage behind a bus: the log, subscription state, DLQ and snapshots. Every method is
 * asynchronous so remote engines (NATS JetStream, Redis) fit the same contract; `MemoryStore`
 * is the embedded default. Every store must pass the conformance suite exported from
 * `nestjs-jido-signal/testing`. All methods are scoped by bus name: buses sharing a store
 * never see each other's data.
 */
export interface SignalStore {
  /** Append signals in order; assigns strictly increasing log ids. */
  append(bus: string, signals: readonly Signal[]): Promise<RecordedSignal[]>;
  /**
   * Optional synchronous `append` for in-process stores. When present the bus uses it and
   * saves a microtask per publish; it must behave exactly like `append` (throwing instead
   * of rejecting).
   */
  appendSync?(bus: string, signals: readonly Signal[]): RecordedSignal[];
  /** Read a range of the log in log order. */
  read(bus: string, query?: LogQuery): Promise<RecordedSignal[]>;
  /** Drop old entries; resolves to the number removed. */
  trim(bus: string, options: TrimOptions): Promise<number>;
  /** Optional synchronous `trim` for in-process stores (same contract as `appendSync`). */
  trimSync?(bus: string, options: TrimOptions): number;
  /** Number of entries in the log. */
  size(bus: string): Promise<number>;

  getSubscription(bus: string, subscriptionId: string): Promise<SubscriptionState | undefined>;
  putSubscription(bus: string, state: SubscriptionState): Promise<void>;
  deleteSubscription(bus: string, subscriptionId: string): Promise<boolean>;
  listSubscriptions(bus: string): Promise<SubscriptionState[]>;

  /** Add a DLQ entry (the store keeps entries in insertion order). */
  putDlq(bus: string, entry: DlqEntry): Promise<void>;
  listDlq(bus: string, subscriptionId: string, options?: { limit?: number }): Promise<DlqEntry[]>;
  deleteDlq(bus: string, subscriptionId: string, ids: readonly string[]): Promise<number>;
  clearDlq(bus: string, subscriptionId: string): Promise<number>;
  /** Number of DLQ entries of a subscription, or of the whole bus without one. */
  dlqSize(bus: string, subscriptionId?: string): Promise<number>;

  putSnapshot(bus: string, snapshot: SnapshotRecord): Promise<void>;
  getSnapshot(bus: string, id: string): Promise<SnapshotRecord | undefined>;
  /** Snapshots without their entries, newest first. */
  listSnapshots(bus: string): Promise<Array<Omit<SnapshotRecord, 'entries'> & { size: number }>>;
  deleteSnapshot(bus: string, id: string): Promise<boolean>;

  /** Resolves when the store is reachable (health checks). */
  ping(): Promise<void>;
  /** Release connections and timers. Further calls reject. */
  close(): Promise<void>;
}
