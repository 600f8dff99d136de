import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  compareSpecificity,
  matches,
  SignalRouter,
  type RoutableSignal,
} from '../../../lib/core/router/index.js';
import { naiveMatch } from '../../helpers/naive-matcher.js';

// qlobber ships no type declarations: load it through require and describe what we use.
interface QlobberLike {
  add(topic: string, value: number): unknown;
  match(topic: string): number[];
}
const { Qlobber } = createRequire(import.meta.url)('qlobber') as {
  Qlobber: new (options: {
    separator: string;
    wildcard_one: string;
    wildcard_some: string;
  }) => QlobberLike;
};

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** The grammar, written the obvious way. */
function referenceValid(pattern: string): boolean {
  const segments = pattern.split('.');
  return segments.every(
    (s, i) => s === '*' || (s === '**' && segments[i - 1] !== '**') || SEGMENT.test(s),
  );
}

function reference(type: string, pattern: string): boolean {
  return type !== '' && referenceValid(pattern) && naiveMatch(type.split('.'), pattern.split('.'));
}

const join = (segments: string[]): string => segments.join('.');

/** Any pattern over a small vocabulary, including invalid ones (`''`, `a*`, adjacent `**`). */
const anyPattern = fc
  .array(fc.constantFrom('a', 'b', 'c', '*', '**', '**', '', 'a*', 'x y'), {
    minLength: 1,
    maxLength: 7,
  })
  .map(join);
/** Types over the same vocabulary, with the odd empty segment or capital. */
const anyType = fc
  .array(fc.constantFrom('a', 'b', 'c', '', 'A'), { minLength: 1, maxLength: 9 })
  .map(join);

/** Valid patterns only. */
const validPattern = fc
  .array(fc.constantFrom('a', 'b', 'c', 'd', '*', '**'), { minLength: 1, maxLength: 6 })
  .map((segments) => segments.filter((s, i) => !(s === '**' && segments[i - 1] === '**')))
  .map(join);
/** Types without empty segments (qlobber and we disagree on nothing there). */
const plainType = fc
  .array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 8 })
  .map(join);

describe('matches() against a naive reference', () => {
  it('agrees on random patterns and types', () => {
    fc.assert(
      fc.property(anyType, anyPattern, (type, pattern) => {
        expect(matches(type, pattern)).toBe(reference(type, pattern));
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees on long types with several `**`', () => {
    const longType = fc
      .array(fc.constantFrom('a', 'b', 'c'), { minLength: 10, maxLength: 30 })
      .map(join);
    const globstarHeavy = fc
      .array(fc.constantFrom('a', 'b', '*', '**'), { minLength: 3, maxLength: 9 })
      .map((segments) => segments.filter((s, i) => !(s === '**' && segments[i - 1] === '**')))
      .map(join);
    fc.assert(
      fc.property(longType, globstarHeavy, (type, pattern) => {
        expect(matches(type, pattern)).toBe(reference(type, pattern));
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('SignalRouter.route() against matches() and the order rule', () => {
  it('returns exactly the matching routes, each once, in (priority, specificity, registration) order', () => {
    const routeArb = fc.record({
      pattern: validPattern,
      priority: fc.integer({ min: -2, max: 2 }),
    });
    fc.assert(
      fc.property(
        fc.array(routeArb, { maxLength: 30 }),
        fc.array(anyType, { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        (routes, types, cached) => {
          const router = new SignalRouter<number, RoutableSignal>({ cacheSize: cached ? 64 : 0 });
          router.add(
            routes.map((r, i) => ({ pattern: r.pattern, priority: r.priority, target: i })),
          );
          for (const type of types) {
            const expected = routes
              .map((r, i) => ({ ...r, i }))
              .filter((r) => matches(type, r.pattern))
              .sort(
                (x, y) =>
                  y.priority - x.priority || compareSpecificity(x.pattern, y.pattern) || x.i - y.i,
              )
              .map((r) => r.i);
            expect(router.route(type)).toEqual(expected);
            expect(router.route({ type })).toEqual(expected);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('stays consistent through random removals', () => {
    fc.assert(
      fc.property(
        fc.array(validPattern, { minLength: 1, maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(plainType, { minLength: 1, maxLength: 5 }),
        (patterns, removals, types) => {
          const router = new SignalRouter<number>();
          const ids = router.add(patterns.map((pattern, i) => ({ pattern, target: i })));
          const alive = new Set(patterns.map((_, i) => i));
          for (const r of removals) {
            const i = r % patterns.length;
            expect(router.remove(ids[i])).toBe(alive.delete(i));
          }
          for (const type of types) {
            const expected = [...alive]
              .filter((i) => matches(type, patterns[i]))
              .sort((a, b) => a - b);
            expect([...router.route(type)].sort((a, b) => a - b)).toEqual(expected);
          }
          expect(router.size).toBe(alive.size);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('SignalRouter.route() against qlobber on 10,000 subscriptions', () => {
  // A wider vocabulary than above keeps results in the tens rather than thousands; qlobber
  // allows at most 3 `**` per pattern by default.
  const words = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const qlobberPattern = fc
    .array(fc.constantFrom(...words, '*', '*', '**', '**'), { minLength: 1, maxLength: 6 })
    .map((segments) => segments.filter((s, i) => !(s === '**' && segments[i - 1] === '**')))
    .filter((segments) => segments.filter((s) => s === '**').length <= 3)
    .map(join);
  const qlobberType = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 7 }).map(join);
  const patterns = fc.sample(qlobberPattern, { numRuns: 10_000, seed: 20_240_601 });
  const router = new SignalRouter<number>({ cacheSize: 0 });
  const qlobber = new Qlobber({ separator: '.', wildcard_one: '*', wildcard_some: '**' });
  patterns.forEach((pattern, i) => {
    router.add({ pattern, target: i });
    qlobber.add(pattern, i);
  });

  it('registered all of them', () => {
    expect(router.size).toBe(10_000);
  });

  it('returns the same set as qlobber (deduplicated) for random types', () => {
    let matched = 0;
    fc.assert(
      fc.property(fc.array(qlobberType, { minLength: 20, maxLength: 20 }), (types) => {
        for (const type of types) {
          const ours = [...router.route(type)].sort((a, b) => a - b);
          const theirs = [...new Set(qlobber.match(type))].sort((a, b) => a - b);
          // Compare cheaply; hand Jest the arrays only when they differ (for a readable diff).
          const same = ours.length === theirs.length && ours.every((v, i) => v === theirs[i]);
          if (!same) expect({ type, ours }).toEqual({ type, ours: theirs });
          matched += ours.length;
        }
      }),
      { numRuns: 250, seed: 7 },
    );
    // The sample is meaningful: types match dozens of subscriptions on average.
    expect(matched / 5_000).toBeGreaterThan(5);
  });
});
