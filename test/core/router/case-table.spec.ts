// The 70-row case table of jido-signal-spec.md §3.8, with our semantics (DESIGN decision 1):
// one matcher for matches() and route(), `**` matches zero or more segments, no prefix
// matching, each route at most once. Rows marked ⚠ differ from jido_signal on purpose.
import { describe, expect, it } from '@jest/globals';
import { InvalidPatternError } from '../../../lib/core/errors/router.error.js';
import { matches, SignalRouter, type RoutableSignal } from '../../../lib/core/router/index.js';

interface Row {
  /** Row number in spec §3.8. */
  row: number;
  pattern: string;
  type: string;
  expected: boolean;
  /** Why we differ from jido_signal, for ⚠ rows. */
  differs?: string;
}

const fifty = ['a', ...Array.from({ length: 48 }, (_, i) => String(i + 1)), 'z'].join('.');
const hundredStartEnd = ['start', ...Array.from({ length: 98 }, (_, i) => `s${i}`), 'end'].join(
  '.',
);
const oneToHundred = Array.from({ length: 100 }, (_, i) => String(i + 1)).join('.');
const hundred = Array.from({ length: 100 }, (_, i) => `x${i}`).join('.');

const ROWS: Row[] = [
  { row: 1, pattern: 'user.created', type: 'user.created', expected: true },
  { row: 2, pattern: 'user.created', type: 'user.updated', expected: false },
  { row: 3, pattern: 'user.created', type: 'user.deleted', expected: false },
  { row: 4, pattern: 'user.*', type: 'user.123', expected: true },
  { row: 5, pattern: 'user.*', type: 'user.created', expected: true },
  { row: 6, pattern: 'user.*', type: 'user.updated', expected: true },
  { row: 7, pattern: 'user.*', type: 'payment.processed', expected: false },
  {
    row: 8,
    pattern: 'user.*',
    type: 'user.123.updated',
    expected: false,
    differs: 'no prefix match in route()',
  },
  {
    row: 8,
    pattern: 'user.*',
    type: 'user.profile.updated',
    expected: false,
    differs: 'no prefix match in route()',
  },
  { row: 9, pattern: 'user.*', type: 'user', expected: false },
  { row: 10, pattern: '*.123', type: 'user.123', expected: true },
  { row: 11, pattern: '*.created', type: 'anything.created', expected: true },
  { row: 12, pattern: '*.error', type: 'auth.error', expected: true },
  { row: 13, pattern: 'user.*.updated', type: 'user.123.updated', expected: true },
  { row: 13, pattern: 'user.*.updated', type: 'user.profile.updated', expected: true },
  { row: 14, pattern: 'user.*.updated', type: 'user.profile.created', expected: false },
  { row: 15, pattern: 'user.*.updated', type: 'user.profile.settings.updated', expected: false },
  { row: 16, pattern: 'user.*.created', type: 'user.123.created', expected: true },
  { row: 17, pattern: 'user.*.*', type: 'user.123.created', expected: true },
  { row: 18, pattern: '*.*.payment.*', type: 'order.456.payment.completed', expected: true },
  { row: 19, pattern: '*.*.created', type: 'user.123.created', expected: true },
  { row: 20, pattern: 'user.*.profile', type: 'user.123.profile', expected: true },
  {
    row: 21,
    pattern: 'user.**.created',
    type: 'user.created',
    expected: true,
    differs: '`**` matches zero segments in route() too',
  },
  { row: 22, pattern: 'user.**.created', type: 'user.profile.created', expected: true },
  { row: 23, pattern: 'user.**.created', type: 'user.profile.address.created', expected: true },
  { row: 24, pattern: 'user.**.created', type: 'user.updated', expected: false },
  { row: 25, pattern: 'user.**.created', type: 'user.123.created', expected: true },
  { row: 26, pattern: '**.created', type: 'user.created', expected: true },
  {
    row: 27,
    pattern: '**.created',
    type: 'created',
    expected: true,
    differs: '`**` matches zero segments in route() too',
  },
  { row: 28, pattern: '**.created', type: 'audit.user.created', expected: true },
  { row: 29, pattern: '**.created', type: 'created.user', expected: false },
  { row: 30, pattern: '**.completed', type: 'order.123.payment.completed', expected: true },
  { row: 30, pattern: '**.completed', type: 'order.payment.completed', expected: true },
  { row: 31, pattern: 'order.**', type: 'order.123.payment.completed', expected: true },
  { row: 32, pattern: 'order.**.completed', type: 'order.123.payment.completed', expected: true },
  { row: 33, pattern: 'order.**.completed', type: 'order.payment', expected: false },
  {
    row: 34,
    pattern: 'audit.**',
    type: 'audit',
    expected: true,
    differs: '`**` matches zero segments in route() too',
  },
  { row: 35, pattern: 'audit.**', type: 'audit.user', expected: true },
  { row: 36, pattern: 'audit.**', type: 'audit.user.created', expected: true },
  { row: 37, pattern: 'audit.**', type: 'audit.payment.processed.success', expected: true },
  { row: 38, pattern: 'audit.**', type: 'audit.user.login.success', expected: true },
  { row: 39, pattern: 'audit.**', type: 'user.audit', expected: false },
  { row: 39, pattern: 'audit.**', type: 'user.audit.created', expected: false },
  { row: 40, pattern: 'system.audit.**', type: 'system.audit.user.created', expected: true },
  { row: 41, pattern: 'test.**', type: 'test.signal.1', expected: true },
  { row: 42, pattern: 'test.**', type: 'other.signal', expected: false },
  { row: 43, pattern: 'a.**.e', type: 'a.b.c.d.e', expected: true },
  {
    row: 44,
    pattern: 'a.**.e',
    type: 'a.e',
    expected: true,
    differs: '`**` matches zero segments in route() too',
  },
  { row: 45, pattern: 'a.**.d', type: 'a.b.c.d', expected: true },
  {
    row: 46,
    pattern: 'a.**.d',
    type: 'a.d',
    expected: true,
    differs: '`**` matches zero segments in route() too',
  },
  { row: 47, pattern: 'a.**.b', type: 'a.x.b', expected: true },
  { row: 48, pattern: 'a.**.z', type: fifty, expected: true },
  { row: 49, pattern: 'start.**.end', type: hundredStartEnd, expected: true },
  { row: 50, pattern: 'a.**.m.**.z', type: 'a.b.c.m.x.y.z', expected: true },
  { row: 51, pattern: 'a.**.c.**.f', type: 'a.b.c.d.e.f', expected: true },
  {
    row: 52,
    pattern: 'a.**.c.**.f',
    type: 'a.c.f',
    expected: true,
    differs: '`**` matches zero segments in route() too',
  },
  { row: 53, pattern: 'a.**.c.**.f', type: 'a.b.c.d.e', expected: false },
  { row: 54, pattern: '**', type: 'a', expected: true },
  { row: 55, pattern: '**', type: 'a.b.c', expected: true },
  { row: 55, pattern: '**', type: hundred, expected: true },
  { row: 56, pattern: '1.**.100', type: oneToHundred, expected: true },
  { row: 57, pattern: '1.**.999', type: oneToHundred, expected: false },
  {
    row: 58,
    pattern: 'user.created',
    type: 'user.created.extra',
    expected: false,
    differs: 'no prefix match in route()',
  },
  {
    row: 59,
    pattern: 'user',
    type: 'user.created',
    expected: false,
    differs: 'no prefix match in route()',
  },
  { row: 60, pattern: '*', type: 'a', expected: true },
  { row: 61, pattern: '*', type: 'a.b', expected: false, differs: 'no prefix match in route()' },
  {
    row: 62,
    pattern: '**.z',
    type: 'a.z.b',
    expected: false,
    differs: 'no prefix match in route()',
  },
  {
    row: 63,
    pattern: 'user.*.**',
    type: 'user.x.y',
    expected: true,
    differs: "matches?'s literal-prefix bug fixed",
  },
  {
    row: 64,
    pattern: 'a.**.z',
    type: 'a.b.z.z',
    expected: true,
    differs: 'route() returns the route once, not twice',
  },
  { row: 65, pattern: 'ab.**', type: 'abc', expected: false },
  { row: 69, pattern: 'user.created', type: 'user@123', expected: false },
  { row: 70, pattern: 'Order.Created', type: 'order.created', expected: false },
];

/** Rows 66–68 are about invalid input rather than a (pattern, type) pair. */
const INPUT_ROWS = [66, 67, 68];

describe('spec §3.8 case table', () => {
  it('covers every one of the 70 rows', () => {
    const covered = new Set([...ROWS.map((r) => r.row), ...INPUT_ROWS]);
    expect([...covered].sort((a, b) => a - b)).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
  });

  const cases = ROWS.map((r) => ({
    ...r,
    shown:
      r.type.length > 40
        ? `${r.type.slice(0, 12)}… (${r.type.split('.').length} segments)`
        : r.type,
    mark: r.differs === undefined ? '' : ` ⚠ ${r.differs}`,
  }));

  describe.each(cases)('row $row: $pattern vs $shown$mark', ({ pattern, type, expected }) => {
    it(`matches() is ${expected}`, () => {
      expect(matches(type, pattern)).toBe(expected);
    });

    it(`route() ${expected ? 'returns the route exactly once' : 'returns nothing'}`, () => {
      const router = new SignalRouter<string, RoutableSignal>();
      router.add({ pattern, target: 'target' });
      expect(router.route(type)).toEqual(expected ? ['target'] : []);
      // The same answer for a signal-like object and from the cache on a second call.
      expect(router.route({ type })).toEqual(expected ? ['target'] : []);
      expect(router.route(type)).toEqual(expected ? ['target'] : []);
    });
  });

  it('row 64 ⚠: a.**.z against a.b.z.z is one route, returned once', () => {
    const router = new SignalRouter<string>();
    router.add({ pattern: 'a.**.z', target: 'h' });
    expect(router.route('a.b.z.z')).toEqual(['h']);
  });

  it('row 66: user..created is an invalid pattern (matches false, add throws)', () => {
    expect(matches('user.created', 'user..created')).toBe(false);
    expect(matches('user..created', 'user..created')).toBe(false);
    const router = new SignalRouter<string>();
    expect(() => router.add({ pattern: 'user..created', target: 't' })).toThrow(
      InvalidPatternError,
    );
    expect(router.size).toBe(0);
  });

  it('row 67: the empty pattern is invalid (matches false, add throws)', () => {
    expect(matches('user.created', '')).toBe(false);
    const router = new SignalRouter<string>();
    expect(() => router.add({ pattern: '', target: 't' })).toThrow(InvalidPatternError);
    expect(router.size).toBe(0);
  });

  it('row 68: non-string types and patterns never match', () => {
    for (const type of [null, undefined, 123, {}, ['user', 'x']]) {
      expect(matches(type, 'user.*')).toBe(false);
    }
    for (const pattern of [null, undefined, 123, {}, ['user', '*']]) {
      expect(matches('user.created', pattern)).toBe(false);
    }
  });
});
