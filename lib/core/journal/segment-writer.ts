// The writer of a FileJournal: batches of encoded records go to the segment files one group at
// a time, in log order, off the event loop; a group is synced before its records' commit
// resolves. Also the commit (what records wait on) and the batch (what the writer takes).
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { JournalIoError } from '../errors/journal.error.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { emit, telemetryChannel } from '../telemetry/telemetry.js';
import type { JournalFlushMessage } from './file-journal.types.js';
import type { StagedSignal } from './journal-adapter.interface.js';
import { segmentName } from './segment-replay.js';

const noop = (): void => {};

/**
 * Settles when the records of a batch are durable (`'fsync'`) or written (`'relaxed'`).
 * @internal
 */
export interface Commit {
  readonly promise: Promise<void>;
  /** `stageSignal`'s answer for the records of this batch, shared by all of them. */
  readonly staged: Promise<StagedSignal>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export function newCommit(): Commit {
  let resolve: () => void = noop;
  let reject: (error: Error) => void = noop;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Whoever waits for it gets the failure; an unwatched one is not an unhandled rejection.
  promise.catch(noop);
  return { promise, staged: Promise.resolve({ durable: promise }), resolve, reject };
}

/** Records handed to the writer: one contiguous span of one segment. @internal */
export interface Batch {
  readonly segment: number;
  readonly position: number;
  /** May be empty: a sync-only batch (`flush()` in `'relaxed'` mode). */
  readonly data: Buffer;
  readonly firstSeq: number;
  readonly endSeq: number;
  readonly commit: Commit;
  /** `fdatasync` after writing it (always with `'fsync'`). */
  sync: boolean;
  /** The staging buffer `data` lies in, free for reuse once written. */
  readonly reusable?: Buffer;
}

/** What the writer asks of the journal it writes for. @internal */
export interface SegmentWriterHooks {
  /** `'fsync'`: the writer is free and nothing is queued — hand it what is buffered (group commit). */
  idle(): void;
  /** `batch` is written (and synced when its group asked for it). */
  written(batch: Batch): void;
  /** The staging buffer `batch.data` lay in may be reused. */
  recycle(buffer: Buffer): void;
  /** A write failed: every record from `firstSeq` on (none of them written) fails with `failure`. */
  failed(failure: JournalIoError, firstSeq: number): void;
}

/**
 * Writes the batches handed to it, in order: with `'fsync'` every queued batch of the same
 * segment goes out back to back, then one `fdatasync` settles them all; a new segment's file
 * and directory entry are synced, and the previous segment is synced before the next one is
 * started. After a failed write every later batch fails with the same `JournalIoError`.
 * @internal
 */
export class SegmentWriter {
  /** Commit of the last batch handed over. */
  lastCommit: Commit | undefined;
  /** Bytes queued or being written. */
  queuedBytes = 0;
  /** Set once a write failed: the journal accepts no more records. */
  failure: JournalIoError | undefined;
  /** Batches waiting, in log order. */
  private readonly queue: Batch[] = [];
  /** Batches being written. */
  private inflight: readonly Batch[] = [];
  private writing = false;
  private writer: { segment: number; handle: FileHandle } | undefined;
  /** Bytes were written to the writer's segment since its last sync. */
  private dirty = false;
  private readonly flushChannel = telemetryChannel(TelemetryChannel.JournalFlush);

  /**
   * @param journal adapter name, for telemetry
   * @param fsync durability `'fsync'`: group every queued batch of a segment under one sync
   */
  constructor(
    private readonly journal: string,
    private readonly directory: string,
    private readonly fsync: boolean,
    private readonly hooks: SegmentWriterHooks,
  ) {}

  /** A write is running or batches wait. */
  get busy(): boolean {
    return this.writing;
  }

  /** Queue `batch` (rejected at once after a failure) and start writing if idle. */
  enqueue(batch: Batch): void {
    this.lastCommit = batch.commit;
    if (this.failure !== undefined) {
      batch.commit.reject(this.failure);
      return;
    }
    this.queuedBytes += batch.data.length;
    this.queue.push(batch);
    if (!this.writing) {
      this.writing = true;
      void this.drain();
    }
  }

  /**
   * Make the last queued batch sync after writing. `false` when nothing is queued; then
   * {@link unsynced} tells whether written bytes still need a sync.
   */
  syncLast(): boolean {
    const last = this.queue[this.queue.length - 1];
    if (last === undefined) return false;
    last.sync = true;
    return true;
  }

  /** Bytes were written, or are being written, without a sync after them. */
  get unsynced(): boolean {
    return this.dirty || this.inflight.length > 0;
  }

  /** The commit of the queued or running batch holding `seq`, if any. */
  commitOf(seq: number): Commit | undefined {
    for (const batch of this.inflight) if (seq < batch.endSeq) return batch.commit;
    for (const batch of this.queue) if (seq < batch.endSeq) return batch.commit;
    return undefined;
  }

  /** Close the segment file (after the last batch settled). */
  async close(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    if (writer !== undefined) await writer.handle.close();
  }

  /**
   * The writer: one group at a time, in log order. With `'fsync'` a group is every queued batch
   * of the same segment — written back to back, then one `fdatasync` — and whatever was
   * buffered meanwhile is sealed as soon as the writer is free (group commit). With `'relaxed'`
   * a group is one batch.
   */
  private async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.queue.length === 0 && this.fsync) this.hooks.idle();
        if (this.queue.length === 0) return;
        let n = 1;
        if (this.fsync) {
          while (n < this.queue.length && this.queue[n].segment === this.queue[0].segment) n++;
        }
        const group = this.queue.splice(0, n);
        this.inflight = group;
        await this.writeGroup(group);
        this.inflight = [];
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeGroup(group: readonly Batch[]): Promise<void> {
    const segment = group[0].segment;
    const started = performance.now();
    const sync = group.some((b) => b.sync);
    let bytes = 0;
    try {
      for (const batch of group) {
        this.queuedBytes -= batch.data.length;
        if (batch.data.length === 0) continue;
        const handle = await this.writerFor(segment, batch.position === 0);
        let done = 0;
        while (done < batch.data.length) {
          const { bytesWritten } = await handle.write(
            batch.data,
            done,
            batch.data.length - done,
            batch.position + done,
          );
          done += bytesWritten;
        }
        bytes += done;
        this.dirty = true;
      }
      if (sync && this.dirty && this.writer !== undefined) {
        await this.writer.handle.datasync();
        this.dirty = false;
      }
    } catch (cause) {
      this.fail(cause, segment, group);
      return;
    }
    let records = 0;
    for (const batch of group) {
      this.hooks.written(batch);
      records += batch.endSeq - batch.firstSeq;
    }
    if (bytes > 0) {
      emit(this.flushChannel, (): JournalFlushMessage => ({
        journal: this.journal,
        directory: this.directory,
        segment: segmentName(segment),
        records,
        bytes,
        synced: sync,
        durationMs: performance.now() - started,
      }));
    }
    for (const batch of group) {
      batch.commit.resolve();
      if (batch.reusable !== undefined) this.hooks.recycle(batch.reusable);
    }
  }

  /** A write failed: fail its records, every record after them, and every later call. */
  private fail(cause: unknown, segment: number, group: readonly Batch[]): void {
    const failure = new JournalIoError(
      `Writing ${segmentName(segment)} in "${this.directory}" failed; the journal accepts no more records`,
      cause,
      { directory: this.directory, segment: segmentName(segment) },
    );
    this.failure = failure;
    for (const batch of [...group, ...this.queue.splice(0)]) batch.commit.reject(failure);
    this.queuedBytes = 0;
    this.hooks.failed(failure, group[0].firstSeq);
  }

  private async writerFor(segment: number, create: boolean): Promise<FileHandle> {
    if (this.writer?.segment === segment) return this.writer.handle;
    if (this.writer !== undefined) {
      const previous = this.writer.handle;
      this.writer = undefined;
      // Only the last segment may ever hold a torn tail: the previous one is complete on disk
      // before the next one is started (with 'fsync' it already is).
      if (this.dirty) await previous.datasync();
      this.dirty = false;
      await previous.close();
    }
    const handle = await open(join(this.directory, segmentName(segment)), create ? 'w' : 'r+');
    this.writer = { segment, handle };
    if (create) {
      // A new file's directory entry must be durable too, or the synced data is unreachable.
      const dir = await open(this.directory, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
    return handle;
  }
}
