import { closeSync, ftruncateSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JournalCorruptError } from '../errors/journal.error.js';
import type { JournalRecoveryReport } from './file-journal.types.js';
import {
  isTornSegmentHeader,
  readRecord,
  SEGMENT_HEADER_BYTES,
  SEGMENT_MAGIC,
} from './record-codec.js';
import type { RecordIndex } from './record-index.js';

const SEGMENT_RE = /^segment-(\d{10})\.jrnl$/;

/** File name of segment `n`. @internal */
export function segmentName(n: number): string {
  return `segment-${String(n).padStart(10, '0')}.jrnl`;
}

/** What replaying a journal directory found. @internal */
export interface ReplayResult {
  /** The damaged tail that was dropped (repaired unless read-only), if any. */
  readonly report: JournalRecoveryReport | undefined;
  /** Valid bytes per segment number. */
  readonly segmentBytes: Map<number, number>;
  /** Number of the last segment (1 when there is none). */
  readonly lastSegment: number;
  /** Where the next record goes in it (0: the segment header must be written first). */
  readonly lastOffset: number;
}

/**
 * Replay every segment of `directory` into `index`. A damaged tail of the last segment — a
 * torn record, a zero-filled or partial segment header — is dropped: the file is truncated to
 * the last good record (unless `readOnly`) and reported. Damage anywhere else, or a segment
 * that is not a journal segment at all, throws `JournalCorruptError`.
 * @internal
 */
export function replaySegments(
  journal: string,
  directory: string,
  index: RecordIndex,
  readOnly: boolean,
): ReplayResult {
  const numbers = readdirSync(directory)
    .map((f) => SEGMENT_RE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const segmentBytes = new Map<number, number>();
  let report: JournalRecoveryReport | undefined;
  let lastSegment = 1;
  let lastOffset = 0;
  for (let i = 0; i < numbers.length; i++) {
    const n = numbers[i];
    const last = i === numbers.length - 1;
    const file = segmentName(n);
    // Segments are numbered from 1 without gaps: a missing one lost its records.
    const expected = i === 0 ? 1 : numbers[i - 1] + 1;
    if (n !== expected) {
      throw new JournalCorruptError(
        `Journal segment ${segmentName(expected)} is missing from "${directory}" (found ${file} after it); its records are lost`,
        { directory, segment: segmentName(expected), offset: 0, reason: 'missing_segment' },
      );
    }
    const path = join(directory, file);
    const data = readFileSync(path);
    const damage = (offset: number, reason: JournalRecoveryReport['reason']): void => {
      if (!last) {
        throw new JournalCorruptError(
          `Journal segment ${file} in "${directory}" is damaged at offset ${offset} (${reason}); only the tail of the last segment is repaired automatically`,
          { directory, segment: file, offset, reason },
        );
      }
      report = {
        journal,
        directory,
        segment: file,
        offset,
        droppedBytes: data.length - offset,
        reason,
        repaired: !readOnly,
        records: 0,
      };
      if (!readOnly) truncate(path, offset);
    };
    let end: number;
    if (
      data.length >= SEGMENT_HEADER_BYTES &&
      data.subarray(0, SEGMENT_HEADER_BYTES).equals(SEGMENT_MAGIC)
    ) {
      end = SEGMENT_HEADER_BYTES;
      while (end < data.length) {
        const record = readRecord(data, end, data.length);
        if (typeof record === 'string') {
          damage(end, record);
          break;
        }
        index.add(record.meta, n, end, record.end - end);
        end = record.end;
      }
    } else if (isTornSegmentHeader(data)) {
      // Created (or extended) but its first write never reached the disk: nothing in it was
      // ever durable, since a batch resolves only after the header written with it is synced.
      // An empty last segment is simply where the next record goes.
      if (data.length > 0 || !last) damage(0, 'torn_segment_header');
      end = 0;
    } else {
      throw new JournalCorruptError(`"${path}" is not a journal segment (bad magic)`, {
        directory,
        segment: file,
        offset: 0,
        reason: 'bad_magic',
      });
    }
    segmentBytes.set(n, end);
    if (last) {
      lastSegment = n;
      lastOffset = end;
    }
  }
  return {
    report: report === undefined ? undefined : { ...report, records: index.count },
    segmentBytes,
    lastSegment,
    lastOffset,
  };
}

function truncate(path: string, length: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, length);
  } finally {
    closeSync(fd);
  }
}
