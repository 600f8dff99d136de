import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileJournal,
  MemoryJournal,
  SignalJournal,
  type JournalEntry,
} from '../../../lib/core/journal/index.js';
import { matches } from '../../../lib/core/router/pattern.js';
import { createSignal } from '../../../lib/core/signal/signal.js';
import { prng } from '../../helpers/prng.js';

const root = mkdtempSync(join(tmpdir(), 'journal-qfuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 1);
const TYPES = ['a.x', 'a.y', 'b.x', 'a.x.deep', 'c'];
const PATTERNS = ['a.*', 'a.**', '*.x', 'c', 'b.x', '**'];

/**
 * Invariant: for every query (since/until/type/order/limit), the journal returns exactly what a
 * brute-force filter + stable sort by (effective time, record order) over the recorded entries
 * returns — memory adapter, file adapter before and after reopen, with tiny index blocks and
 * segments so block and segment boundaries are crossed and times arrive out of order.
 */
describe.each([20260101, 7, 424242])('query fuzz, seed %i', (seed) => {
  it('matches a brute-force reference (memory, file, file reopened)', async () => {
    const random = prng(seed);
    const int = (k: number) => Math.floor(random() * k);
    const dir = join(root, `s${seed}`);
    const options = {
      indexInterval: 1 + int(5),
      segmentMaxBytes: 2048,
      maxBatchRecords: 1 + int(9),
    };
    const mem = new SignalJournal({ adapter: new MemoryJournal() });
    let file = new SignalJournal({ adapter: await FileJournal.open(dir, options) });
    const ref: JournalEntry[] = [];
    const N = 300;
    for (let i = 0; i < N; i++) {
      // Times cluster (many ties) and go back and forth.
      const time = new Date(T0 + int(40) * 1000 + (random() < 0.2 ? int(3) : 0));
      const signal = createSignal(TYPES[int(TYPES.length)], { i }, { time, source: `/s${int(3)}` });
      const causeId = ref.length > 0 && random() < 0.3 ? ref[int(ref.length)].id : undefined;
      const [a, b] = await Promise.allSettled([
        mem.record(signal, { causeId: causeId ?? null }),
        file.record(signal, { causeId: causeId ?? null }),
      ]);
      expect(a.status).toBe(b.status);
      if (a.status === 'fulfilled') ref.push(a.value);
    }
    const reference = (
      since?: number,
      until?: number,
      type?: string,
      desc = false,
      limit = Infinity,
    ) => {
      const seqOf = new Map(ref.map((e, i) => [e.id, i]));
      const rows = ref
        .filter(
          (e) =>
            (since === undefined || e.time >= since) && (until === undefined || e.time <= until),
        )
        .filter((e) => type === undefined || matches(e.signal.type, type))
        .sort((x, y) => x.time - y.time || seqOf.get(x.id)! - seqOf.get(y.id)!);
      if (desc) rows.reverse();
      return rows.slice(0, limit).map((e) => e.id);
    };
    const check = async (journal: SignalJournal, label: string) => {
      for (let q = 0; q < 150; q++) {
        const since =
          random() < 0.8 ? T0 + int(42) * 1000 + (random() < 0.3 ? int(3) : 0) : undefined;
        const until =
          random() < 0.8 ? T0 + int(42) * 1000 + (random() < 0.3 ? int(3) : 0) : undefined;
        const type = random() < 0.4 ? PATTERNS[int(PATTERNS.length)] : undefined;
        const desc = random() < 0.5;
        const limit = random() < 0.5 ? 1 + int(20) : undefined;
        const got = (
          await journal.query({ since, until, type, order: desc ? 'desc' : 'asc', limit })
        ).map((s) => s.id);
        const want = reference(since, until, type, desc, limit);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          throw new Error(
            `${label} q${q} ${JSON.stringify({ since, until, type, desc, limit, options })}: got ${got.length} want ${want.length}`,
          );
        }
      }
      // conversations and effects, oldest first by time then record order
      for (const e of ref.slice(0, 60)) {
        const effects = (await journal.getEffects(e.id)).map((s) => s.id);
        const wantEffects = ref
          .filter((x) => x.causeId === e.id)
          .sort((x, y) => x.time - y.time)
          .map((x) => x.id);
        expect(effects).toEqual(wantEffects);
        const conv = (await journal.conversation(e.conversationId)).map((s) => s.id);
        const wantConv = ref
          .filter((x) => x.conversationId === e.conversationId)
          .sort((x, y) => x.time - y.time)
          .map((x) => x.id);
        expect(conv).toEqual(wantConv);
      }
    };
    await check(mem, 'memory');
    await check(file, 'file');
    await file.close();
    file = new SignalJournal({
      adapter: await FileJournal.open(dir, { ...options, indexInterval: 1 + int(7) }),
    });
    expect((file.adapter as FileJournal).recovery).toBeUndefined();
    await check(file, 'file reopened');
    await file.close();
    await mem.close();
  }, 60_000);
});
