// Edges of the journal found by attacking it: cycles through effects linked ahead of their
// cause, leap seconds, record times across a restart, close() called twice, a failed write,
// a missing segment and a record whose signal does not parse.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalCorruptError } from '../../../lib/core/errors/journal.error.js';
import {
  FileJournal,
  MemoryJournal,
  SignalJournal,
  type JournalAdapter,
} from '../../../lib/core/journal/index.js';
import { crc32 } from '../../../lib/core/journal/crc32.js';
import { readRecord, SEGMENT_HEADER_BYTES } from '../../../lib/core/journal/record-codec.js';
import { createSignal, Signal } from '../../../lib/core/signal/signal.js';

const root = mkdtempSync(join(tmpdir(), 'journal-edges-'));
let n = 0;
const freshDir = () => join(root, `j${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const codeOf = (e: unknown) => (e as { code?: string }).code;
const T = new Date('2026-01-01T10:00:00Z');

const adapters: [string, () => Promise<JournalAdapter>][] = [
  ['memory', () => Promise.resolve(new MemoryJournal())],
  ['file', () => FileJournal.open(freshDir())],
];

describe.each(adapters)('%s adapter', (_name, make) => {
  it('rejects a cycle through an effect linked ahead of its cause (a → b recorded before b → a)', async () => {
    const journal = new SignalJournal({ adapter: await make() });
    const a = createSignal('a', null, { time: T });
    const b = createSignal('b', null, { time: T });
    const c = createSignal('c', null, { time: T });
    await journal.record(a, { causeId: b.id, unknownCause: 'link' });
    await journal.record(c, { causeId: a.id });
    // b caused by c, whose cause a was linked ahead to b: b → a → c → b.
    await expect(journal.record(b, { causeId: c.id })).rejects.toMatchObject({
      code: 'causality_cycle',
    });
    // Queued behind another record (the asynchronous path), the same rule holds.
    const other = createSignal('other', null, { time: T });
    const queued = [journal.record(other), journal.record(b, { causeId: a.id })];
    await expect(queued[1]).rejects.toMatchObject({ code: 'causality_cycle' });
    await queued[0];
    // Nothing was stored for b; recorded as a root it links a up.
    expect(await journal.get(b.id)).toBeUndefined();
    await journal.record(b);
    expect((await journal.getEffects(b.id)).map((s) => s.id)).toEqual([a.id]);
    expect(
      (await journal.traceChain(c.id, { direction: 'causes' })).map((s) => s.signal.id),
    ).toEqual([c.id, a.id, b.id]);
    await journal.close();
  });

  it('a leap second is the instant after 23:59:59, not the record time', async () => {
    const journal = new SignalJournal({ adapter: await make(), clock: () => Date.UTC(2030, 0, 1) });
    const leap = createSignal('leap', null, { time: '2016-12-31T23:59:60.5z' });
    const entry = await journal.record(leap);
    expect(entry.time).toBe(Date.UTC(2017, 0, 1, 0, 0, 0, 500));
    const found = await journal.query({
      since: '2016-12-31T23:59:60Z',
      until: '2017-01-01T00:00:01Z',
    });
    expect(found.map((s) => s.id)).toEqual([leap.id]);
    await journal.close();
  });

  it('close() twice: both calls settle once the journal is closed', async () => {
    const adapter = await make();
    const journal = new SignalJournal({ adapter });
    for (let i = 0; i < 200; i++) void journal.record(createSignal('x', { i }));
    const first = journal.close();
    expect(journal.close()).toBe(first);
    await first;
    await expect(adapter.size()).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('FileJournal', () => {
  it('record times do not go back after a reopen with a clock that stepped back', async () => {
    const dir = freshDir();
    const first = new SignalJournal({
      adapter: await FileJournal.open(dir),
      clock: () => 2_000_000,
    });
    // Without `time`: the effective time is the record time.
    const cause = new Signal({ specversion: '1.0', id: 'cause-1', source: '/t', type: 'cause' });
    expect((await first.record(cause)).recordedAt).toBe(2_000_000);
    await first.close();
    const second = new SignalJournal({
      adapter: await FileJournal.open(dir),
      clock: () => 1_999_000,
    });
    const effect = new Signal({ specversion: '1.0', id: 'effect-1', source: '/t', type: 'effect' });
    const entry = await second.record(effect, { causeId: 'cause-1' });
    expect(entry.recordedAt).toBe(2_000_000);
    await second.close();
  });

  it('a second close() awaited right away: the lock is released and every record is on disk', async () => {
    const dir = freshDir();
    const adapter = await FileJournal.open(dir, { durability: 'relaxed', flushIntervalMs: 60_000 });
    const journal = new SignalJournal({ adapter });
    for (let i = 0; i < 300; i++) await journal.record(createSignal('x', { i }));
    void journal.close();
    await journal.close();
    const reopened = await FileJournal.open(dir);
    expect(await reopened.size()).toBe(300);
    await reopened.close();
  });

  it('records whose write failed are rejected and not returned by reads afterwards', async () => {
    const dir = freshDir();
    const journal = new SignalJournal({ adapter: await FileJournal.open(dir) });
    const kept = createSignal('kept');
    await journal.record(kept);
    await journal.close();
    const again = new SignalJournal({
      adapter: await FileJournal.open(dir, { segmentMaxBytes: 256 }),
    });
    // The next segment cannot be created: its name is taken by a directory.
    const next = join(dir, 'segment-0000000002.jrnl');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(next);
    const doomed = createSignal('doomed', { pad: 'x'.repeat(300) });
    const effect = createSignal('effect');
    const records = [again.record(doomed), again.record(effect, { causeId: doomed.id })];
    for (const record of records)
      await expect(record).rejects.toMatchObject({ code: 'journal_io_error' });
    expect(await again.get(doomed.id)).toBeUndefined();
    expect(await again.get(effect.id)).toBeUndefined();
    expect(await again.get(kept.id)).toBeDefined();
    expect(await again.size()).toBe(1);
    expect((await again.query({})).map((s) => s.id)).toEqual([kept.id]);
    expect(await again.conversation(doomed.id)).toEqual([]);
    await expect(again.close()).rejects.toMatchObject({ code: 'journal_io_error' });
    rmSync(next, { recursive: true });
  });

  it('a segment missing from the numbering is reported as journal_corrupt', async () => {
    const dir = freshDir();
    const journal = new SignalJournal({
      adapter: await FileJournal.open(dir, { segmentMaxBytes: 1024 }),
    });
    for (let i = 0; i < 30; i++)
      await journal.record(createSignal('x', { i, pad: 'x'.repeat(100) }));
    await journal.close();
    const segments = readdirSync(dir)
      .filter((f) => f.endsWith('.jrnl'))
      .sort();
    expect(segments.length).toBeGreaterThan(2);
    unlinkSync(join(dir, segments[1]));
    const error = await FileJournal.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalCorruptError);
    expect(error).toMatchObject({ details: { segment: segments[1], reason: 'missing_segment' } });
    unlinkSync(join(dir, segments[0]));
    // The oldest one missing: also lost records.
    await expect(FileJournal.open(dir)).rejects.toMatchObject({ code: 'journal_corrupt' });
  });

  it('a record whose checksum holds but whose signal does not parse reads as journal_corrupt', async () => {
    const dir = freshDir();
    const journal = new SignalJournal({ adapter: await FileJournal.open(dir) });
    const s = createSignal('x', { a: 1 });
    await journal.record(s);
    await journal.close();
    const path = join(dir, 'segment-0000000001.jrnl');
    const data = readFileSync(path);
    const record = readRecord(data, SEGMENT_HEADER_BYTES, data.length);
    if (typeof record === 'string') throw new Error(record);
    data[record.end - 1] = 0x20; // the closing brace of the signal JSON
    const at = SEGMENT_HEADER_BYTES;
    data.writeUInt32LE(crc32(data, at + 8, record.end, crc32(data, at, at + 4)), at + 4);
    writeFileSync(path, data);
    const reopened = new SignalJournal({ adapter: await FileJournal.open(dir) });
    const error = await reopened.get(s.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalCorruptError);
    expect(codeOf(error)).toBe('journal_corrupt');
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
    await reopened.close();
  });
});
