import { Signal, type SignalParseOptions } from '../signal/signal.js';
import { STORED_MAX_DEPTH } from '../signal/safe-input.js';
import { quotedId } from '../signal/signal-json.js';
import { crc32 } from './crc32.js';
import type { JournalEntry, JournalMeta } from './journal-adapter.interface.js';

/**
 * On-disk layout of the file journal (format version 1).
 *
 * A segment file starts with the 8-byte {@link SEGMENT_MAGIC} and then holds records back to
 * back. A record is
 *
 * ```
 * offset 0  u32 LE  payload length n
 * offset 4  u32 LE  CRC-32 of bytes 0..3 (the length) followed by the n payload bytes
 * offset 8  n bytes payload: UTF-8 `META` JSON, one `\n`, the signal's CloudEvents JSON
 * ```
 *
 * `META` is `{"i":id,"t":time,"r":recordedAt,"c":causeId?,"v":conversationId?}` (`v` left
 * out when the conversation is keyed by the id itself). Replay on
 * open parses only `META` (JSON never contains a raw newline, so the first `\n` ends it);
 * the signal is parsed when it is read.
 */
export const SEGMENT_MAGIC: Buffer = Buffer.from('JSJRNL\x00\x01', 'latin1');
/** Bytes before the first record of a segment. */
export const SEGMENT_HEADER_BYTES = 8;

/**
 * `true` when `data` (a segment's first bytes) starts with a torn header: a strict prefix of
 * {@link SEGMENT_MAGIC} — possibly empty — followed only by zero bytes up to the header's end,
 * or fewer bytes than a header. That is what a crash leaves when a segment file was created or
 * extended but its first write never reached the disk (such as an all-zero file). Anything else
 * that is not the magic is a foreign file.
 */
export function isTornSegmentHeader(data: Buffer): boolean {
  if (data.length < SEGMENT_HEADER_BYTES) return true;
  let i = 0;
  while (i < SEGMENT_HEADER_BYTES && data[i] === SEGMENT_MAGIC[i]) i++;
  if (i === SEGMENT_HEADER_BYTES) return false;
  for (; i < SEGMENT_HEADER_BYTES; i++) if (data[i] !== 0) return false;
  return true;
}
/** Bytes before a record's payload (length + CRC). */
export const RECORD_HEADER_BYTES = 8;
/** Largest payload the codec accepts (a larger length prefix is treated as damage). */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * Encode the META line of an entry: `{"i":…,"t":…,"r":…,"c":…,"v":…}` — `c` only for
 * effects, `v` only when the conversation is not keyed by the signal's own id.
 */
export function encodeMeta(meta: JournalMeta): string {
  const id = quotedId(meta.id);
  const cause = meta.causeId === undefined ? '' : `,"c":${JSON.stringify(meta.causeId)}`;
  // Most roots start their own conversation: `v` is left out when it equals the id.
  const conversation =
    meta.conversationId === meta.id ? '' : `,"v":${JSON.stringify(meta.conversationId)}`;
  return `{"i":${id},"t":${meta.time},"r":${meta.recordedAt}${cause}${conversation}}`;
}

/** Upper bound of the bytes {@link encodeRecord} writes for these strings (≤ 3 UTF-8 bytes per UTF-16 unit). */
export function maxEncodedBytes(meta: string, json: string): number {
  return RECORD_HEADER_BYTES + (meta.length + 1 + json.length) * 3;
}

/**
 * Write one record at `at`: the payload `meta` + `\n` + `json` behind its length and CRC.
 * `target` must have room for {@link maxEncodedBytes} bytes.
 * @returns the offset just past the record
 */
export function encodeRecord(target: Buffer, at: number, meta: string, json: string): number {
  const start = at + RECORD_HEADER_BYTES;
  let end = start + target.write(meta, start, 'utf8');
  target[end++] = NEWLINE;
  end += target.write(json, end, 'utf8');
  target.writeUInt32LE(end - start, at);
  target.writeUInt32LE(crc32(target, start, end, crc32(target, at, start - 4)), at + 4);
  return end;
}

/** Why a record could not be read; see {@link readRecord}. */
export type RecordDamage =
  /** Fewer bytes than a record header remain. */
  | 'truncated_header'
  /** The length prefix points past the end of the data (a torn write). */
  | 'truncated_record'
  /** The length prefix is larger than {@link MAX_RECORD_BYTES}. */
  | 'invalid_length'
  /** The CRC does not match (partial or garbage bytes). */
  | 'crc_mismatch'
  /** Checksum fine but the payload is not a journal record (bug or foreign file). */
  | 'invalid_payload';

/** A record located in a buffer: its META and where the signal JSON lies. */
export interface RawRecord {
  readonly meta: JournalMeta;
  /** Offset of the record's first byte. */
  readonly start: number;
  /** Offset just past the record. */
  readonly end: number;
  /** Offset of the signal JSON (up to {@link end}). */
  readonly signalStart: number;
}

/**
 * Read the record at `at` (data ends at `limit`): checks length and CRC and parses META.
 * Returns the damage kind instead of throwing so replay can tell a torn tail from a good
 * record.
 */
export function readRecord(buffer: Buffer, at: number, limit: number): RawRecord | RecordDamage {
  if (limit - at < RECORD_HEADER_BYTES) return 'truncated_header';
  const n = buffer.readUInt32LE(at);
  if (n > MAX_RECORD_BYTES) return 'invalid_length';
  const end = at + RECORD_HEADER_BYTES + n;
  if (end > limit) return 'truncated_record';
  const expected = buffer.readUInt32LE(at + 4);
  const actual = crc32(buffer, at + RECORD_HEADER_BYTES, end, crc32(buffer, at, at + 4));
  if (actual !== expected) return 'crc_mismatch';
  const payloadStart = at + RECORD_HEADER_BYTES;
  const nl = buffer.indexOf(NEWLINE, payloadStart);
  if (nl === -1 || nl >= end) return 'invalid_payload';
  const meta = parseMeta(buffer.toString('utf8', payloadStart, nl));
  if (meta === undefined) return 'invalid_payload';
  return { meta, start: at, end, signalStart: nl + 1 };
}

function parseMeta(text: string): JournalMeta | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (
    typeof m.i !== 'string' ||
    typeof m.t !== 'number' ||
    typeof m.r !== 'number' ||
    (m.v !== undefined && typeof m.v !== 'string') ||
    (m.c !== undefined && typeof m.c !== 'string')
  ) {
    return undefined;
  }
  return { id: m.i, time: m.t, recordedAt: m.r, causeId: m.c, conversationId: m.v ?? m.i };
}

/** Parse the signal JSON of a record read with {@link readRecord}. */
export function decodeEntry(
  buffer: Buffer,
  record: RawRecord,
  options: SignalParseOptions = {},
): JournalEntry {
  const json: unknown = JSON.parse(buffer.toString('utf8', record.signalStart, record.end));
  return {
    ...record.meta,
    signal: Signal.from(json, { maxDepth: STORED_MAX_DEPTH, ...options }),
  };
}
