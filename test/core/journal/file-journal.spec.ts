import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../../lib/index.js';
import { TelemetryChannel } from '../../../lib/telemetry/index.js';
import { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import { JournalCorruptError, JournalLockedError } from '../../../lib/core/errors/journal.error.js';
import {
  FileJournal,
  SignalJournal,
  type FileJournalOptions,
  type JournalAdapter,
  type JournalFlushMessage,
  type JournalRecoveryReport,
} from '../../../lib/core/journal/index.js';
import { describeJournalAdapterConformance } from '../../../lib/testing/index.js';
import { createTestSignalFactory } from '../../../lib/testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'jido-file-journal-'));
let n = 0;
const freshDir = () => join(root, `j${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 1);

describeJournalAdapterConformance(
  'FileJournal (small batches, segments and index blocks)',
  () =>
    FileJournal.open(freshDir(), {
      maxBatchRecords: 7,
      segmentMaxBytes: 16 * 1024,
      indexInterval: 16,
      durability: 'relaxed',
    }),
  {
    reopen: async (adapter: JournalAdapter) => {
      const dir = (adapter as FileJournal).directory;
      await adapter.close();
      return FileJournal.open(dir, { segmentMaxBytes: 16 * 1024, indexInterval: 16 });
    },
  },
);
describeJournalAdapterConformance('FileJournal (defaults)', () => FileJournal.open(freshDir()), {
  reopen: async (adapter: JournalAdapter) => {
    const dir = (adapter as FileJournal).directory;
    await adapter.close();
    return FileJournal.open(dir);
  },
});

function listen<T>(channel: string): { messages: T[]; stop: () => void } {
  const messages: T[] = [];
  const fn = (m: unknown) => messages.push(m as T);
  subscribe(channel, fn);
  return { messages, stop: () => unsubscribe(channel, fn) };
}

/** A journal in a fresh directory holding `count` chained signals (each caused by the previous). */
async function filled(count: number, options: FileJournalOptions = {}) {
  const dir = freshDir();
  const f = createTestSignalFactory({ start: T0, stepMs: 1000 });
  const journal = new SignalJournal({ adapter: await FileJournal.open(dir, options) });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = f.create('chain.step', { i, pad: 'x'.repeat(40) });
    await journal.record(s, { causeId: ids[i - 1] ?? null });
    ids.push(s.id);
  }
  await journal.close();
  return { dir, ids, f };
}

function lastSegment(dir: string): string {
  const files = readdirSync(dir)
    .filter((x) => x.endsWith('.jrnl'))
    .sort();
  return join(dir, files[files.length - 1]);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(JidoSignalError);
    return (error as JidoSignalError).code;
  }
  throw new Error('expected a rejection');
}

describe('FileJournal', () => {
  describe('group commit', () => {
    it('relaxed: writes one batch per maxBatchRecords records, and the rest (synced) on flush', async () => {
      const flushes = listen<JournalFlushMessage>(TelemetryChannel.JournalFlush);
      try {
        const dir = freshDir();
        const adapter = await FileJournal.open(dir, {
          durability: 'relaxed',
          maxBatchRecords: 100,
          flushIntervalMs: 60_000,
        });
        const journal = new SignalJournal({ adapter });
        const f = createTestSignalFactory();
        for (let i = 0; i < 250; i++) await journal.record(f.create('t', { i }));
        // Still buffered records are readable before they are written.
        expect(adapter.stats().pendingRecords).toBeGreaterThan(0);
        expect((await journal.query({ order: 'desc', limit: 1 }))[0].data).toEqual({ i: 249 });
        await journal.flush();
        const mine = flushes.messages.filter((m) => m.directory === adapter.directory);
        expect(mine.map((m) => m.records)).toEqual([100, 100, 50]);
        // Batches are written without a sync; flush() syncs the last one.
        expect(mine.map((m) => m.synced)).toEqual([false, false, true]);
        expect(mine.every((m) => m.segment === 'segment-0000000001.jrnl')).toBe(true);
        expect(mine.reduce((sum, m) => sum + m.bytes, 0)).toBe(statSync(lastSegment(dir)).size);
        expect(adapter.stats().pendingRecords).toBe(0);
        await journal.close();
      } finally {
        flushes.stop();
      }
    });

    it('relaxed: writes a partial batch after flushIntervalMs without a flush call (no sync)', async () => {
      const flushes = listen<JournalFlushMessage>(TelemetryChannel.JournalFlush);
      try {
        const adapter = await FileJournal.open(freshDir(), {
          flushIntervalMs: 5,
          durability: 'relaxed',
        });
        const journal = new SignalJournal({ adapter });
        const f = createTestSignalFactory();
        for (let i = 0; i < 3; i++) await journal.record(f.create('t'));
        for (let i = 0; i < 100 && adapter.stats().pendingRecords > 0; i++) {
          await new Promise((r) => setTimeout(r, 5));
        }
        const mine = flushes.messages.filter((m) => m.directory === adapter.directory);
        expect(mine).toHaveLength(1);
        expect(mine[0]).toMatchObject({ records: 3, synced: false, journal: 'file' });
        await journal.close();
      } finally {
        flushes.stop();
      }
    });

    it('backpressure: a tiny maxPendingBytes makes records wait for the writes', async () => {
      const adapter = await FileJournal.open(freshDir(), {
        maxPendingBytes: 1,
        durability: 'relaxed',
      });
      const journal = new SignalJournal({ adapter });
      const f = createTestSignalFactory();
      for (let i = 0; i < 20; i++) {
        await journal.record(f.create('t', { i }));
        expect(adapter.stats().pendingRecords).toBe(0);
      }
      await journal.close();
    });

    it('rejects invalid options with ValidationError', async () => {
      for (const bad of [
        { maxBatchRecords: 0 },
        { flushIntervalMs: -1 },
        { segmentMaxBytes: 2 ** 32 },
        { indexInterval: 1.5 },
        { durability: 'always' as never },
        // The former names ('batch' / 'none') are refused rather than guessed.
        { durability: 'none' as never },
        { durability: 'batch' as never },
      ]) {
        await expect(FileJournal.open(freshDir(), bad)).rejects.toBeInstanceOf(ValidationError);
      }
    });
  });

  describe('segments and the sparse time index', () => {
    it('rolls segments at segmentMaxBytes and reads across them, before and after reopen', async () => {
      const { dir, ids } = await filled(300, { segmentMaxBytes: 8 * 1024, indexInterval: 10 });
      const files = readdirSync(dir).filter((x) => x.endsWith('.jrnl'));
      expect(files.length).toBeGreaterThan(5);
      for (const file of files)
        expect(statSync(join(dir, file)).size).toBeLessThanOrEqual(8 * 1024);
      const adapter = await FileJournal.open(dir, { segmentMaxBytes: 8 * 1024, indexInterval: 10 });
      expect(adapter.recovery).toBeUndefined();
      expect(adapter.stats()).toMatchObject({ records: 300, indexBlocks: 30 });
      expect(adapter.stats().segments.map((s) => s.file)).toEqual(files.sort());
      const journal = new SignalJournal({ adapter });
      const trace = await journal.traceChain(ids[0]);
      expect(trace.map((s) => (s.signal.data as { i: number }).i)).toEqual(
        Array.from({ length: 300 }, (_, i) => i),
      );
      const window = await journal.query({ since: T0 + 100_000, until: T0 + 119_000 });
      expect(window.map((s) => (s.data as { i: number }).i)).toEqual(
        Array.from({ length: 20 }, (_, i) => 100 + i),
      );
      const tail = await journal.query({ order: 'desc', limit: 3 });
      expect(tail.map((s) => (s.data as { i: number }).i)).toEqual([299, 298, 297]);
      await journal.close();
    });

    it('time-range queries are exact when signals arrive out of time order', async () => {
      const dir = freshDir();
      const adapter = await FileJournal.open(dir, { indexInterval: 8, maxBatchRecords: 13 });
      const journal = new SignalJournal({ adapter });
      const f = createTestSignalFactory();
      const times: number[] = [];
      for (let i = 0; i < 400; i++) {
        const t = T0 + ((i * 7919) % 400) * 1000; // a permutation of 0..399 seconds
        times.push(t);
        await journal.record(f.create('perm', { t }, { time: new Date(t) }));
      }
      await journal.close();
      const reopened = new SignalJournal({
        adapter: await FileJournal.open(dir, { indexInterval: 8 }),
      });
      for (const [since, until] of [
        [T0 + 10_000, T0 + 30_000],
        [T0, T0],
        [T0 + 399_000, T0 + 500_000],
        [T0 - 1, T0 + 1_000_000],
      ] as const) {
        const got = (await reopened.query({ since, until })).map(
          (s) => (s.data as { t: number }).t,
        );
        const want = times.filter((t) => t >= since && t <= until).sort((a, b) => a - b);
        expect(got).toEqual(want);
      }
      await reopened.close();
    });
  });

  describe('recovery', () => {
    async function reopenExpecting(dir: string, count: number) {
      const recoveries = listen<JournalRecoveryReport>(TelemetryChannel.JournalRecovery);
      const reports: JournalRecoveryReport[] = [];
      try {
        const adapter = await FileJournal.open(dir, { onRecovery: (r) => reports.push(r) });
        expect(await adapter.size()).toBe(count);
        expect(reports).toEqual([adapter.recovery]);
        expect(recoveries.messages.filter((m) => m.directory === adapter.directory)).toEqual(
          reports,
        );
        return adapter;
      } finally {
        recoveries.stop();
      }
    }

    it('a truncated last record is dropped, the file truncated and the drop reported', async () => {
      const { dir, ids } = await filled(50);
      const segment = lastSegment(dir);
      const good = statSync(segment).size;
      // Half of a real record: what a crash in the middle of a write leaves behind.
      const bytes = readFileSync(segment);
      appendFileSync(segment, bytes.subarray(bytes.length - 120, bytes.length - 60));
      const adapter = await reopenExpecting(dir, 50);
      expect(adapter.recovery).toMatchObject({
        journal: 'file',
        segment: 'segment-0000000001.jrnl',
        offset: good,
        droppedBytes: 60,
        repaired: true,
        records: 50,
      });
      expect(['truncated_record', 'crc_mismatch', 'invalid_length']).toContain(
        adapter.recovery!.reason,
      );
      expect(statSync(segment).size).toBe(good);
      // Appending after the repair works and the next open is clean.
      const journal = new SignalJournal({ adapter });
      const next = createTestSignalFactory({ start: T0 + 3_600_000 }).create('after.repair');
      await journal.record(next, { causeId: ids[49] });
      await journal.close();
      const clean = await FileJournal.open(dir);
      expect(clean.recovery).toBeUndefined();
      const again = new SignalJournal({ adapter: clean });
      expect((await again.traceChain(ids[0])).length).toBe(51);
      await again.close();
    });

    it('a record cut inside its header or its payload: truncated_header / truncated_record', async () => {
      const { dir } = await filled(10);
      const segment = lastSegment(dir);
      const good = statSync(segment).size;
      const header = Buffer.alloc(8);
      header.writeUInt32LE(500, 0);
      appendFileSync(segment, header.subarray(0, 6));
      expect(readFileSync(segment).length).toBe(good + 6);
      const adapter = await reopenExpecting(dir, 10);
      expect(adapter.recovery).toMatchObject({
        offset: good,
        droppedBytes: 6,
        reason: 'truncated_header',
      });
      await adapter.close();
      const { dir: dir2 } = await filled(10);
      appendFileSync(lastSegment(dir2), Buffer.concat([header, Buffer.from('partial payload')]));
      const adapter2 = await reopenExpecting(dir2, 10);
      expect(adapter2.recovery!.reason).toBe('truncated_record');
      await adapter2.close();
    });

    it('garbage and zero-filled tails are dropped', async () => {
      for (const [tail, reason] of [
        [Buffer.alloc(4096, 0xff), 'invalid_length'],
        [Buffer.alloc(4096, 0), 'crc_mismatch'],
      ] as const) {
        const { dir } = await filled(20);
        const segment = lastSegment(dir);
        const good = statSync(segment).size;
        appendFileSync(segment, tail);
        const adapter = await reopenExpecting(dir, 20);
        expect(adapter.recovery).toMatchObject({ offset: good, droppedBytes: 4096, reason });
        expect(statSync(segment).size).toBe(good);
        await adapter.close();
      }
    });

    it('a last record failing its CRC is dropped with the rest of the tail', async () => {
      const { dir, ids } = await filled(30);
      const segment = lastSegment(dir);
      const bytes = readFileSync(segment);
      bytes[bytes.length - 10] ^= 0x40;
      writeFileSync(segment, bytes);
      const adapter = await reopenExpecting(dir, 29);
      expect(adapter.recovery).toMatchObject({
        reason: 'crc_mismatch',
        repaired: true,
        records: 29,
      });
      const journal = new SignalJournal({ adapter });
      expect(await journal.get(ids[29])).toBeUndefined();
      expect((await journal.get(ids[28]))?.data).toMatchObject({ i: 28 });
      await journal.close();
    });

    it('a torn segment header (crash while starting a segment) is repaired', async () => {
      const { dir } = await filled(40, { segmentMaxBytes: 4096 });
      const files = readdirSync(dir)
        .filter((x) => x.endsWith('.jrnl'))
        .sort();
      const lastNumber = Number(/(\d{10})/.exec(files[files.length - 1])![1]);
      const torn = join(dir, `segment-${String(lastNumber + 1).padStart(10, '0')}.jrnl`);
      writeFileSync(torn, Buffer.from('JSJ'));
      const adapter = await reopenExpecting(dir, 40);
      expect(adapter.recovery).toMatchObject({
        reason: 'torn_segment_header',
        offset: 0,
        droppedBytes: 3,
      });
      const journal = new SignalJournal({ adapter });
      await journal.record(createTestSignalFactory({ start: T0 + 3_600_000 }).create('after'));
      await journal.close();
      expect(readFileSync(torn).subarray(0, 8).toString('latin1')).toBe('JSJRNL\x00\x01');
      const clean = await FileJournal.open(dir);
      expect(clean.recovery).toBeUndefined();
      expect(await clean.size()).toBe(41);
      await clean.close();
    });

    it('damage before the tail is not dropped silently: journal_corrupt', async () => {
      const { dir } = await filled(40, { segmentMaxBytes: 4096 });
      const first = join(dir, 'segment-0000000001.jrnl');
      const bytes = readFileSync(first);
      bytes[100] ^= 0xff;
      writeFileSync(first, bytes);
      const error = await FileJournal.open(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JournalCorruptError);
      expect(error).toMatchObject({
        code: 'journal_corrupt',
        details: { segment: 'segment-0000000001.jrnl' },
      });
      // The failed open released its lock.
      expect(readdirSync(dir)).not.toContain('LOCK');

      const foreign = freshDir();
      await FileJournal.open(foreign).then((j) => j.close());
      writeFileSync(join(foreign, 'segment-0000000001.jrnl'), 'not a journal at all');
      expect(await codeOf(FileJournal.open(foreign))).toBe('journal_corrupt');
    });

    it('read-only opens report a damaged tail without touching the file', async () => {
      const { dir, ids } = await filled(15);
      const segment = lastSegment(dir);
      appendFileSync(segment, Buffer.alloc(100, 0x07));
      const size = statSync(segment).size;
      const adapter = await FileJournal.open(dir, { readOnly: true });
      expect(adapter.recovery).toMatchObject({ repaired: false, droppedBytes: 100 });
      expect(statSync(segment).size).toBe(size);
      const journal = new SignalJournal({ adapter });
      expect((await journal.traceChain(ids[0])).length).toBe(15);
      const fresh = createTestSignalFactory({ start: T0 + 3_600_000 }).create('x');
      expect(await codeOf(journal.record(fresh))).toBe('journal_io_error');
      await journal.close();
      await expect(
        FileJournal.open(join(root, 'does-not-exist'), { readOnly: true }),
      ).rejects.toMatchObject({
        code: 'journal_io_error',
      });
      // A directory that cannot be created (its parent is a file).
      const file = join(root, `plain-file-${n++}`);
      writeFileSync(file, 'x');
      expect(await codeOf(FileJournal.open(join(file, 'journal')))).toBe('journal_io_error');
    });
  });

  describe('I/O failures', () => {
    it('relaxed: a failed write fails flush, later records and close with journal_io_error', async () => {
      const dir = freshDir();
      const adapter = await FileJournal.open(dir, {
        durability: 'relaxed',
        flushIntervalMs: 60_000,
      });
      const journal = new SignalJournal({ adapter });
      const f = createTestSignalFactory();
      await journal.record(f.create('doomed'));
      // Replace the directory by a plain file: opening the segment for writing now fails.
      rmSync(dir, { recursive: true, force: true });
      writeFileSync(dir, 'not a directory');
      expect(await codeOf(journal.flush())).toBe('journal_io_error');
      expect(await codeOf(journal.record(f.create('after')))).toBe('journal_io_error');
      expect(await codeOf(journal.close())).toBe('journal_io_error');
      rmSync(dir, { force: true });
    });
  });

  describe('lock', () => {
    it('a second writer is refused; a reader is not; a dead writer’s lock is taken over', async () => {
      const dir = freshDir();
      const writer = await FileJournal.open(dir);
      const error = await FileJournal.open(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JournalLockedError);
      expect(error).toMatchObject({ code: 'journal_locked', details: { pid: process.pid } });
      const journal = new SignalJournal({ adapter: writer });
      const s = createTestSignalFactory().create('locked');
      await journal.record(s);
      await journal.flush();
      const reader = await FileJournal.open(dir, { readOnly: true });
      expect((await reader.getSignal(s.id))?.signal.type).toBe('locked');
      await reader.close();
      await journal.close();
      expect(readdirSync(dir)).not.toContain('LOCK');

      // A pid that certainly belongs to no live process: a child that has exited.
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
      writeFileSync(join(dir, 'LOCK'), dead.stdout.toString());
      const takeover = await FileJournal.open(dir);
      expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(String(process.pid));
      expect(await takeover.size()).toBe(1);
      await takeover.close();
    });
  });
});
