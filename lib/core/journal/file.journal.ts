import { closeSync, mkdirSync, openSync, readdirSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { JidoSignalError } from '../errors/jido-signal.error.js';
import {
  JournalClosedError,
  JournalCorruptError,
  JournalIoError,
} from '../errors/journal.error.js';
import { ValidationError } from '../errors/validation.error.js';
import type { ExtensionRegistry } from '../signal/extensions.js';
import { emit, telemetryChannel } from '../telemetry/telemetry.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import type {
  FileJournalOptions,
  FileJournalStats,
  JournalFlushMessage,
  JournalRecoveryReport,
} from './file-journal.types.js';
import type {
  JournalAdapter,
  JournalEntry,
  JournalMeta,
  JournalScan,
  StagedSignal,
} from './journal-adapter.interface.js';
import {
  decodeEntry,
  encodeMeta,
  encodeRecord,
  MAX_RECORD_BYTES,
  maxEncodedBytes,
  readRecord,
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  SEGMENT_MAGIC,
} from './record-codec.js';
import { acquireJournalLock, releaseJournalLock } from './journal-lock.js';
import { PendingEntries } from './pending-entries.js';
import { RecordIndex } from './record-index.js';
import type { SyncStaging } from './sync-staging.js';
import { stringifySignal } from '../signal/signal-json.js';
import { replaySegments, segmentName } from './segment-replay.js';

export type * from './file-journal.types.js';

/** A span of a segment held in memory by a scan. */
interface ReadChunk {
  segment: number;
  start: number;
  data: Buffer;
  /** Read-ahead of the next read: starts small, doubles while the scan keeps going. */
  next: number;
}

const EMPTY = Buffer.alloc(0);
const RESOLVED: Promise<void> = Promise.resolve();
/** What `stageSignal` resolves to when a record need not wait (relaxed, or already durable). */
const NOTHING_TO_WAIT: Promise<StagedSignal> = Promise.resolve({ durable: RESOLVED });
const noop = (): void => {};

/** Settles when the records of a batch are durable (`'fsync'`) or written (`'relaxed'`). */
interface Commit {
  readonly promise: Promise<void>;
  /** `stageSignal`'s answer for the records of this batch, shared by all of them. */
  readonly staged: Promise<StagedSignal>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

function newCommit(): Commit {
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

/** Records handed to the writer: one contiguous span of one segment. */
interface Batch {
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

const READ_AHEAD_MIN = 16 * 1024;
const READ_AHEAD_MAX = 256 * 1024;
const MAX_SEGMENT_BYTES = 2 ** 31;
const MAX_SPARE_BUFFERS = 4;

function positiveInt(
  name: string,
  value: number | undefined,
  fallback: number,
  max = Infinity,
): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v <= 0 || v > max) {
    throw new ValidationError(
      'invalid_attribute',
      name,
      `FileJournal option ${name} must be a positive integer${max === Infinity ? '' : ` ≤ ${max}`}, got ${String(value)}`,
    );
  }
  return v;
}

/**
 * A durable, append-only journal adapter in a directory of segment files, with no
 * dependencies:
 *
 * - every record is length-prefixed and CRC-32 checked (see `record-codec.ts` for the
 *   layout); its payload is JSON;
 * - durability `'fsync'` (default): a record resolves once it is written and `fdatasync`ed.
 *   Group commit keeps that cheap: while one `write` + `fdatasync` runs, the records that arrive
 *   gather in a buffer and go out together with the next one, so N concurrent records cost one
 *   sync, not N. `'relaxed'` resolves on buffering and writes every `maxBatchRecords` records,
 *   `maxBatchBytes` bytes or `flushIntervalMs` ms without a sync. Writes run off the event
 *   loop, one at a time, in order;
 * - segments roll at `segmentMaxBytes` (the previous segment is synced first);
 * - on open every segment is replayed to rebuild the in-memory index (ids, locations, cause
 *   edges, conversations, the sparse time index); a torn tail of the last segment — a record
 *   truncated, failing its CRC or unparsable, or a segment header that is partial or
 *   zero-filled — is dropped, the file is truncated to the last good record and a
 *   {@link JournalRecoveryReport} is published. Damage anywhere else is reported as
 *   `JournalCorruptError` instead of being dropped;
 * - a `LOCK` file holding the writer's pid keeps two processes from appending to the same
 *   directory (a lock left by a dead process is taken over).
 *
 * Signals stay on disk: reads use positional `read`s (with read-ahead for scans), records not
 * yet written are served from memory.
 *
 * @example
 * const journal = new SignalJournal({ adapter: await FileJournal.open('./var/journal') });
 */
export class FileJournal implements JournalAdapter {
  /** @inheritdoc */
  readonly name = 'file';
  /** Absolute path of the journal directory. */
  readonly directory: string;
  /**
   * What opening repaired (a torn tail), or `undefined` when every segment was intact.
   */
  readonly recovery: JournalRecoveryReport | undefined;
  /** Options in effect. */
  readonly options: Readonly<Required<Omit<FileJournalOptions, 'onRecovery' | 'extensions'>>>;

  private readonly index: RecordIndex;
  private readonly extensions: ExtensionRegistry | undefined;
  private readonly fsync: boolean;
  /** Records accepted but not yet written (seq `pending.base` on), see {@link PendingEntries}. */
  private readonly pending = new PendingEntries();
  /** Set by `append` when the writer is too far behind: the next record waits for it. */
  private gate: Promise<void> | undefined;
  /** Valid bytes per segment number (written, or replayed at open). */
  private segmentBytes = new Map<number, number>();
  private readonly readFds = new Map<number, number>();
  private readonly flushChannel = telemetryChannel(TelemetryChannel.JournalFlush);

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

  /** Batches waiting for the writer, in log order. */
  private readonly queue: Batch[] = [];
  /** Batches being written. */
  private inflight: readonly Batch[] = [];
  private writing = false;
  /** Commit of the last batch handed to the writer. */
  private lastCommit: Commit | undefined;
  /** Bytes queued or being written. */
  private queuedBytes = 0;
  private writer: { segment: number; handle: FileHandle } | undefined;
  /** Bytes were written to the writer's segment since its last sync. */
  private dirty = false;
  private failure: JournalIoError | undefined;
  private closed = false;
  private lockHeld = false;

  private constructor(
    directory: string,
    options: FileJournal['options'],
    extensions: ExtensionRegistry | undefined,
  ) {
    this.directory = directory;
    this.options = options;
    this.extensions = extensions;
    this.fsync = options.durability === 'fsync';
    this.index = new RecordIndex(options.indexInterval);
    this.recovery = undefined;
  }

  /**
   * Open (creating if needed) the journal in `directory`, replay its segments and repair a
   * torn tail.
   * @throws JournalLockedError when another live process writes to it
   * @throws JournalCorruptError when a segment is damaged other than at the tail
   * @throws ValidationError for invalid options
   */
  static open(directory: string, options: FileJournalOptions = {}): Promise<FileJournal> {
    return new Promise((done) => {
      try {
        done(FileJournal.openSync(directory, options));
      } catch (error) {
        if (error instanceof JidoSignalError) throw error;
        throw new JournalIoError(`Cannot open journal directory "${resolve(directory)}"`, error, {
          directory: resolve(directory),
        });
      }
    });
  }

  private static openSync(directory: string, options: FileJournalOptions): FileJournal {
    const durability = options.durability ?? 'fsync';
    if (durability !== 'fsync' && durability !== 'relaxed') {
      throw new ValidationError(
        'invalid_attribute',
        'durability',
        `FileJournal option durability must be 'fsync' or 'relaxed', got ${String(durability)}`,
      );
    }
    const resolved: FileJournal['options'] = {
      durability,
      maxBatchRecords: positiveInt('maxBatchRecords', options.maxBatchRecords, 1000),
      maxBatchBytes: positiveInt('maxBatchBytes', options.maxBatchBytes, 1024 * 1024),
      flushIntervalMs: positiveInt('flushIntervalMs', options.flushIntervalMs, 10),
      segmentMaxBytes: positiveInt(
        'segmentMaxBytes',
        options.segmentMaxBytes,
        64 * 1024 * 1024,
        MAX_SEGMENT_BYTES,
      ),
      indexInterval: positiveInt('indexInterval', options.indexInterval, 256),
      maxPendingBytes: positiveInt('maxPendingBytes', options.maxPendingBytes, 64 * 1024 * 1024),
      readOnly: options.readOnly ?? false,
    };
    const dir = resolve(directory);
    if (resolved.readOnly) {
      try {
        readdirSync(dir);
      } catch (cause) {
        throw new JournalIoError(`Cannot open journal directory "${dir}"`, cause, {
          directory: dir,
        });
      }
    } else mkdirSync(dir, { recursive: true });
    const journal = new FileJournal(dir, resolved, options.extensions);
    if (!resolved.readOnly) journal.lock();
    try {
      const replayed = replaySegments(journal.name, dir, journal.index, resolved.readOnly);
      journal.segmentBytes = replayed.segmentBytes;
      journal.writeSegment = replayed.lastSegment;
      journal.writeOffset = replayed.lastOffset;
      journal.pending.reset(journal.index.count);
      const report = replayed.report;
      if (report !== undefined) {
        (journal as { recovery: JournalRecoveryReport | undefined }).recovery = report;
        emit(telemetryChannel(TelemetryChannel.JournalRecovery), report);
        options.onRecovery?.(report);
      }
    } catch (error) {
      journal.unlock();
      throw error;
    }
    return journal;
  }

  /**
   * Store and index `entry`. Resolves once it is durable: written and `fdatasync`ed with
   * durability `'fsync'`, buffered with `'relaxed'`.
   */
  putSignal(entry: JournalEntry): Promise<void> {
    return this.stageSignal(entry).then((staged) => staged.durable);
  }

  /**
   * Store and index `entry` (reads see it at once); resolves when it is staged, with `durable`
   * settling once it is written and synced (`'fsync'`; at once with `'relaxed'`). Records staged
   * while a write is running share the next `write` + `fdatasync`.
   */
  stageSignal(entry: JournalEntry): Promise<StagedSignal> {
    let commit: Commit | undefined;
    try {
      this.assertWritable();
      const existing = this.index.seqOf(entry.id);
      if (existing !== undefined) {
        return Promise.resolve({ durable: this.durableAt(existing) });
      }
      commit = this.append(entry);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const staged = commit === undefined ? NOTHING_TO_WAIT : commit.staged;
    const gate = this.gate;
    if (gate === undefined) return staged;
    return gate.then(() => {
      this.throwIfFailed();
      return staged;
    });
  }

  /**
   * The synchronous fast path `SignalJournal` uses; `undefined` for a subclass that overrides
   * how entries are stored or looked up (its overrides must run).
   * @internal
   */
  syncStaging(): SyncStaging | undefined {
    const proto = FileJournal.prototype;
    if (
      this.stageSignal !== proto.stageSignal ||
      this.putSignal !== proto.putSignal ||
      this.getMeta !== proto.getMeta
    ) {
      return undefined;
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getter below needs it
    const journal = this;
    return {
      metaSync: (id) => {
        this.assertOpen();
        const seq = this.index.seqOf(id);
        return seq === undefined ? undefined : this.index.meta(seq);
      },
      stageSync: (entry) => {
        this.assertWritable();
        return this.append(entry)?.promise;
      },
      get backpressure() {
        return journal.gate;
      },
    };
  }

  /** @throws JournalClosedError | JournalIoError when no record can be appended */
  private assertWritable(): void {
    if (this.closed) throw new JournalClosedError('FileJournal');
    if (this.failure !== undefined) throw this.failure;
    if (this.options.readOnly) {
      throw new JournalIoError(`FileJournal "${this.directory}" is open read-only`, undefined, {
        directory: this.directory,
        readOnly: true,
      });
    }
  }

  /**
   * Encode a new entry — whose id is not indexed — into the buffer and index it. Returns the commit it becomes durable
   * with (`'fsync'`; `undefined` with `'relaxed'`); sets {@link gate} when the writer is too
   * far behind.
   * @throws ValidationError (`payload_too_large`)
   */
  private append(entry: JournalEntry): Commit | undefined {
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
      if (!this.writing && this.immediate === undefined) {
        this.immediate = setImmediate(this.sealNow);
      }
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.sealNow, this.options.flushIntervalMs);
      this.timer.unref();
    }
    if (this.queuedBytes + this.bufferLength > this.options.maxPendingBytes) {
      this.seal(false);
      this.gate = this.lastCommit!.promise;
    }
    return this.fsync ? commit : undefined;
  }

  /** @inheritdoc */
  getSignal(id: string): Promise<JournalEntry | undefined> {
    return this.run(() => {
      const seq = this.index.seqOf(id);
      return seq === undefined ? undefined : this.readEntry(seq);
    });
  }

  /** @inheritdoc */
  getMeta(id: string): Promise<JournalMeta | undefined> {
    // Hot path of every record (existence and cause checks): no closure.
    if (this.closed) return Promise.reject(new JournalClosedError('FileJournal'));
    const seq = this.index.seqOf(id);
    return Promise.resolve(seq === undefined ? undefined : this.index.meta(seq));
  }

  /** @inheritdoc */
  getCause(id: string): Promise<string | undefined> {
    return this.run(() => {
      const seq = this.index.seqOf(id);
      return seq === undefined ? undefined : this.index.causeOf(seq);
    });
  }

  /** @inheritdoc */
  getEffects(id: string): Promise<string[]> {
    return this.run(() => {
      const seq = this.index.seqOf(id);
      return seq === undefined ? [] : this.index.effectsOf(seq);
    });
  }

  /** @inheritdoc */
  getConversation(conversationId: string): Promise<string[]> {
    return this.run(() => this.index.conversation(conversationId));
  }

  /** @inheritdoc */
  // eslint-disable-next-line @typescript-eslint/require-await -- async by contract; reads are synchronous
  async *scan(range: JournalScan = {}): AsyncGenerator<JournalEntry> {
    this.assertOpen();
    const desc = range.order === 'desc';
    const seqs = this.index.ordered(range.since ?? -Infinity, range.until ?? Infinity, desc);
    const chunk: ReadChunk = { segment: -1, start: 0, data: EMPTY, next: READ_AHEAD_MIN };
    for (const seq of seqs) {
      this.assertOpen();
      yield this.pending.get(seq) ?? this.readAhead(seq, chunk, desc);
    }
  }

  /** @inheritdoc */
  size(): Promise<number> {
    return this.run(() => this.index.count);
  }

  /**
   * Resolves once everything accepted so far is written and `fdatasync`ed (in both durability
   * modes: with `'relaxed'` this is the barrier).
   * @throws JournalIoError when a write failed
   */
  flush(): Promise<void> {
    if (this.closed) return Promise.reject(new JournalClosedError('FileJournal'));
    return this.barrier().then(() => this.throwIfFailed());
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.closed) return;
    const done = this.barrier();
    this.closed = true;
    await done.catch(noop);
    try {
      if (this.writer !== undefined) await this.writer.handle.close();
    } finally {
      this.writer = undefined;
      for (const fd of this.readFds.values()) closeSync(fd);
      this.readFds.clear();
      this.pending.clear();
      this.unlock();
    }
    this.throwIfFailed();
  }

  /** Records, pending writes, segment files and index size. */
  stats(): FileJournalStats {
    const segments = [...this.segmentBytes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([n, bytes]) => ({ file: segmentName(n), bytes }));
    return {
      records: this.index.count,
      pendingRecords: this.pending.size,
      segments,
      indexBlocks: this.index.blocks,
    };
  }

  // ---------------------------------------------------------------- reading

  /** Read and decode one written record, from `chunk` when it holds it. */
  private readAt(seq: number, chunk: ReadChunk | undefined): JournalEntry {
    const { segment, offset, length } = this.index.location(seq);
    let data: Buffer;
    let at: number;
    if (
      chunk !== undefined &&
      chunk.segment === segment &&
      offset >= chunk.start &&
      offset + length <= chunk.start + chunk.data.length
    ) {
      data = chunk.data;
      at = offset - chunk.start;
    } else {
      data = this.readBytes(segment, offset, length);
      at = 0;
    }
    const record = readRecord(data, at, at + length);
    if (typeof record === 'string' || record.meta.id !== this.index.idOf(seq)) {
      throw new JournalCorruptError(
        `Journal record at ${segmentName(segment)}:${offset} is damaged (${typeof record === 'string' ? record : 'id mismatch'})`,
        { directory: this.directory, segment: segmentName(segment), offset },
      );
    }
    return decodeEntry(data, record, { extensions: this.extensions });
  }

  /** Read `length` bytes of a segment at `offset` (fewer at its end). */
  private readBytes(segment: number, offset: number, length: number): Buffer {
    let fd = this.readFds.get(segment);
    if (fd === undefined) {
      fd = openSync(join(this.directory, segmentName(segment)), 'r');
      this.readFds.set(segment, fd);
    }
    const data = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, data, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? data : data.subarray(0, done);
  }

  /**
   * Sequential reads with read-ahead: one `read` per span of records visited in order
   * (backwards for descending scans), 16 KiB first and doubling up to 256 KiB, so short
   * scans read little and long ones few times; `chunk` is reused across calls.
   */
  private readAhead(seq: number, chunk: ReadChunk, backwards: boolean): JournalEntry {
    const { segment, offset, length } = this.index.location(seq);
    if (
      chunk.segment !== segment ||
      offset < chunk.start ||
      offset + length > chunk.start + chunk.data.length
    ) {
      const size = Math.max(length, chunk.next);
      chunk.next = Math.min(READ_AHEAD_MAX, chunk.next * 2);
      const limit = this.segmentBytes.get(segment) ?? 0;
      const start = backwards ? Math.max(0, offset + length - size) : offset;
      const end = Math.max(offset + length, Math.min(limit, start + size));
      chunk.segment = segment;
      chunk.start = start;
      chunk.data = this.readBytes(segment, start, end - start);
    }
    return this.readAt(seq, chunk);
  }

  private readEntry(seq: number): JournalEntry {
    return this.pending.get(seq) ?? this.readAt(seq, undefined);
  }

  // ---------------------------------------------------------------- writing

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
  private seal(sync: boolean): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.immediate !== undefined) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
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
    this.enqueue(batch);
  }

  private enqueue(batch: Batch): void {
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
   * Hand everything buffered to the writer, with a sync at the end, and return the commit to
   * wait for.
   */
  private barrier(): Promise<void> {
    if (this.bufferLength > 0) this.seal(true);
    else {
      const last = this.queue[this.queue.length - 1];
      if (last !== undefined) last.sync = true;
      else if (!this.fsync && (this.dirty || this.inflight.length > 0)) {
        // 'relaxed': written (or being written) but not synced yet: a sync-only batch.
        this.enqueue({
          segment: this.writeSegment,
          position: this.writeOffset,
          data: EMPTY,
          firstSeq: this.index.count,
          endSeq: this.index.count,
          commit: newCommit(),
          sync: true,
        });
      }
    }
    return this.lastCommit?.promise ?? RESOLVED;
  }

  /** A promise that settles once record `seq` is durable (already written: at once). */
  private durableAt(seq: number): Promise<void> {
    if (!this.fsync || this.pending.get(seq) === undefined) return RESOLVED;
    if (this.bufferLength > 0 && seq >= this.bufferFirstSeq) return this.bufferCommit!.promise;
    for (const batch of [...this.inflight, ...this.queue]) {
      if (seq < batch.endSeq) return batch.commit.promise;
    }
    return RESOLVED;
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
        if (this.queue.length === 0 && this.fsync && this.bufferLength > 0) this.seal(false);
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
      if (batch.data.length > 0) {
        this.segmentBytes.set(segment, batch.position + batch.data.length);
      }
      this.pending.written(batch.endSeq);
      records += batch.endSeq - batch.firstSeq;
    }
    if (bytes > 0) {
      emit(this.flushChannel, (): JournalFlushMessage => ({
        journal: this.name,
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
      const spare = batch.reusable;
      if (spare !== undefined && this.spares.length < MAX_SPARE_BUFFERS) this.spares.push(spare);
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
    this.bufferCommit?.reject(failure);
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

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  // ---------------------------------------------------------------- open / lock

  private lock(): void {
    acquireJournalLock(this.directory);
    this.lockHeld = true;
  }

  private unlock(): void {
    if (!this.lockHeld) return;
    this.lockHeld = false;
    releaseJournalLock(this.directory);
  }

  private assertOpen(): void {
    if (this.closed) throw new JournalClosedError('FileJournal');
  }

  private run<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new JournalClosedError('FileJournal'));
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
