import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import {
  FileJournal,
  SignalJournal,
  type FileJournalOptions,
} from '../../../lib/core/journal/index.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';
import { prng } from '../../helpers/prng.js';

const root = mkdtempSync(join(tmpdir(), 'journal-conc-'));
let n = 0;
const freshDir = () => join(root, `j${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 1);
const configs: [string, FileJournalOptions][] = [
  [
    'fsync, tiny backpressure',
    { durability: 'fsync', maxPendingBytes: 2000, segmentMaxBytes: 8192, indexInterval: 3 },
  ],
  [
    'relaxed, tiny backpressure',
    {
      durability: 'relaxed',
      maxPendingBytes: 2000,
      segmentMaxBytes: 8192,
      indexInterval: 3,
      maxBatchRecords: 5,
    },
  ],
  ['fsync, defaults', {}],
];

/**
 * Invariant (seeded): with thousands of un-awaited records — each caused by a record issued
 * just before it — and reads issued in between, every record resolves, every read sees every
 * record issued before it (docs: "every read waits for the records issued before it"), and
 * after close + reopen the journal holds exactly the resolved entries with their causes.
 */
describe.each(configs)('concurrent records and reads (%s)', (_name, options) => {
  it('reads see their own writes; everything resolved is there after reopen', async () => {
    const random = prng(99);
    const int = (k: number) => Math.floor(random() * k);
    const dir = freshDir();
    const journal = new SignalJournal({ adapter: await FileJournal.open(dir, options) });
    const issued: Signal[] = [];
    const causes = new Map<string, string | undefined>();
    const records: Promise<unknown>[] = [];
    const reads: Promise<void>[] = [];
    for (let i = 0; i < 3000; i++) {
      const s = createSignal('c.rec', { i, pad: 'y'.repeat(int(300)) }, { time: new Date(T0 + i) });
      const causeId =
        issued.length > 0 && random() < 0.7
          ? issued[issued.length - 1 - int(Math.min(5, issued.length))].id
          : undefined;
      causes.set(s.id, causeId);
      records.push(journal.record(s, { causeId: causeId ?? null }));
      issued.push(s);
      if (random() < 0.05) {
        const upTo = issued.length;
        const target = issued[int(upTo)];
        const last = issued[upTo - 1];
        reads.push(
          (async () => {
            const [got, size, trace, q] = await Promise.all([
              journal.get(last.id),
              journal.size(),
              journal.traceChain(target.id, { direction: 'causes' }),
              journal.query({ since: T0 + upTo - 1, until: T0 + upTo - 1 }),
            ]);
            expect(got?.id).toBe(last.id);
            expect(size).toBeGreaterThanOrEqual(upTo);
            expect(trace[0].id).toBe(target.id);
            expect(q.map((x) => x.id)).toEqual([last.id]);
          })(),
        );
      }
    }
    const settled = await Promise.allSettled(records);
    expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
    await Promise.all(reads);
    await journal.close();
    const again = new SignalJournal({ adapter: await FileJournal.open(dir, options) });
    expect((again.adapter as FileJournal).recovery).toBeUndefined();
    expect(await again.size()).toBe(issued.length);
    for (const s of issued) {
      const e = await again.getEntry(s.id);
      expect(e?.causeId).toBe(causes.get(s.id));
      expect(JSON.stringify(e?.signal)).toBe(JSON.stringify(s));
    }
    await again.close();
  }, 60_000);

  // Docs: "close waits for pending records, then closes the adapter"; records after close
  // reject with `closed`. Invariant: nothing hangs, every record either resolves (and is then
  // present after reopen) or rejects with a typed error.
  it('close() while records are pending: each resolves durable or rejects typed, nothing hangs', async () => {
    const dir = freshDir();
    const journal = new SignalJournal({ adapter: await FileJournal.open(dir, options) });
    const signals = Array.from({ length: 2000 }, (_, i) =>
      createSignal('p', { i }, { time: new Date(T0) }),
    );
    const pending = signals.map((s, i) =>
      journal.record(s, { causeId: i > 0 ? signals[i - 1].id : null }),
    );
    const closing = journal.close();
    const late = journal.record(createSignal('late'));
    const results = await Promise.allSettled([...pending, late, closing]);
    const lateResult = results[signals.length];
    expect(lateResult.status).toBe('rejected');
    expect((lateResult as PromiseRejectedResult).reason).toBeInstanceOf(JidoSignalError);
    expect(results[signals.length + 1].status).toBe('fulfilled');
    const resolved = new Set<string>();
    results.slice(0, signals.length).forEach((r, i) => {
      if (r.status === 'fulfilled') resolved.add(signals[i].id);
      else expect(r.reason).toBeInstanceOf(JidoSignalError);
    });
    const again = await FileJournal.open(dir, options);
    for (const id of resolved) expect(await again.getMeta(id)).toBeDefined();
    await again.close();
  }, 60_000);

  it('identical re-records issued before the first is durable resolve only once it is on disk; flush is a barrier', async () => {
    const dir = freshDir();
    const journal = new SignalJournal({ adapter: await FileJournal.open(dir, options) });
    const s = createSignal('dup', { a: [1, 2, 3] });
    const first = journal.record(s);
    const dups = Array.from({ length: 20 }, () => journal.record(s));
    const all = await Promise.all([first, ...dups]);
    for (const e of all) expect(e.id).toBe(s.id);
    expect(await journal.size()).toBe(1);
    await journal.flush();
    const reader = await FileJournal.open(dir, { readOnly: true });
    expect(await reader.getMeta(s.id)).toBeDefined();
    await reader.close();
    await journal.close();
  });
});
