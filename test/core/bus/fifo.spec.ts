import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Fifo } from '../../../lib/core/bus/persistent/fifo.js';

describe('Fifo', () => {
  // Invariant: after any sequence of push / shift / drain, the Fifo holds exactly what a
  // plain array used as a queue holds, in order (seed 17, 100 runs, up to 12,000 operations
  // each, so the compaction past 4,096 taken slots and the reset of a large array run too).
  it('behaves like an array queue (seeded property)', () => {
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 400 }).map((n) => ({ push: n })) },
      { weight: 5, arbitrary: fc.integer({ min: 1, max: 400 }).map((n) => ({ shift: n })) },
      { weight: 1, arbitrary: fc.constant({ drain: true }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        let next = 0;
        for (const o of ops) {
          if ('push' in o) {
            for (let i = 0; i < o.push; i++) {
              fifo.push(next);
              model.push(next++);
            }
          } else if ('shift' in o) {
            for (let i = 0; i < o.shift; i++) {
              if (fifo.shift() !== model.shift()) return false;
            }
          } else {
            expect(fifo.drain()).toEqual(model.splice(0));
          }
          expect(fifo.size).toBe(model.length);
          expect(fifo.peek()).toBe(model[0]);
          if (model.length > 0) expect(fifo.at(model.length - 1)).toBe(model[model.length - 1]);
        }
      }),
      { numRuns: 100, seed: 17 },
    );
  });

  it('keeps order across the compaction of a long queue and after emptying a large one', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 10_000; i++) fifo.push(i);
    for (let i = 0; i < 6_000; i++) expect(fifo.shift()).toBe(i); // compacts past 5,000 taken
    for (let i = 10_000; i < 12_000; i++) fifo.push(i);
    expect(fifo.size).toBe(6_000);
    expect(fifo.at(0)).toBe(6_000);
    const rest: number[] = [];
    for (let x = fifo.shift(); x !== undefined; x = fifo.shift()) rest.push(x);
    expect(rest).toEqual(Array.from({ length: 6_000 }, (_, i) => 6_000 + i));
    fifo.push(1);
    expect([fifo.size, fifo.shift(), fifo.size]).toEqual([1, 1, 0]);
  });

  it('empty: shift and peek give undefined, drain gives []', () => {
    const fifo = new Fifo<string>();
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.peek()).toBeUndefined();
    expect(fifo.drain()).toEqual([]);
    fifo.push('a');
    expect(fifo.shift()).toBe('a');
    expect(fifo.size).toBe(0);
  });
});
