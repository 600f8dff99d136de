import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileJournal,
  MemoryJournal,
  SignalJournal,
  type JournalAdapter,
} from '../../../lib/core/journal/index.js';
import { createSignal, Signal } from '../../../lib/core/signal/signal.js';

const root = mkdtempSync(join(tmpdir(), 'journal-odd-'));
let n = 0;
const freshDir = () => join(root, `j${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T = '2026-01-01T10:00:00Z';
const odd = (): Signal[] => [
  createSignal('q', null, { id: 'with "quotes" and \\backslash\\', time: T }),
  createSignal('u', { s: 'ü€𝄞' }, { id: 'ünï€😀dé', time: T }),
  createSignal('lone', { s: '\ud800x' }, { id: 'lone-\udc00-surrogate', time: T }),
  createSignal('nl', 'text\nwith newline', {
    id: 'new\nline\u2028id',
    time: T,
    datacontenttype: 'text/plain',
  }),
  createSignal('bin', new Uint8Array([0, 1, 2, 255]), { id: 'bin', time: T }),
  createSignal('nul', null, { id: 'nul\u0000id', time: '2026-01-01t11:00:00+01:00' }),
  createSignal(
    'ext',
    { deep: { a: [1, { b: null }] } },
    {
      id: 'ext',
      time: T,
      subject: 'sub "x"',
      extensions: {
        correlationid: 'corr "with" quotes\\',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    },
  ),
];

/**
 * Invariant: odd ids (quotes, backslashes, non-BMP, lone surrogates, newlines, NUL) and odd
 * contents are stored and read back identically (CloudEvents JSON), are found by id, trace and
 * conversation, before and after reopen; re-recording each identical signal after reopen is a
 * no-op (docs: "retries and redeliveries are safe").
 */
describe('odd ids and contents', () => {
  it.each<[string, () => Promise<JournalAdapter>, boolean]>([
    ['memory', () => Promise.resolve(new MemoryJournal()), false],
    ['file', () => FileJournal.open(freshDir()), true],
  ])('%s: round trip, trace, re-record', async (_name, make, durable) => {
    const adapter = await make();
    let journal = new SignalJournal({ adapter });
    const signals = odd();
    let previous: string | null = null;
    for (const s of signals) {
      await journal.record(s, { causeId: previous });
      previous = s.id;
    }
    const check = async () => {
      for (const s of signals) {
        const got = await journal.get(s.id);
        expect(JSON.stringify(got)).toBe(JSON.stringify(s));
      }
      const trace = await journal.traceChain(signals[0].id);
      expect(trace.map((t) => t.id)).toEqual(signals.map((s) => s.id));
      const conv = await journal.conversation('corr "with" quotes\\');
      expect(conv.map((s) => s.id)).toEqual(['ext']);
      for (let i = 0; i < signals.length; i++) {
        await journal.record(signals[i], { causeId: i === 0 ? null : signals[i - 1].id });
      }
      expect(await journal.size()).toBe(signals.length);
    };
    await check();
    if (durable) {
      const dir = (adapter as FileJournal).directory;
      await journal.close();
      journal = new SignalJournal({ adapter: await FileJournal.open(dir) });
      await check();
    }
    await journal.close();
  });

  it('a record larger than segmentMaxBytes gets its own segment and reads back', async () => {
    const dir = freshDir();
    const opts = { segmentMaxBytes: 4096 };
    const journal = new SignalJournal({ adapter: await FileJournal.open(dir, opts) });
    const small = createSignal('small', null);
    const big = createSignal('big', { s: '€'.repeat(20_000) });
    await journal.record(small);
    await journal.record(big, { causeId: small.id });
    await journal.record(createSignal('after'), { causeId: big.id });
    await journal.close();
    const again = new SignalJournal({ adapter: await FileJournal.open(dir, opts) });
    expect((await again.traceChain(small.id)).map((s) => s.signal.type)).toEqual([
      'small',
      'big',
      'after',
    ]);
    expect(JSON.stringify(await again.get(big.id))).toBe(JSON.stringify(big));
    await again.close();
  });
});
