/**
 * A snapshot as both distributed stores keep it: its entries with each signal as its JSON
 * value, and the metadata it is listed by.
 * @module
 * @internal
 */
import type { SnapshotRecord } from '../signal-store.interface.js';
import { decodeStoredSignal } from './stored-signal.js';

/** A snapshot entry as stored: the signal as its JSON value. */
export interface StoredSnapshotEntry {
  readonly logId: string;
  readonly recordedAt: number;
  readonly signal: unknown;
}

/** What a stored snapshot is listed by. */
export interface StoredSnapshotMeta {
  readonly id: string;
  readonly pattern: string;
  readonly createdAt: number;
  /** Entries. */
  readonly size: number;
}

/** The entries of `snapshot` as stored. */
export function storedEntriesOf(snapshot: SnapshotRecord): StoredSnapshotEntry[] {
  return snapshot.entries.map((e) => ({
    logId: e.logId,
    recordedAt: e.recordedAt,
    signal: e.signal.toJSON(),
  }));
}

/**
 * The frozen snapshot record of stored `meta` and `stored` entries (snapshot `id` of `bus`).
 * @throws StoreError (from `store`) when an entry's signal does not decode
 */
export function snapshotRecordOf(
  store: string,
  bus: string,
  id: string,
  meta: StoredSnapshotMeta,
  stored: readonly StoredSnapshotEntry[],
): SnapshotRecord {
  const entries = stored.map((e) =>
    Object.freeze({
      logId: e.logId,
      recordedAt: e.recordedAt,
      signal: decodeStoredSignal(store, e.signal, { bus, snapshot: id }),
    }),
  );
  return Object.freeze({
    id: meta.id,
    pattern: meta.pattern,
    createdAt: meta.createdAt,
    entries: Object.freeze(entries),
  });
}
