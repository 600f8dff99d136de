import { afterAll, describe, expect, it } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TelemetryChannel } from '../../../lib/telemetry/index.js';
import { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import {
  FileJournal,
  SignalJournal,
  type FileJournalOptions,
  type JournalFlushMessage,
  type JournalRecoveryReport,
} from '../../../lib/core/journal/index.js';
import { createTestSignalFactory } from '../../../lib/testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'jido-file-journal-durability-'));
let n = 0;
const freshDir = () => join(root, `j${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 1);
const MAGIC = Buffer.from('JSJRNL\x00\x01', 'latin1');

/** Flush telemetry of one journal directory. */
function flushesOf(directory: string): { messages: JournalFlushMessage[]; stop: () => void } {
  const messages: JournalFlushMessage[] = [];
  const fn = (m: unknown) => {
    if ((m as JournalFlushMessage).directory === directory) messages.push(m as JournalFlushMessage);
  };
  subscribe(TelemetryChannel.JournalFlush, fn);
  return { messages, stop: () => unsubscribe(TelemetryChannel.JournalFlush, fn) };
}

const segmentFile = (dir: string, k: number) =>
  join(dir, `segment-${String(k).padStart(10, '0')}.jrnl`);

/** A journal holding `count` chained signals, closed; returns its directory and ids. */
async function filled(count: number, options: FileJournalOptions = {}) {
  const dir = freshDir();
  const f = createTestSignalFactory({ start: T0, stepMs: 1000 });
  const journal = new SignalJournal({ adapter: await FileJournal.open(dir, options) });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = f.create('chain.step', { i, pad: 'x'.repeat(40) });
    ids.push(s.id);
    // Issued without awaiting each: causes are applied first, the records share syncs.
    void journal.record(s, { causeId: ids[i - 1] ?? null });
  }
  await journal.close();
  return { dir, ids };
}

function segments(dir: string): string[] {
  return readdirSync(dir)
    .filter((x) => x.endsWith('.jrnl'))
    .sort();
}

describe("FileJournal durability 'fsync' (default)", () => {
  it('regression: record() resolves only once the record is in the segment file and synced', async () => {
    const dir = freshDir();
    const flushes = flushesOf(dir);
    try {
      // A long flush interval: nothing but the durability rule may write the record.
      const adapter = await FileJournal.open(dir, { flushIntervalMs: 60_000 });
      expect(adapter.options.durability).toBe('fsync');
      const journal = new SignalJournal({ adapter });
      const signal = createTestSignalFactory().create('durable.now', { n: 1 });
      await journal.record(signal);
      // No flush(), no close(): the bytes are already in the file, and were synced.
      expect(adapter.stats().pendingRecords).toBe(0);
      expect(readFileSync(segmentFile(dir, 1)).includes(signal.id)).toBe(true);
      expect(flushes.messages).toHaveLength(1);
      expect(flushes.messages[0]).toMatchObject({ records: 1, synced: true });
      await journal.close();
    } finally {
      flushes.stop();
    }
  });

  it('group commit: concurrent records share write + fdatasync, and each resolves after its sync', async () => {
    const dir = freshDir();
    const flushes = flushesOf(dir);
    try {
      const adapter = await FileJournal.open(dir, { maxBatchRecords: 100 });
      const journal = new SignalJournal({ adapter });
      const f = createTestSignalFactory();
      const total = 1000;
      const syncedWhenResolved: number[] = [];
      const synced = () => flushes.messages.reduce((sum, m) => sum + m.records, 0);
      await Promise.all(
        Array.from({ length: total }, (_, i) =>
          journal.record(f.create('burst', { i })).then(() => syncedWhenResolved.push(synced())),
        ),
      );
      expect(flushes.messages.every((m) => m.synced)).toBe(true);
      expect(synced()).toBe(total);
      // 1,000 records, far fewer syncs: the batches that queue up during one sync share the next.
      expect(flushes.messages.length).toBeLessThanOrEqual(total / 100);
      // Records resolve in order, each only once a sync covering it has completed.
      syncedWhenResolved.forEach((count, k) => expect(count).toBeGreaterThanOrEqual(k + 1));
      await journal.close();
      const reopened = await FileJournal.open(dir);
      expect(await reopened.size()).toBe(total);
      await reopened.close();
    } finally {
      flushes.stop();
    }
  });

  it('an identical re-record issued while the first is being written waits for it to be durable', async () => {
    const dir = freshDir();
    const adapter = await FileJournal.open(dir);
    const journal = new SignalJournal({ adapter });
    const signal = createTestSignalFactory().create('twice');
    const first = journal.record(signal);
    const second = journal.record(signal);
    await second;
    expect(adapter.stats().pendingRecords).toBe(0);
    expect(readFileSync(segmentFile(dir, 1)).includes(signal.id)).toBe(true);
    expect((await first).id).toBe(signal.id);
    await journal.close();
  });

  it('adapter level: putSignal resolves once durable; a repeated id waits for the same sync', async () => {
    const dir = freshDir();
    const adapter = await FileJournal.open(dir);
    const signal = createTestSignalFactory().create('direct');
    const entry = {
      id: signal.id,
      time: T0,
      recordedAt: T0,
      causeId: undefined,
      conversationId: signal.id,
      signal,
    };
    const staged = await adapter.stageSignal(entry);
    // Staged: indexed and readable, not yet written.
    expect(await adapter.getMeta(signal.id)).toMatchObject({ id: signal.id });
    expect(adapter.stats().pendingRecords).toBe(1);
    await adapter.putSignal(entry);
    expect(adapter.stats().pendingRecords).toBe(0);
    await staged.durable;
    expect(readFileSync(segmentFile(dir, 1)).includes(signal.id)).toBe(true);
    await adapter.close();
  });

  it('a failed write rejects every record waiting for it with journal_io_error', async () => {
    const dir = freshDir();
    const adapter = await FileJournal.open(dir);
    const journal = new SignalJournal({ adapter });
    // The directory becomes a plain file before the first segment is created.
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(dir, 'not a directory');
    const f = createTestSignalFactory();
    const results = await Promise.allSettled(
      [1, 2, 3].map((i) => journal.record(f.create('x', { i }))),
    );
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as JidoSignalError;
      expect(reason).toBeInstanceOf(JidoSignalError);
      expect(reason.code).toBe('journal_io_error');
    }
    await expect(journal.close()).rejects.toMatchObject({ code: 'journal_io_error' });
    rmSync(dir, { force: true });
  });

  it("'relaxed' resolves before the write (the documented trade-off); flush() writes and syncs", async () => {
    const dir = freshDir();
    const flushes = flushesOf(dir);
    try {
      const adapter = await FileJournal.open(dir, {
        durability: 'relaxed',
        flushIntervalMs: 60_000,
      });
      const journal = new SignalJournal({ adapter });
      await journal.record(createTestSignalFactory().create('relaxed'));
      expect(adapter.stats().pendingRecords).toBe(1);
      expect(flushes.messages).toHaveLength(0);
      await journal.flush();
      expect(adapter.stats().pendingRecords).toBe(0);
      expect(flushes.messages).toEqual([expect.objectContaining({ records: 1, synced: true })]);
      await journal.close();
    } finally {
      flushes.stop();
    }
  });
});

describe('FileJournal: a zero-filled or torn last segment is repaired on open', () => {
  async function reopen(dir: string, options: FileJournalOptions = {}) {
    const reports: JournalRecoveryReport[] = [];
    const adapter = await FileJournal.open(dir, { ...options, onRecovery: (r) => reports.push(r) });
    expect(reports).toEqual(adapter.recovery === undefined ? [] : [adapter.recovery]);
    return adapter;
  }

  // A crash right after a segment roll: the new file exists with its size but none of its
  // bytes reached the disk. Sizes below, at and above the 8-byte header, and past a page.
  it.each([1, 7, 8, 9, 4096, 65_539])(
    'regression: a zero-filled last segment of %i bytes opens, is reported and rewritten; nothing durable is lost',
    async (size) => {
      const { dir, ids } = await filled(40, { segmentMaxBytes: 4096 });
      const before = segments(dir);
      const torn = segmentFile(dir, before.length + 1);
      writeFileSync(torn, Buffer.alloc(size));
      const adapter = await reopen(dir);
      expect(adapter.recovery).toMatchObject({
        reason: 'torn_segment_header',
        segment: `segment-${String(before.length + 1).padStart(10, '0')}.jrnl`,
        offset: 0,
        droppedBytes: size,
        repaired: true,
        records: 40,
      });
      expect(statSync(torn).size).toBe(0);
      const journal = new SignalJournal({ adapter });
      expect((await journal.traceChain(ids[0])).length).toBe(40);
      const next = createTestSignalFactory({ start: T0 + 3_600_000 }).create('after.repair');
      await journal.record(next, { causeId: ids[39] });
      await journal.close();
      expect(readFileSync(torn).subarray(0, 8)).toEqual(MAGIC);
      const clean = await reopen(dir);
      expect(clean.recovery).toBeUndefined();
      expect(await clean.size()).toBe(41);
      await clean.close();
    },
  );

  it('a zero-filled only segment (crash before the first write) opens as an empty journal', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(segmentFile(dir, 1), Buffer.alloc(4096));
    const adapter = await reopen(dir);
    expect(adapter.recovery).toMatchObject({ droppedBytes: 4096, records: 0, repaired: true });
    const journal = new SignalJournal({ adapter });
    await journal.record(createTestSignalFactory().create('first'));
    await journal.close();
    const clean = await reopen(dir);
    expect([clean.recovery, await clean.size()]).toEqual([undefined, 1]);
    await clean.close();
  });

  it.each([
    ['a partial magic followed by zeros', Buffer.concat([MAGIC.subarray(0, 3), Buffer.alloc(509)])],
    ['the magic but its last byte', Buffer.concat([MAGIC.subarray(0, 7), Buffer.alloc(505)])],
    ['3 bytes of the magic, nothing else', MAGIC.subarray(0, 3)],
  ])('a torn header (%s) in the last segment is repaired', async (_name, bytes) => {
    const { dir } = await filled(12, { segmentMaxBytes: 1024 });
    const torn = segmentFile(dir, segments(dir).length + 1);
    writeFileSync(torn, bytes);
    const adapter = await reopen(dir);
    expect(adapter.recovery).toMatchObject({
      reason: 'torn_segment_header',
      droppedBytes: bytes.length,
      records: 12,
    });
    await adapter.close();
  });

  it('read-only: a zero-filled last segment is reported, left untouched, and the rest is readable', async () => {
    const { dir } = await filled(10, { segmentMaxBytes: 1024 });
    const torn = segmentFile(dir, segments(dir).length + 1);
    writeFileSync(torn, Buffer.alloc(2048));
    const adapter = await reopen(dir, { readOnly: true });
    expect(adapter.recovery).toMatchObject({ repaired: false, droppedBytes: 2048, records: 10 });
    expect(statSync(torn).size).toBe(2048);
    expect(await adapter.size()).toBe(10);
    await adapter.close();
  });

  it('not silently dropped: a zero-filled segment before the last one, or a foreign header, is journal_corrupt', async () => {
    const { dir } = await filled(30, { segmentMaxBytes: 1024 });
    const files = segments(dir);
    expect(files.length).toBeGreaterThan(2);
    writeFileSync(join(dir, files[1]), Buffer.alloc(statSync(join(dir, files[1])).size));
    await expect(FileJournal.open(dir)).rejects.toMatchObject({
      code: 'journal_corrupt',
      details: { segment: files[1], reason: 'torn_segment_header' },
    });
    const foreign = freshDir();
    mkdirSync(foreign);
    // Zero bytes, then something that is not the magic: not a torn header of ours.
    writeFileSync(segmentFile(foreign, 1), Buffer.concat([Buffer.alloc(4), Buffer.from('ELF!')]));
    await expect(FileJournal.open(foreign)).rejects.toMatchObject({
      code: 'journal_corrupt',
      details: { reason: 'bad_magic' },
    });
  });
});
