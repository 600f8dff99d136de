// FileJournal, the durable journal adapter: opening (options, lock, replay and repair) and the
// JournalAdapter API over its parts — the index, the staging buffer and writer
// (record-staging.ts, segment-writer.ts) and the reader (segment-reader.ts).
import { mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { JidoSignalError } from '../errors/jido-signal.error.js';
import { JournalClosedError, JournalIoError } from '../errors/journal.error.js';
import type { ExtensionRegistry } from '../signal/extensions.js';
import { emit, telemetryChannel } from '../telemetry/telemetry.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { asError } from '../util/as-error.js';
import {
  resolveFileJournalOptions,
  type ResolvedFileJournalOptions,
} from './file-journal-options.js';
import type {
  FileJournalOptions,
  FileJournalStats,
  JournalRecoveryReport,
} from './file-journal.types.js';
import type {
  JournalAdapter,
  JournalEntry,
  JournalMeta,
  JournalScan,
  StagedSignal,
} from './journal-adapter.interface.js';
import { acquireJournalLock, releaseJournalLock } from './journal-lock.js';
import { PendingEntries } from './pending-entries.js';
import { RecordIndex } from './record-index.js';
import { RecordStaging } from './record-staging.js';
import { SegmentReader } from './segment-reader.js';
import type { Commit } from './segment-writer.js';
import type { SyncStaging } from './sync-staging.js';
import { replaySegments, segmentName } from './segment-replay.js';

/** What `stageSignal` resolves to when a record need not wait (relaxed, or already durable). */
const NOTHING_TO_WAIT: Promise<StagedSignal> = Promise.resolve({ durable: Promise.resolve() });
const noop = (): void => {};

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
  readonly options: ResolvedFileJournalOptions;

  private readonly index: RecordIndex;
  /** Records accepted but not yet written, see {@link PendingEntries}. */
  private readonly pending = new PendingEntries();
  /** Valid bytes per segment number (written, or replayed at open). */
  private readonly segmentBytes = new Map<number, number>();
  /** The append side: staging buffer, group commit and the writer. */
  private readonly staging: RecordStaging;
  private readonly reader: SegmentReader;
  private closed = false;
  private closing: Promise<void> | undefined;
  private lockHeld = false;

  private constructor(
    directory: string,
    options: ResolvedFileJournalOptions,
    extensions: ExtensionRegistry | undefined,
  ) {
    this.directory = directory;
    this.options = options;
    this.index = new RecordIndex(options.indexInterval);
    this.recovery = undefined;
    this.staging = new RecordStaging(
      this.name,
      directory,
      options,
      this.index,
      this.pending,
      this.segmentBytes,
    );
    this.reader = new SegmentReader(
      directory,
      this.index,
      extensions,
      (segment) => this.segmentBytes.get(segment) ?? 0,
    );
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
    const resolved = resolveFileJournalOptions(options);
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
      for (const [segment, bytes] of replayed.segmentBytes) {
        journal.segmentBytes.set(segment, bytes);
      }
      journal.staging.startAt(replayed.lastSegment, replayed.lastOffset);
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
        return Promise.resolve({ durable: this.staging.durableAt(existing) });
      }
      commit = this.staging.append(entry);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    const staged = commit === undefined ? NOTHING_TO_WAIT : commit.staged;
    const gate = this.staging.gate;
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
      linkedAhead: (id) => this.index.linkedAhead(id),
      stageSync: (entry) => {
        this.assertWritable();
        return this.staging.append(entry)?.promise;
      },
      get backpressure() {
        return journal.staging.gate;
      },
      get lastRecordedAt() {
        return journal.index.lastRecordedAt;
      },
    };
  }

  /** @throws JournalClosedError | JournalIoError when no record can be appended */
  private assertWritable(): void {
    if (this.closed) throw new JournalClosedError('FileJournal');
    this.throwIfFailed();
    if (this.options.readOnly) {
      throw new JournalIoError(`FileJournal "${this.directory}" is open read-only`, undefined, {
        directory: this.directory,
        readOnly: true,
      });
    }
  }

  /** @inheritdoc */
  getSignal(id: string): Promise<JournalEntry | undefined> {
    return this.run(() => {
      const seq = this.index.seqOf(id);
      return seq === undefined
        ? undefined
        : (this.pending.get(seq) ?? this.reader.readAt(seq, undefined));
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
    const chunk = this.reader.newChunk();
    for (const seq of seqs) {
      this.assertOpen();
      yield this.pending.get(seq) ?? this.reader.readAhead(seq, chunk, desc);
    }
  }

  /** @inheritdoc */
  size(): Promise<number> {
    return this.run(() => this.index.size);
  }

  /**
   * Resolves once everything accepted so far is written and `fdatasync`ed (in both durability
   * modes: with `'relaxed'` this is the barrier).
   * @throws JournalIoError when a write failed
   */
  flush(): Promise<void> {
    if (this.closed) return Promise.reject(new JournalClosedError('FileJournal'));
    return this.staging.barrier().then(() => this.throwIfFailed());
  }

  /**
   * Write and sync what is pending, close the files and release the lock. Idempotent: every
   * call returns the same promise.
   * @throws JournalIoError when a write failed
   */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    const done = this.staging.barrier();
    this.closed = true;
    await done.catch(noop);
    try {
      await this.staging.writer.close();
    } finally {
      this.reader.close();
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
      records: this.index.size,
      pendingRecords: this.pending.size,
      segments,
      indexBlocks: this.index.blocks,
    };
  }

  private throwIfFailed(): void {
    const failure = this.staging.writer.failure;
    if (failure !== undefined) throw failure;
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
      return Promise.reject(asError(error));
    }
  }
}
