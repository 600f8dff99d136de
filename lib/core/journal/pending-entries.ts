import type { JournalEntry } from './journal-adapter.interface.js';

/** Compact the list once this many written entries sit at its front (and they are half of it). */
const COMPACT_AT = 4096;

/**
 * The entries a file journal accepted but has not written yet, by seq. Seqs are appended in
 * order and written in order, so this is a queue over a plain array: `push` at the end,
 * `written(seq)` drops everything before `seq` — no per-record map insert and delete.
 * @internal
 */
export class PendingEntries {
  private list: JournalEntry[] = [];
  /** Seq of `list[0]`. */
  private offset = 0;
  /** First seq not written yet (`list[from - offset]`). */
  private from = 0;

  /** Entries not written yet. */
  get size(): number {
    return this.offset + this.list.length - this.from;
  }

  /** Start empty at `seq` (the next seq to be appended). */
  reset(seq: number): void {
    this.list = [];
    this.offset = seq;
    this.from = seq;
  }

  /** Append the entry of the next seq. */
  push(entry: JournalEntry): void {
    this.list.push(entry);
  }

  /** The entry of `seq` when it is not written yet. */
  get(seq: number): JournalEntry | undefined {
    return seq >= this.from ? this.list[seq - this.offset] : undefined;
  }

  /** Every seq below `end` is written. */
  written(end: number): void {
    if (end <= this.from) return;
    this.from = end;
    const drop = end - this.offset;
    if (drop >= this.list.length) {
      this.reset(end);
    } else if (drop >= COMPACT_AT && drop * 2 >= this.list.length) {
      this.list = this.list.slice(drop);
      this.offset = end;
    }
  }

  /** Forget every entry (the journal is closed). */
  clear(): void {
    this.reset(this.offset + this.list.length);
  }
}
