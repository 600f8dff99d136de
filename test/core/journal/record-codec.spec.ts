import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { createSignal } from '../../../lib/index.js';
import { crc32 } from '../../../lib/core/journal/crc32.js';
import {
  decodeEntry,
  encodeMeta,
  encodeRecord,
  isTornSegmentHeader,
  MAX_RECORD_BYTES,
  maxEncodedBytes,
  readRecord,
  RECORD_HEADER_BYTES,
  SEGMENT_MAGIC,
} from '../../../lib/core/journal/record-codec.js';
import type { JournalEntry } from '../../../lib/core/journal/index.js';

const zlibCrc = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

function encode(entry: JournalEntry): Buffer {
  const meta = encodeMeta(entry);
  const json = JSON.stringify(entry.signal);
  const buf = Buffer.alloc(maxEncodedBytes(meta, json));
  const end = encodeRecord(buf, 0, meta, json);
  expect(end).toBe(RECORD_HEADER_BYTES + Buffer.byteLength(`${meta}\n${json}`));
  return buf.subarray(0, end);
}

/** A record with an arbitrary payload and a valid checksum. */
function raw(payload: string): Buffer {
  const body = Buffer.from(payload);
  const buf = Buffer.alloc(RECORD_HEADER_BYTES + body.length);
  buf.writeUInt32LE(body.length, 0);
  body.copy(buf, RECORD_HEADER_BYTES);
  buf.writeUInt32LE(crc32(buf, RECORD_HEADER_BYTES, buf.length, crc32(buf, 0, 4)), 4);
  return buf;
}

function entry(): JournalEntry {
  const signal = createSignal('codec.test', { text: 'héllo ✓ 𝄞', n: [1, 2, 3] }, { subject: 's' });
  return {
    id: signal.id,
    time: Date.parse(signal.time!),
    recordedAt: Date.parse(signal.time!) + 5,
    causeId: 'cause-"1"',
    conversationId: 'conv-1',
    signal,
  };
}

describe('crc32', () => {
  it('matches the standard check value and zlib, for every length and alignment', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    for (let i = 0; i < 60; i++) {
      const data = randomBytes(i < 20 ? i : 1 + Math.floor(Math.random() * 2000));
      const start = data.length > 3 ? i % 3 : 0;
      if (zlibCrc !== undefined) {
        expect(crc32(data, start)).toBe(zlibCrc(data.subarray(start)));
      }
      // Incremental: crc of a prefix continued over the rest equals the crc of the whole.
      const cut = Math.floor(data.length / 3);
      expect(crc32(data, cut, data.length, crc32(data, 0, cut))).toBe(crc32(data));
    }
  });
});

describe('record codec', () => {
  it('round-trips meta and signal (multi-byte characters, escaped ids)', () => {
    const e = entry();
    const buf = encode(e);
    const rec = readRecord(buf, 0, buf.length);
    expect(typeof rec).toBe('object');
    if (typeof rec === 'string') return;
    expect(rec.meta).toEqual({
      id: e.id,
      time: e.time,
      recordedAt: e.recordedAt,
      causeId: 'cause-"1"',
      conversationId: 'conv-1',
    });
    expect(rec.end).toBe(buf.length);
    expect(decodeEntry(buf, rec).signal.toJSON()).toEqual(e.signal.toJSON());
    const root = encode({ ...e, causeId: undefined });
    const rootRec = readRecord(root, 0, root.length);
    expect(typeof rootRec !== 'string' && rootRec.meta.causeId).toBeUndefined();
  });

  it('tells every kind of damage apart', () => {
    const buf = encode(entry());
    expect(readRecord(buf, 0, 5)).toBe('truncated_header');
    expect(readRecord(buf, 0, buf.length - 1)).toBe('truncated_record');
    const flipped = Buffer.from(buf);
    flipped[flipped.length - 3] ^= 0x01;
    expect(readRecord(flipped, 0, flipped.length)).toBe('crc_mismatch');
    const badLength = Buffer.from(buf);
    badLength.writeUInt32LE(MAX_RECORD_BYTES + 1, 0);
    expect(readRecord(badLength, 0, badLength.length)).toBe('invalid_length');
    const zeros = Buffer.alloc(32);
    expect(readRecord(zeros, 0, zeros.length)).toBe('crc_mismatch');
    // Checksummed payloads that are not journal records.
    for (const payload of ['hello', '{"i":1}\n{}', '{oops\n{}']) {
      const rec = raw(payload);
      expect(readRecord(rec, 0, rec.length)).toBe('invalid_payload');
    }
  });
});

describe('isTornSegmentHeader', () => {
  it('a prefix of the magic followed by zeros (or a short file) is torn; the magic or other bytes are not', () => {
    for (let k = 0; k < 8; k++) {
      const header = Buffer.concat([SEGMENT_MAGIC.subarray(0, k), Buffer.alloc(64 - k)]);
      expect(isTornSegmentHeader(header)).toBe(true);
      expect(isTornSegmentHeader(SEGMENT_MAGIC.subarray(0, k))).toBe(true);
    }
    expect(isTornSegmentHeader(Buffer.alloc(4096))).toBe(true);
    expect(isTornSegmentHeader(Buffer.concat([SEGMENT_MAGIC, Buffer.alloc(8)]))).toBe(false);
    expect(isTornSegmentHeader(Buffer.from('not a journal'))).toBe(false);
    // Zeros, then something else inside the header: foreign, not torn.
    expect(isTornSegmentHeader(Buffer.from([0, 0, 0, 0, 0x45, 0, 0, 0]))).toBe(false);
    expect(isTornSegmentHeader(Buffer.from('JSJ\x00\x00X\x00\x00', 'latin1'))).toBe(false);
  });
});
