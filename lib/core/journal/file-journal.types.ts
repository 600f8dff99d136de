import type { ExtensionRegistry } from '../signal/extensions.js';
import type { RecordDamage } from './record-codec.js';

/**
 * When a file journal's `putSignal` — and so `SignalJournal.record` — resolves:
 * - `'fsync'`: once the record is written and `fdatasync`ed (it survives a process kill and a
 *   power loss). Concurrent records share one `write` + `fdatasync` (group commit);
 * - `'relaxed'`: as soon as it is indexed and buffered. The buffer is written later (see
 *   `maxBatchRecords`, `maxBatchBytes`, `flushIntervalMs`) without a sync; `flush()` is the
 *   barrier. A crash loses the records of the last `flushIntervalMs`, a power loss what the OS
 *   had not written back.
 */
export type JournalDurability = 'fsync' | 'relaxed';

/** Options of `FileJournal.open`. */
export interface FileJournalOptions {
  /**
   * What a resolved record guarantees. `'fsync'`: it is written and `fdatasync`ed (a new
   * segment also syncs the directory); while one `write` + `fdatasync` runs, the records that
   * arrive gather for the next one, so many concurrent records cost one sync. `'relaxed'`: it is
   * buffered; batches are written without a sync and `flush()` syncs — faster for one producer
   * that awaits each record, but a crash loses the records of the last `flushIntervalMs`.
   * @default 'fsync'
   */
  durability?: JournalDurability;
  /** A batch is handed to the writer as soon as it holds this many records. @default 1000 */
  maxBatchRecords?: number;
  /** A batch is handed to the writer as soon as it holds this many bytes. @default 1_048_576 (1 MiB) */
  maxBatchBytes?: number;
  /**
   * `'relaxed'` only: longest a record waits in the buffer before its batch is written, in ms.
   * This bounds what a crash can lose; `flush()` writes immediately. The timer is unref'd.
   * (With `'fsync'` a batch is written as soon as the writer is free.)
   * @default 10
   */
  flushIntervalMs?: number;
  /**
   * A new segment file is started when the next record would make the current one larger
   * than this (a single larger record gets a segment of its own). At most 2 GiB.
   * @default 67_108_864 (64 MiB)
   */
  segmentMaxBytes?: number;
  /** Records per block of the sparse time index (rebuilt on open). @default 256 */
  indexInterval?: number;
  /**
   * When more than this many bytes are buffered or being written, `putSignal` waits until
   * the writes catch up (backpressure instead of unbounded memory).
   * @default 67_108_864 (64 MiB)
   */
  maxPendingBytes?: number;
  /**
   * Open for reading only: no lock file, no tail repair (a damaged tail is reported with
   * `repaired: false` and ignored), `putSignal` rejects. Sees the records present at open.
   * Use it to inspect a journal another process is writing (the CLI does).
   * @default false
   */
  readOnly?: boolean;
  /**
   * Called when opening found a torn or corrupt tail (also published on
   * `TelemetryChannel.JournalRecovery` and kept in `FileJournal.recovery`).
   * @default undefined
   */
  onRecovery?: (report: JournalRecoveryReport) => void;
  /** Extensions stored signals are parsed with. @default the default signal factory's */
  extensions?: ExtensionRegistry;
}

/** What opening a file journal repaired; see `FileJournal.recovery`. */
export interface JournalRecoveryReport {
  /** Adapter name (`'file'`). */
  readonly journal: string;
  /** Absolute journal directory. */
  readonly directory: string;
  /** Segment file name holding the damaged tail. */
  readonly segment: string;
  /** Offset of the first dropped byte: the file now ends here (when repaired). */
  readonly offset: number;
  /** Bytes dropped after the last good record. */
  readonly droppedBytes: number;
  /**
   * What was wrong with the first bad record; `'torn_segment_header'` when the last segment
   * does not start with a whole header — shorter than one, or zero-filled (a prefix of the
   * magic followed by zero bytes), as a crash right after a segment was created can leave it.
   * Such a segment never held a durable record: it is truncated to nothing and rewritten.
   */
  readonly reason: RecordDamage | 'torn_segment_header';
  /** `false` when opened read-only (the tail was ignored, not truncated). */
  readonly repaired: boolean;
  /** Records recovered from all segments. */
  readonly records: number;
}

/** Message of `TelemetryChannel.JournalFlush`: one group of batches was written (and synced). */
export interface JournalFlushMessage {
  /** Adapter name (`'file'`). */
  readonly journal: string;
  /** Absolute journal directory. */
  readonly directory: string;
  /** Segment file written. */
  readonly segment: string;
  /** Records written. */
  readonly records: number;
  /** Bytes written. */
  readonly bytes: number;
  /** Whether the write was `fdatasync`ed (always with `'fsync'`; with `'relaxed'` on `flush()`). */
  readonly synced: boolean;
  /** Write (+ sync) time in ms. */
  readonly durationMs: number;
}

/** Size and shape of a file journal, see `FileJournal.stats`. */
export interface FileJournalStats {
  /** Records indexed (written or buffered). */
  readonly records: number;
  /** Records accepted but not yet written. */
  readonly pendingRecords: number;
  /** Segment files, oldest first. */
  readonly segments: readonly { readonly file: string; readonly bytes: number }[];
  /** Blocks of the sparse time index. */
  readonly indexBlocks: number;
}
