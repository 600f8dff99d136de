import type { DlqEntry } from '../../store/signal-store.interface.js';
import { DlqIndex } from './dlq-index.js';
import { Redrives } from './dead-letter.js';
import type { PersistentHost } from './engine.js';
import type { DlqOverflowPolicy } from './options.js';
import type { PersistentCounters } from './stats.js';
import type { StoreWrites } from './writes.js';

/**
 * The in-process engine's side of its dead-letter queue: writes entries, keeps the DLQ
 * within `maxDlqSize` (`dlqOverflow` decides which entry goes) and deletes a redriven
 * entry once its redelivery is acked.
 * @internal
 */
export class LocalDlq {
  /** Entries being redriven. */
  readonly redrives = new Redrives();
  /** Ids of this subscription's DLQ entries, oldest first (only with a finite `maxDlqSize`). */
  readonly #ids: DlqIndex | undefined;

  constructor(
    private readonly host: PersistentHost,
    private readonly subscriptionId: string,
    private readonly maxDlqSize: number,
    private readonly overflow: DlqOverflowPolicy,
    private readonly writes: StoreWrites,
    private readonly counters: PersistentCounters,
  ) {
    this.#ids = maxDlqSize === Infinity ? undefined : new DlqIndex();
  }

  /** Whether the DLQ is bounded (`maxDlqSize` finite): its entries' ids are kept. */
  get bounded(): boolean {
    return this.#ids !== undefined;
  }

  /** Learn the ids of the stored entries (a resumed subscription with a bounded DLQ). */
  async load(): Promise<void> {
    const known = this.#ids;
    if (known === undefined) return;
    const { store, bus } = this.host;
    for (const entry of await store.listDlq(bus, this.subscriptionId)) known.add(entry.id);
  }

  /**
   * Store `entry`, replacing `previous` (the entry its delivery was redriven from). When
   * the DLQ is full the oldest entry is deleted to make room, or `entry` is discarded.
   * @returns the id of the entry discarded, if any
   */
  put(entry: DlqEntry, previous: string | undefined): string | undefined {
    const { store, bus } = this.host;
    const id = this.subscriptionId;
    if (previous !== undefined) this.redrives.end(previous);
    const ids = this.#ids;
    let dropped: string | undefined;
    if (ids !== undefined) {
      if (previous !== undefined) ids.delete(previous);
      if (ids.size >= this.maxDlqSize) {
        this.counters.dlqDropped++;
        if (this.overflow === 'drop-newest') dropped = entry.id;
        else {
          dropped = ids.shift();
          if (dropped !== undefined) {
            this.redrives.end(dropped);
            this.writes.write(store.deleteDlq(bus, id, [dropped]));
          }
        }
      }
      if (dropped !== entry.id) ids.add(entry.id);
    }
    if (dropped === entry.id) {
      if (previous !== undefined) this.writes.write(store.deleteDlq(bus, id, [previous]));
    } else {
      this.writes.write(
        store
          .putDlq(bus, entry)
          .then(() => (previous === undefined ? undefined : store.deleteDlq(bus, id, [previous]))),
      );
    }
    return dropped;
  }

  /** The redelivery of entry `dlqId` was acked: the entry goes (unless it is to be kept). */
  acked(dlqId: string): void {
    if (!this.redrives.acked(dlqId)) return;
    this.#ids?.delete(dlqId);
    this.writes.write(this.host.store.deleteDlq(this.host.bus, this.subscriptionId, [dlqId]));
  }

  /** The DLQ was cleared: entries being redriven no longer have an entry to delete. */
  clear(): void {
    this.redrives.clear();
    this.#ids?.clear();
  }
}
