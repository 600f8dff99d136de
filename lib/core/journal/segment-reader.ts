// The read side of a FileJournal: positional reads of written records from the segment
// files, with read-ahead for scans, and their decoding.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { JournalCorruptError } from '../errors/journal.error.js';
import type { ExtensionRegistry } from '../signal/extensions.js';
import type { JournalEntry } from './journal-adapter.interface.js';
import { decodeEntry, readRecord } from './record-codec.js';
import type { RecordIndex } from './record-index.js';
import { segmentName } from './segment-replay.js';

const EMPTY = Buffer.alloc(0);
const READ_AHEAD_MIN = 16 * 1024;
const READ_AHEAD_MAX = 256 * 1024;

/** A span of a segment held in memory by a scan. @internal */
export interface ReadChunk {
  segment: number;
  start: number;
  data: Buffer;
  /** Read-ahead of the next read: starts small, doubles while the scan keeps going. */
  next: number;
}

/**
 * Reads written records of a journal directory: one read-only descriptor per segment, opened
 * on first use; records are located through the index and checked (CRC, id) when read.
 * @internal
 */
export class SegmentReader {
  private readonly fds = new Map<number, number>();

  /**
   * @param limitOf valid bytes of a segment (reads ahead stop there)
   */
  constructor(
    private readonly directory: string,
    private readonly index: RecordIndex,
    private readonly extensions: ExtensionRegistry | undefined,
    private readonly limitOf: (segment: number) => number,
  ) {}

  /** A fresh read-ahead span for one scan. */
  newChunk(): ReadChunk {
    return { segment: -1, start: 0, data: EMPTY, next: READ_AHEAD_MIN };
  }

  /** Read and decode one written record, from `chunk` when it holds it. */
  readAt(seq: number, chunk: ReadChunk | undefined): JournalEntry {
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
    try {
      return decodeEntry(data, record, { extensions: this.extensions });
    } catch (cause) {
      // The checksum holds but the signal does not parse: written so by a bug or by hand.
      throw new JournalCorruptError(
        `Journal record at ${segmentName(segment)}:${offset} holds no valid signal`,
        { directory: this.directory, segment: segmentName(segment), offset },
        cause,
      );
    }
  }

  /** Read `length` bytes of a segment at `offset` (fewer at its end). */
  private readBytes(segment: number, offset: number, length: number): Buffer {
    let fd = this.fds.get(segment);
    if (fd === undefined) {
      fd = openSync(join(this.directory, segmentName(segment)), 'r');
      this.fds.set(segment, fd);
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
  readAhead(seq: number, chunk: ReadChunk, backwards: boolean): JournalEntry {
    const { segment, offset, length } = this.index.location(seq);
    if (
      chunk.segment !== segment ||
      offset < chunk.start ||
      offset + length > chunk.start + chunk.data.length
    ) {
      const size = Math.max(length, chunk.next);
      chunk.next = Math.min(READ_AHEAD_MAX, chunk.next * 2);
      const limit = this.limitOf(segment);
      const start = backwards ? Math.max(0, offset + length - size) : offset;
      const end = Math.max(offset + length, Math.min(limit, start + size));
      chunk.segment = segment;
      chunk.start = start;
      chunk.data = this.readBytes(segment, start, end - start);
    }
    return this.readAt(seq, chunk);
  }

  /** Close every descriptor. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
