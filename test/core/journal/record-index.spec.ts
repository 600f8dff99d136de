import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RecordIndex } from '../../../lib/core/journal/record-index.js';

function indexOf(times: readonly number[], blockSize: number): RecordIndex {
  const index = new RecordIndex(blockSize);
  times.forEach((t, i) =>
    index.add(
      { id: `s${i}`, time: t, recordedAt: t, causeId: undefined, conversationId: `s${i}` },
      1,
      8,
      10,
    ),
  );
  return index;
}

describe('RecordIndex.ordered (sparse time index)', () => {
  it('equals a full sort by (time, seq), for any times, block size, range and direction', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: -5, max: 65 }),
        fc.integer({ min: -5, max: 65 }),
        fc.boolean(),
        (times, blockSize, a, b, desc) => {
          const [since, until] = a <= b ? [a, b] : [b, a];
          const expected = times
            .map((t, seq) => ({ t, seq }))
            .filter((x) => x.t >= since && x.t <= until)
            .sort((x, y) => x.t - y.t || x.seq - y.seq)
            .map((x) => x.seq);
          if (desc) expected.reverse();
          expect([...indexOf(times, blockSize).ordered(since, until, desc)]).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('yields one result at a time (newest first for desc) and handles empty ranges', () => {
    const index = indexOf(
      Array.from({ length: 100_000 }, (_, i) => i),
      256,
    );
    const it = index.ordered(-Infinity, Infinity, true);
    expect([it.next().value, it.next().value]).toEqual([99_999, 99_998]);
    expect([...index.ordered(500, 502, false)]).toEqual([500, 501, 502]);
    expect([...index.ordered(5, 1, false)]).toEqual([]);
  });
});

describe('RecordIndex conversations', () => {
  it('a root keyed by its own id has no list until a second member joins, then heads it', () => {
    const index = new RecordIndex(4);
    const add = (id: string, conversationId: string, causeId?: string) =>
      index.add({ id, time: 0, recordedAt: 0, causeId, conversationId }, 1, 8, 10);
    add('root', 'root');
    add('other', 'k');
    expect(index.conversation('root')).toEqual(['root']);
    expect(index.meta(0).conversationId).toBe('root');
    add('child', 'root', 'root');
    add('k', 'k');
    expect(index.conversation('root')).toEqual(['root', 'child']);
    expect(index.conversation('k')).toEqual(['other', 'k']);
    expect(index.conversation('child')).toEqual([]);
    expect(index.meta(2)).toMatchObject({ conversationId: 'root', causeId: 'root' });
    expect(index.effectsOf(0)).toEqual(['child']);
    expect(add('root', 'x')).toBe(-1);
  });
});

describe('RecordIndex effects recorded before their cause', () => {
  it('link up, in record order, when the cause is added (a shared journal: the cause came from another instance)', () => {
    const index = new RecordIndex(4);
    const meta = (id: string, causeId?: string) => ({
      id,
      time: 1,
      recordedAt: 1,
      causeId,
      conversationId: 'c',
    });
    const e1 = index.add(meta('e1', 'cause'), 1, 0, 1);
    const e2 = index.add(meta('e2', 'cause'), 1, 1, 1);
    expect(index.causeOf(e1)).toBe('cause'); // dangling, but kept
    const cause = index.add(meta('cause'), 1, 2, 1);
    const e3 = index.add(meta('e3', 'cause'), 1, 3, 1);
    expect(index.effectsOf(cause)).toEqual(['e1', 'e2', 'e3']);
    expect([e1, e2, e3].map((s) => index.causeOf(s))).toEqual(['cause', 'cause', 'cause']);
  });
});
