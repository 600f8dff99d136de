import type { JournalAdapter, JournalEntry, JournalMeta } from './journal-adapter.interface.js';

/**
 * The synchronous fast path of an in-process adapter (`MemoryJournal`, `FileJournal`):
 * `SignalJournal.record` checks the rules and stages a new entry within the call — no queue,
 * no promise per step — and waits only for durability. Same semantics as the asynchronous
 * `getMeta` + `stageSignal` pair; remote adapters (JetStream) don't have it.
 * @internal
 */
export interface SyncStaging {
  /** `getMeta`, answered synchronously. */
  metaSync(id: string): JournalMeta | undefined;
  /**
   * `true` when a stored record names `id` as its cause although `id` itself is not stored
   * (an effect linked ahead of its cause, `unknownCause: 'link'`).
   */
  linkedAhead(id: string): boolean;
  /**
   * `stageSignal` for an entry whose id the caller has just checked is not stored (nothing
   * ran in between): stores and indexes it at once. Returns what settles once it is durable,
   * or `undefined` when it already is.
   * @throws JournalClosedError | JournalIoError | ValidationError — as `stageSignal` rejects
   */
  stageSync(entry: JournalEntry): Promise<void> | undefined;
  /**
   * Set while the adapter holds more than it wants to (`maxPendingBytes`): the next record
   * must wait for it before it is staged (backpressure). `undefined` otherwise.
   */
  readonly backpressure: Promise<void> | undefined;
  /**
   * The largest record time stored when the journal was opened or since (a reopened durable
   * journal continues after it, so record times never decrease across a restart).
   */
  readonly lastRecordedAt?: number;
}

/** An adapter that may offer {@link SyncStaging}. @internal */
interface MaybeSyncAdapter extends JournalAdapter {
  syncStaging?(): SyncStaging | undefined;
}

/** The adapter's synchronous fast path, when it has one (and a subclass did not opt out). @internal */
export function syncStagingOf(adapter: JournalAdapter): SyncStaging | undefined {
  const candidate = adapter as MaybeSyncAdapter;
  return typeof candidate.syncStaging === 'function' ? candidate.syncStaging() : undefined;
}
