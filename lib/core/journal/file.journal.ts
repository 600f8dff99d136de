import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { JidoSignalError } from '../errors/jido-signal.error.js';
import {
  JournalClosedError,
  JournalCorruptError,
  JournalIoError,
  JournalLockedError,
} from '../errors/journal.error.js';
import { ValidationError } from '../errors/validation.error.js';
import type { ExtensionRegistry } from '../signal/extensions.js';
import { emit, telemetryChannel } from '../telemetry/telemetry.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import type {
  JournalAdapter,
  JournalEntry,
  JournalMeta,
  JournalScan,
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
  type RecordDamage,
} from './record-codec.js';
import { RecordIndex } from './record-index.js';

/** How hard a file journal tries to keep written batches across a power loss. */
export type JournalDurability = 'none' | 'batch';

/** Options of {@link FileJournal.open}. */
export interface FileJournalOptions {
  /**
   * `'batch'`: every group-commit batch is written with one `write` and then `fdatasync`ed
   * (a new segment also syncs the directory), so a flushed batch survives a power loss.
   * `'none'`: one `write` per batch, no sync — a batch survives a process crash as soon as
   * it is written, a power loss only once the OS has written it back.
   * @default 'batch'
   */
  durability?: JournalDurability;
  /** A batch is written as soon as it holds this many records. @default 1000 */
  maxBatchRecords?: number;
  /** A batch is written as soon as it holds this many bytes. @default 1_048_576 (1 MiB) */
  maxBatchBytes?: number;
  /**
   * Longest a record waits in the buffer before its batch is written, in ms. This bounds
   * what a crash can lose; `flush()` writes immediately. The timer is unref'd.
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
   * `TelemetryChannel.JournalRecovery` and kept in {@link FileJournal.recovery}).
   * @default undefined
   */
  onRecovery?: (report: JournalRecoveryReport) => void;
  /** Extensions stored signals are parsed with. @default the default signal factory's */
  extensions?: ExtensionRegistry;
}

/** What opening a file journal repaired; see {@link FileJournal.recovery}. */
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
  /** What was wrong with the first bad record. */
  readonly reason: RecordDamage | 'torn_segment_header';
  /** `false` when opened read-only (the tail was ignored, not truncated). */
  readonly repaired: boolean;
  /** Records recovered from all segments. */
  readonly records: number;
}

/** Message of `TelemetryChannel.JournalFlush`: one group-commit batch was written. */
export interface JournalFlushMessage {
  /** Adapter name (`'file'`). */
  readonly journal: string;
  /** Absolute journal directory. */
  readonly directory: string;
  /** Segment file written. */
  readonly segment: string;
  /** Records in the batch. */
  readonly records: number;
  /** Bytes written. */
  readonly bytes: number;
  /** Whether the batch was `fdatasync`ed (durability `'batch'`). */
  readonly synced: boolean;
  /** Write (+ sync) time in ms. */
  readonly durationMs: number;
}

/** Size and shape of a file journal, see {@link FileJournal.stats}. */
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

/** A span of a segment held in memory by a scan. */
interface ReadChunk {
  segment: number;
  start: number;
  data: Buffer;
  /** Read-ahead of the next read: starts small, doubles while the scan keeps going. */
  next: number;
}

const EMPTY = Buffer.alloc(0);

interface Batch {
  readonly segment: number;
  readonly position: number;
  readonly data: Buffer;
  readonly firstSeq: number;
  readonly endSeq: number;
}

const SEGMENT_RE = /^segment-(\d{10})\.jrnl$/;
const LOCK_FILE = 'LOCK';
const READ_AHEAD_MIN = 16 * 1024;
const READ_AHEAD_MAX = 256 * 1024;
const MAX_SEGMENT_BYTES = 2 ** 31;

/** File name of segment `n`. */
function segmentName(n: number): string {
  return `segment-${String(n).padStart(10, '0')}.jrnl`;
}

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

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/**
 * A durable, append-only journal adapter in a directory of segment files, with no
 * dependencies:
 *
 * - every record is length-prefixed and CRC-32 checked (see `record-codec.ts` for the
 *   layout); its payload is JSON;
 * - group commit: records are buffered and written with one `write` per batch (every
 *   `maxBatchRecords` records, `maxBatchBytes` bytes or `flushIntervalMs` ms), then
 *   `fdatasync`ed with `durability: 'batch'`; writes run off the event loop, one at a time,
 *   in order;
 * - segments roll at `segmentMaxBytes`;
 * - on open every segment is replayed to rebuild the in-memory index (ids, locations, cause
 *   edges, conversations, the sparse time index); a torn last record — truncated, failing its
 *   CRC or unparsable — and everything after it are dropped, the file is truncated to the last
 *   good record and a {@link JournalRecoveryReport} is published. Damage anywhere but the tail
 *   of the last segment is reported as `JournalCorruptError` instead of being dropped;
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
  /** Records accepted but not yet written, by seq. */
  private readonly pending = new Map<number, JournalEntry>();
  /** Valid bytes per segment number (written, or replayed at open). */
  private readonly segmentBytes = new Map<number, number>();
  private readonly readFds = new Map<number, number>();
  private readonly flushChannel = telemetryChannel(TelemetryChannel.JournalFlush);

  // Logical end of the log, buffered records included.
  private writeSegment: number;
  private writeOffset: number;

  private buffer: Buffer = Buffer.allocUnsafe(64 * 1024);
  private bufferLength = 0;
  private bufferRecords = 0;
  private bufferFirstSeq = 0;
  private bufferSegment = 0;
  private bufferPosition = 0;
  private timer: NodeJS.Timeout | undefined;

  private writes: Promise<void> = Promise.resolve();
  private queuedBytes = 0;
  private writer: { segment: number; handle: FileHandle } | undefined;
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
    this.index = new RecordIndex(options.indexInterval);
    this.writeSegment = 1;
    this.writeOffset = 0;
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
    const durability = options.durability ?? 'batch';
    if (durability !== 'none' && durability !== 'batch') {
      throw new ValidationError(
        'invalid_attribute',
        'durability',
        `FileJournal option durability must be 'none' or 'batch', got ${String(durability)}`,
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
      const report = journal.replay();
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

  /** @inheritdoc */
  putSignal(entry: JournalEntry): Promise<void> {
    if (this.closed) return Promise.reject(new JournalClosedError('FileJournal'));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.options.readOnly) {
      return Promise.reject(
        new JournalIoError(`FileJournal "${this.directory}" is open read-only`, undefined, {
          directory: this.directory,
          readOnly: true,
        }),
      );
    }
    const meta = encodeMeta(entry);
    const json = JSON.stringify(entry.signal);
    this.reserve(maxEncodedBytes(meta, json) + SEGMENT_HEADER_BYTES);
    // A fresh segment starts with its header; the buffer is empty whenever writeOffset is 0.
    let fresh = this.writeOffset === 0;
    let at = this.bufferLength + (fresh ? SEGMENT_HEADER_BYTES : 0);
    let end = encodeRecord(this.buffer, at, meta, json);
    const size = end - at;
    if (size - RECORD_HEADER_BYTES > MAX_RECORD_BYTES) {
      return Promise.reject(
        new ValidationError(
          'payload_too_large',
          'signal',
          `Signal "${entry.id}" encodes to ${size} bytes; a journal record holds at most ${MAX_RECORD_BYTES}`,
        ),
      );
    }
    if (this.index.seqOf(entry.id) !== undefined) return Promise.resolve();
    if (
      this.writeOffset > SEGMENT_HEADER_BYTES &&
      this.writeOffset + size > this.options.segmentMaxBytes
    ) {
      // Roll: write what is buffered to the current segment, start the next with this record.
      const record = Buffer.from(this.buffer.subarray(at, end));
      this.flushBuffer();
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
    }
    if (fresh) {
      SEGMENT_MAGIC.copy(this.buffer, this.bufferLength);
      this.writeOffset = SEGMENT_HEADER_BYTES;
    }
    const seq = this.index.add(entry, this.writeSegment, this.writeOffset, size);
    this.bufferLength = end;
    this.writeOffset += size;
    this.pending.set(seq, entry);
    this.bufferRecords++;
    if (
      this.bufferRecords >= this.options.maxBatchRecords ||
      this.bufferLength >= this.options.maxBatchBytes
    ) {
      this.flushBuffer();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushBuffer();
      }, this.options.flushIntervalMs);
      this.timer.unref();
    }
    if (this.queuedBytes + this.bufferLength > this.options.maxPendingBytes) {
      this.flushBuffer();
      return this.writes.then(() => this.throwIfFailed());
    }
    return Promise.resolve();
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
   * Write everything buffered (one write per segment touched) and, with durability
   * `'batch'`, sync it. Resolves once it is on disk.
   * @throws JournalIoError when a write failed
   */
  flush(): Promise<void> {
    if (this.closed) return Promise.reject(new JournalClosedError('FileJournal'));
    this.flushBuffer();
    return this.writes.then(() => this.throwIfFailed());
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flushBuffer();
    this.closed = true;
    await this.writes;
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

  /** Hand the buffered records to the writer (one `write`). */
  private flushBuffer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.bufferLength === 0) return;
    // Hand the bytes over without copying when the buffer is well used; copy small batches
    // (timer flushes) so a large buffer is not reallocated for a few records.
    let data: Buffer;
    if (this.bufferLength * 4 >= this.buffer.length) {
      data = this.buffer.subarray(0, this.bufferLength);
      this.buffer = Buffer.allocUnsafe(this.buffer.length);
    } else data = Buffer.from(this.buffer.subarray(0, this.bufferLength));
    const batch: Batch = {
      segment: this.bufferSegment,
      position: this.bufferPosition,
      data,
      firstSeq: this.bufferFirstSeq,
      endSeq: this.index.count,
    };
    this.bufferLength = 0;
    this.bufferRecords = 0;
    this.queuedBytes += batch.data.length;
    this.writes = this.writes.then(() => this.writeBatch(batch));
  }

  private async writeBatch(batch: Batch): Promise<void> {
    this.queuedBytes -= batch.data.length;
    if (this.failure !== undefined) return;
    const started = performance.now();
    const synced = this.options.durability === 'batch';
    try {
      const handle = await this.writerFor(batch.segment, batch.position === 0);
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
      if (synced) await handle.datasync();
    } catch (cause) {
      this.failure = new JournalIoError(
        `Writing ${segmentName(batch.segment)} in "${this.directory}" failed; the journal accepts no more records`,
        cause,
        { directory: this.directory, segment: segmentName(batch.segment) },
      );
      return;
    }
    this.segmentBytes.set(batch.segment, batch.position + batch.data.length);
    for (let seq = batch.firstSeq; seq < batch.endSeq; seq++) this.pending.delete(seq);
    emit(this.flushChannel, () => ({
      journal: this.name,
      directory: this.directory,
      segment: segmentName(batch.segment),
      records: batch.endSeq - batch.firstSeq,
      bytes: batch.data.length,
      synced,
      durationMs: performance.now() - started,
    }));
  }

  private async writerFor(segment: number, create: boolean): Promise<FileHandle> {
    if (this.writer?.segment === segment) return this.writer.handle;
    if (this.writer !== undefined) {
      const previous = this.writer.handle;
      this.writer = undefined;
      await previous.close();
    }
    const handle = await open(join(this.directory, segmentName(segment)), create ? 'w' : 'r+');
    this.writer = { segment, handle };
    if (create && this.options.durability === 'batch') {
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

  // ---------------------------------------------------------------- open / replay

  private replay(): JournalRecoveryReport | undefined {
    const numbers = readdirSync(this.directory)
      .map((f) => SEGMENT_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let report: JournalRecoveryReport | undefined;
    for (let i = 0; i < numbers.length; i++) {
      const n = numbers[i];
      const last = i === numbers.length - 1;
      const file = segmentName(n);
      const path = join(this.directory, file);
      const data = readFileSync(path);
      const damage = (offset: number, reason: JournalRecoveryReport['reason']): void => {
        if (!last) {
          throw new JournalCorruptError(
            `Journal segment ${file} in "${this.directory}" is damaged at offset ${offset} (${reason}); only the tail of the last segment is repaired automatically`,
            { directory: this.directory, segment: file, offset, reason },
          );
        }
        report = {
          journal: this.name,
          directory: this.directory,
          segment: file,
          offset,
          droppedBytes: data.length - offset,
          reason,
          repaired: !this.options.readOnly,
          records: 0,
        };
        if (!this.options.readOnly) truncate(path, offset);
      };
      let end = data.length;
      if (data.length < SEGMENT_HEADER_BYTES) {
        // Only a crash while creating the segment leaves a partial header.
        if (data.length > 0 || !last) damage(0, 'torn_segment_header');
        end = 0;
      } else if (!data.subarray(0, SEGMENT_HEADER_BYTES).equals(SEGMENT_MAGIC)) {
        throw new JournalCorruptError(`"${path}" is not a journal segment (bad magic)`, {
          directory: this.directory,
          segment: file,
          offset: 0,
          reason: 'bad_magic',
        });
      } else {
        let at = SEGMENT_HEADER_BYTES;
        while (at < data.length) {
          const record = readRecord(data, at, data.length);
          if (typeof record === 'string') {
            damage(at, record);
            break;
          }
          this.index.add(record.meta, n, at, record.end - at);
          at = record.end;
        }
        end = at;
      }
      this.segmentBytes.set(n, end);
      if (last) {
        this.writeSegment = n;
        this.writeOffset = end;
      }
    }
    if (report === undefined) return undefined;
    return { ...report, records: this.index.count };
  }

  private lock(): void {
    const path = join(this.directory, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, String(process.pid), { flag: 'wx' });
        this.lockHeld = true;
        return;
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) throw error;
      }
      const pid = Number(readFileSyncSafe(path));
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new JournalLockedError(this.directory, pid);
      }
      // Stale lock of a dead writer (e.g. killed): take it over.
      try {
        unlinkSync(path);
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error;
      }
    }
    throw new JournalLockedError(this.directory, Number(readFileSyncSafe(path)));
  }

  private unlock(): void {
    if (!this.lockHeld) return;
    this.lockHeld = false;
    const path = join(this.directory, LOCK_FILE);
    try {
      if (readFileSyncSafe(path) === String(process.pid)) unlinkSync(path);
    } catch {
      // Best effort: a leftover lock of a dead process is taken over on the next open.
    }
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

function truncate(path: string, length: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, length);
  } finally {
    closeSync(fd);
  }
}

function readFileSyncSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrno(error, 'EPERM');
  }
}
