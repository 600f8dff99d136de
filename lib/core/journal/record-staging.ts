// The append side of a FileJournal: new records are encoded into a staging buffer and
// indexed at once, then handed to the writer in batches — as soon as the writer is free
// (`'fsync'`, group commit) or by size and timer (`'relaxed'`) — with backpressure once too
// much waits.
import { ValidationError } from '../errors/validation.error.js';
import { stringifySignal } from '../signal/signal-json.js';
import type { ResolvedFileJournalOptions } from './file-journal-options.js';
import type { JournalEntry } from './journal-adapter.interface.js';
import type { PendingEntries } from './pending-entries.js';
import {
  encodeMeta,
  encodeRecord,
  MAX_RECORD_BYTES,
  maxEncodedBytes,
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  SEGMENT_MAGIC,
} from './record-codec.js';
import type { RecordIndex } from './record-index.js';
import { newCommit, SegmentWriter, type Batch, type Commit } from './segment-writer.js';

const EMPTY = Buffer.alloc(0);
const RESOLVED: Promise<void> = Promise.resolve();
const MAX_SPARE_BUFFERS = 4;

/**
 * Records accepted but not handed to the writer yet, encoded back to back in one buffer (one
 * `write` per batch), and the writer they go to. Owns the logical end of the log (segment and
 * offset, buffered records included) and rolls segments at `segmentMaxBytes`.
 * @internal
 */
export class RecordStaging {
  /** The writer batches are handed to. */
  readonly writer: SegmentWriter;
  /** Set by {@link append} when the writer is too far behind: the next record waits for it. */
  gate: Promise<void> | undefined;

  // Logical end of the log, buffered records included.
  private writeSegment = 1;
  private writeOffset = 0;

  private buffer: Buffer = Buffer.allocUnsafe(64 * 1024);
  /** Written batches' buffers, reused for the next ones. */
  private readonly spares: Buffer[] = [];
  private bufferLength = 0;
  private bufferRecords = 0;
  private bufferFirstSeq = 0;
  private bufferSegment = 0;
  private bufferPosition = 0;
  /** Commit of the records in the buffer (set while it holds any). */
  private bufferCommit: Commit | undefined;
  /** `'relaxed'`: writes a partial batch after `flushIntervalMs`. */
  private timer: NodeJS.Timeout | undefined;
  /** `'fsync'`: hands the buffer to an idle writer at the end of this turn of the event loop. */
  private immediate: NodeJS.Immediate | undefined;
  private readonly fsync: boolean;

  /**
   * @param segmentBytes valid bytes per segment, updated as batches are written
   * @param pending the entries not written yet, released as batches are written
   */
  constructor(
    journal: string,
    directory: string,
    private readonly options: ResolvedFileJournalOptions,
    private readonly index: RecordIndex,
    private readonly pending: PendingEntries,
    private readonly segmentBytes: Map<number, number>,
  ) {
    this.fsync = options.durability === 'fsync';
    this.writer = new SegmentWriter(journal, directory, this.fsync, {
      idle: () => {
        if (this.bufferLength > 0) this.seal(false);
      },
      written: (batch) => {
        if (batch.data.length > 0) {
          this.segmentBytes.set(batch.segment, batch.position + batch.data.length);
        }
        this.pending.written(batch.endSeq);
      },
      recycle: (buffer) => {
        if (this.spares.length < MAX_SPARE_BUFFERS) this.spares.push(buffer);
      },
      failed: (failure, firstSeq) => {
        // Nothing is stored when a record rejects: reads no longer see the failed records.
        this.index.hideFrom(firstSeq);
        this.bufferCommit?.reject(failure);
      },
    });
  }

  /** Continue the log at `offset` of `segment` (after replay; 0: the header comes first). */
  startAt(segment: number, offset: number): void {
    this.writeSegment = segment;
    this.writeOffset = offset;
  }

  /**
   * Encode a new entry — whose id is not indexed — into the buffer and index it. Returns the commit it becomes durable
   * with (`'fsync'`; `undefined` with `'relaxed'`); sets {@link gate} when the writer is too
   * far behind.
   * @throws ValidationError (`payload_too_large`)
   */
  append(entry: JournalEntry): Commit | undefined {
    this.gate = undefined;
    const meta = encodeMeta(entry);
    const json = stringifySignal(entry.signal);
    this.reserve(maxEncodedBytes(meta, json) + SEGMENT_HEADER_BYTES);
    // A fresh segment starts with its header; the buffer is empty whenever writeOffset is 0.
    let fresh = this.writeOffset === 0;
    let at = this.bufferLength + (fresh ? SEGMENT_HEADER_BYTES : 0);
    let end = encodeRecord(this.buffer, at, meta, json);
    const size = end - at;
    if (size - RECORD_HEADER_BYTES > MAX_RECORD_BYTES) {
      throw new ValidationError(
        'payload_too_large',
        'signal',
        `Signal "${entry.id}" encodes to ${size} bytes; a journal record holds at most ${MAX_RECORD_BYTES}`,
      );
    }
    if (
      this.writeOffset > SEGMENT_HEADER_BYTES &&
      this.writeOffset + size > this.options.segmentMaxBytes
    ) {
      // Roll: hand what is buffered to the writer, start the next segment with this record.
      const record = Buffer.from(this.buffer.subarray(at, end));
      this.seal(false);
      this.writeSegment++;
      this.writeOffset = 0;
      this.reserve(size + SEGMENT_HEADER_BYTES);
      fresh = true;
      at = SEGMENT_HEADER_BYTES;
      end = at + record.copy(this.buffer, at);
    }
    if (this.bufferLength === 0) {
      this.bufferSegment = this.writeSegment;
      this.bufferPosition = this.writeOffset;
      this.bufferFirstSeq = this.index.count;
      this.bufferCommit = newCommit();
    }
    const commit = this.bufferCommit!;
    if (fresh) {
      SEGMENT_MAGIC.copy(this.buffer, this.bufferLength);
      this.writeOffset = SEGMENT_HEADER_BYTES;
    }
    // Both callers looked the id up just before (stageSignal, or SignalJournal via metaSync).
    this.index.append(entry, this.writeSegment, this.writeOffset, size);
    this.bufferLength = end;
    this.writeOffset += size;
    this.pending.push(entry);
    this.bufferRecords++;
    if (
      this.bufferRecords >= this.options.maxBatchRecords ||
      this.bufferLength >= this.options.maxBatchBytes
    ) {
      this.seal(false);
    } else if (this.fsync) {
      // Group commit: a busy writer takes the buffer when its sync is done; an idle one once
      // this turn's records are in.
      if (!this.writer.busy && this.immediate === undefined) {
        this.immediate = setImmediate(this.sealNow);
      }
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.sealNow, this.options.flushIntervalMs);
      this.timer.unref();
    }
    if (this.writer.queuedBytes + this.bufferLength > this.options.maxPendingBytes) {
      this.seal(false);
      this.gate = this.writer.lastCommit!.promise;
    }
    return this.fsync ? commit : undefined;
  }

  private reserve(bytes: number): void {
    const need = this.bufferLength + bytes;
    if (need <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.bufferLength);
    this.buffer = grown;
  }

  private readonly sealNow = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.seal(false);
  };

  /** Hand the buffered records to the writer as one batch (one `write`). */
  seal(sync: boolean): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.bufferLength === 0) return;
    // Hand the bytes over without copying when the buffer is well used; copy small batches
    // so a large buffer is not reallocated for a few records.
    let data: Buffer;
    let reusable: Buffer | undefined;
    if (this.bufferLength * 4 >= this.buffer.length) {
      reusable = this.buffer;
      data = this.buffer.subarray(0, this.bufferLength);
      // A buffer whose batch is written is reused (no new large allocation per batch).
      const spare = this.spares.pop();
      this.buffer =
        spare !== undefined && spare.length >= this.buffer.length
          ? spare
          : Buffer.allocUnsafe(this.buffer.length);
    } else data = Buffer.from(this.buffer.subarray(0, this.bufferLength));
    const batch: Batch = {
      segment: this.bufferSegment,
      position: this.bufferPosition,
      data,
      firstSeq: this.bufferFirstSeq,
      endSeq: this.index.count,
      commit: this.bufferCommit!,
      sync: sync || this.fsync,
      reusable,
    };
    this.bufferLength = 0;
    this.bufferRecords = 0;
    this.bufferCommit = undefined;
    this.writer.enqueue(batch);
  }

  /**
   * Hand everything buffered to the writer, with a sync at the end, and return the commit to
   * wait for.
   */
  barrier(): Promise<void> {
    if (this.bufferLength > 0) this.seal(true);
    else if (!this.writer.syncLast() && !this.fsync && this.writer.unsynced) {
      // 'relaxed': written (or being written) but not synced yet: a sync-only batch.
      this.writer.enqueue({
        segment: this.writeSegment,
        position: this.writeOffset,
        data: EMPTY,
        firstSeq: this.index.count,
        endSeq: this.index.count,
        commit: newCommit(),
        sync: true,
      });
    }
    return this.writer.lastCommit?.promise ?? RESOLVED;
  }

  /** A promise that settles once record `seq` is durable (already written: at once). */
  durableAt(seq: number): Promise<void> {
    if (!this.fsync || this.pending.get(seq) === undefined) return RESOLVED;
    if (this.bufferLength > 0 && seq >= this.bufferFirstSeq) return this.bufferCommit!.promise;
    return this.writer.commitOf(seq)?.promise ?? RESOLVED;
  }
}
