// Journal bench (issue "Causality journal"): durable append with group commit (target
// ≤ 10 µs per record), traceChain over a 10,000-signal conversation, and time-range queries
// over 1,000,000 records in the memory journal and in the file journal (sparse time index).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  FileJournal,
  MemoryJournal,
  SignalJournal,
  type FileJournalOptions,
} from '../lib/core/journal/index.js';
import type { Signal, SignalFactory } from '../lib/core/signal/signal.js';
import { createTestSignalFactory } from '../lib/testing/test-signals.js';
import { atMost, formatNs, system, type BenchRow, type BenchSection } from './harness.js';

const T0 = Date.UTC(2026, 0, 1);
const APPEND_RECORDS = 50_000;
const CONVERSATION = 10_000;
const MILLION = 1_000_000;
const TYPES = ['order.created', 'order.paid', 'payment.captured', 'stock.reserved'];

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
// Memory figures need a full collection before each reading; `npm run bench` has no --expose-gc.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
/** Live JS heap plus typed-array memory, after a full GC. */
function memory(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** A ~300-byte order signal (JSON), like the per-record figures of performance §4.9. */
function orderSignal(f: SignalFactory, i: number, correlationid?: string): Signal {
  return f.create(
    TYPES[i % 4],
    {
      orderId: `o-${i}`,
      customer: `c-${i % 977}`,
      amount: (i % 1000) + 0.99,
      lines: [{ sku: 'sku-1', qty: 2 }],
    },
    {
      source: '/bench/orders',
      subject: `o-${i}`,
      extensions: correlationid === undefined ? undefined : { correlationid },
    },
  );
}

async function appendSection(dir: string): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const f = createTestSignalFactory({ start: T0, stepMs: 0 });
  // Fresh signals for the warm-up and every measured run (ids must not repeat).
  const batches = Array.from({ length: 6 }, (_, run) =>
    Array.from({ length: APPEND_RECORDS }, (_, i) => orderSignal(f, run * APPEND_RECORDS + i)),
  );

  async function measure(name: string, journal: SignalJournal, note: string): Promise<BenchRow> {
    let run = 0;
    const row = await system(
      name,
      APPEND_RECORDS,
      async () => {
        for (const s of batches[run++]) await journal.record(s);
        await journal.flush();
      },
      { note },
    );
    await journal.close();
    return row;
  }

  rows.push(await measure('memory journal: record', new SignalJournal(), 'in-process maps'));
  const durable = await measure(
    'file journal: record, durability batch (group commit)',
    new SignalJournal({ adapter: await FileJournal.open(join(dir, 'append-batch')) }),
    '1,000 records per write + fdatasync; flush() at the end of each run',
  );
  rows.push(durable);
  rows.push(
    await measure(
      'file journal: record, durability none',
      new SignalJournal({
        adapter: await FileJournal.open(join(dir, 'append-none'), { durability: 'none' }),
      }),
      '1,000 records per write, no sync',
    ),
  );
  rows.push(
    await measure(
      'file journal: record, batch, 100 records per batch',
      new SignalJournal({
        adapter: await FileJournal.open(join(dir, 'append-100'), { maxBatchRecords: 100 }),
      }),
      'performance §4.9 setting (measured 3.0 µs raw)',
    ),
  );
  // Concurrent producers: records issued without awaiting each one share batches.
  {
    const journal = new SignalJournal({
      adapter: await FileJournal.open(join(dir, 'append-burst')),
    });
    let run = 0;
    const burst = Array.from({ length: 6 }, (_, r) =>
      Array.from({ length: APPEND_RECORDS }, (_, i) =>
        orderSignal(f, (10 + r) * APPEND_RECORDS + i),
      ),
    );
    rows.push(
      await system(
        'file journal: record ×50,000 without awaiting each, batch',
        APPEND_RECORDS,
        async () => {
          await Promise.all(burst[run++].map((s) => journal.record(s)));
          await journal.flush();
        },
        { note: 'many producers; the journal still applies records in call order' },
      ),
    );
    await journal.close();
  }
  return {
    title: 'Journal: durable append (group commit)',
    rows,
    checks: [atMost('durable append (durability batch) per record', durable, 10_000, 'µs')],
    notes: [
      `Each row records ${APPEND_RECORDS.toLocaleString('en-US')} ~300-byte signals through \`SignalJournal.record\` (rules checked, indexes updated) and ends with \`flush()\`, so the time includes every write and fdatasync.`,
    ],
  };
}

async function buildConversation(
  journal: SignalJournal,
  shape: 'chain' | 'tree',
): Promise<{ root: string; leaf: string }> {
  const f = createTestSignalFactory({ start: T0, stepMs: 1 });
  const ids: string[] = [];
  for (let i = 0; i < CONVERSATION; i++) {
    const s = orderSignal(f, i, 'conv');
    const cause = i === 0 ? null : shape === 'chain' ? ids[i - 1] : ids[Math.floor((i - 1) / 3)];
    await journal.record(s, { causeId: cause });
    ids.push(s.id);
  }
  await journal.flush();
  return { root: ids[0], leaf: ids[CONVERSATION - 1] };
}

function expectSteps(steps: number): void {
  if (steps !== CONVERSATION) throw new Error(`trace returned ${steps} steps, not ${CONVERSATION}`);
}

async function traceSection(dir: string): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const kind of ['memory', 'file'] as const) {
    for (const shape of ['chain', 'tree'] as const) {
      const journal = new SignalJournal({
        adapter:
          kind === 'memory'
            ? new MemoryJournal()
            : await FileJournal.open(join(dir, `trace-${shape}`)),
      });
      const { root, leaf } = await buildConversation(journal, shape);
      const label = shape === 'chain' ? 'a 10,000-deep chain' : 'a 10,000-signal tree (fan-out 3)';
      let steps = 0;
      rows.push(
        await system(`${kind} journal: traceChain effects over ${label}`, 1, async () => {
          steps = (await journal.traceChain(root, { direction: 'effects' })).length;
        }),
      );
      expectSteps(steps);
      if (shape === 'chain') {
        rows.push(
          await system(
            `${kind} journal: traceChain causes from the leaf of ${label}`,
            1,
            async () => {
              steps = (await journal.traceChain(leaf, { direction: 'causes' })).length;
            },
          ),
        );
        expectSteps(steps);
      }
      rows.push(
        await system(`${kind} journal: conversation() of ${label}`, 1, async () => {
          steps = (await journal.conversation('conv')).length;
        }),
      );
      await journal.close();
    }
  }
  notes.push(
    'Times are per call over the whole 10,000-signal conversation (iterative walk, one adapter read per signal; the file journal reads each signal from disk).',
  );
  return {
    title: 'Journal: traceChain over a 10,000-signal conversation',
    rows,
    checks: [],
    notes,
  };
}

async function querySection(dir: string): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const queries: [string, (j: SignalJournal) => Promise<Signal[]>, number][] = [
    [
      '1-second window (1,000 of 1,000,000)',
      (j) => j.query({ since: T0 + 500_000, until: T0 + 500_999 }),
      1000,
    ],
    ['10 ms window (10 records)', (j) => j.query({ since: T0 + 750_000, until: T0 + 750_009 }), 10],
    [
      '1-second window + type pattern `order.*`',
      (j) => j.query({ since: T0 + 250_000, until: T0 + 250_999, type: 'order.*' }),
      500,
    ],
    ['newest 100 (desc, limit)', (j) => j.query({ order: 'desc', limit: 100 }), 100],
  ];
  const fill = async (journal: SignalJournal) => {
    const f = createTestSignalFactory({ start: T0, stepMs: 1 });
    const started = performance.now();
    for (let i = 0; i < MILLION; i++) await journal.record(orderSignal(f, i));
    await journal.flush();
    return performance.now() - started;
  };
  const runQueries = async (kind: string, journal: SignalJournal) => {
    for (const [name, q, expected] of queries) {
      let got = 0;
      rows.push(
        await system(`${kind} journal, 1M records: query ${name}`, 1, async () => {
          got = (await q(journal)).length;
        }),
      );
      if (got !== expected) throw new Error(`${name}: got ${got}, expected ${expected}`);
    }
  };

  {
    const before = memory();
    const journal = new SignalJournal();
    const ms = await fill(journal);
    const used = memory() - before;
    notes.push(
      `Memory journal: 1,000,000 records in ${(ms / 1000).toFixed(1)} s (${formatNs((ms * 1e6) / MILLION)} per record, signal creation included); it holds ${mib(used)} (${Math.round(used / MILLION)} bytes per record, the signals included).`,
    );
    await runQueries('memory', journal);
    await journal.close();
  }
  {
    const path = join(dir, 'million');
    const options: FileJournalOptions = { durability: 'none' };
    const writer = new SignalJournal({ adapter: await FileJournal.open(path, options) });
    const ms = await fill(writer);
    const stats = (writer.adapter as FileJournal).stats();
    await writer.close();
    const before = memory();
    const started = performance.now();
    const adapter = await FileJournal.open(path, options);
    const replayMs = performance.now() - started;
    const grown = memory() - before;
    const journal = new SignalJournal({ adapter });
    notes.push(
      `File journal: 1,000,000 records written in ${(ms / 1000).toFixed(1)} s, ${stats.segments.length} segments, ${mib(stats.segments.reduce((s, x) => s + x.bytes, 0))} on disk; reopening (replay + index rebuild) took ${(replayMs / 1000).toFixed(2)} s (${formatNs((replayMs * 1e6) / MILLION)} per record); its index holds ${mib(grown)} (${Math.round(grown / MILLION)} bytes per record — signals stay on disk; ${adapter.stats().indexBlocks.toLocaleString('en-US')} time-index blocks).`,
    );
    await runQueries('file', journal);
    await journal.close();
  }
  return { title: 'Journal: time-range query over 1,000,000 records', rows, checks: [], notes };
}

/** Journal benchmarks. */
export default async function journalBench(): Promise<BenchSection[]> {
  const dir = mkdtempSync(join(tmpdir(), 'jido-journal-bench-'));
  try {
    return [await appendSection(dir), await traceSection(dir), await querySection(dir)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
