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

// Why a row differs from jido_signal (the ⚠ rows).
const ZERO = '`**` matches zero segments in route() too';
const NO_PREFIX = 'no prefix match in route()';

/** `[row, pattern, type, expected, differs?]`, one row of spec §3.8 per line. */
const TABLE: readonly (readonly [number, string, string, boolean, string?])[] = [
  [1, 'user.created', 'user.created', true],
  [2, 'user.created', 'user.updated', false],
  [3, 'user.created', 'user.deleted', false],
  [4, 'user.*', 'user.123', true],
  [5, 'user.*', 'user.created', true],
  [6, 'user.*', 'user.updated', true],
  [7, 'user.*', 'payment.processed', false],
  [8, 'user.*', 'user.123.updated', false, NO_PREFIX],
  [8, 'user.*', 'user.profile.updated', false, NO_PREFIX],
  [9, 'user.*', 'user', false],
  [10, '*.123', 'user.123', true],
  [11, '*.created', 'anything.created', true],
  [12, '*.error', 'auth.error', true],
  [13, 'user.*.updated', 'user.123.updated', true],
  [13, 'user.*.updated', 'user.profile.updated', true],
  [14, 'user.*.updated', 'user.profile.created', false],
  [15, 'user.*.updated', 'user.profile.settings.updated', false],
  [16, 'user.*.created', 'user.123.created', true],
  [17, 'user.*.*', 'user.123.created', true],
  [18, '*.*.payment.*', 'order.456.payment.completed', true],
  [19, '*.*.created', 'user.123.created', true],
  [20, 'user.*.profile', 'user.123.profile', true],
  [21, 'user.**.created', 'user.created', true, ZERO],
  [22, 'user.**.created', 'user.profile.created', true],
  [23, 'user.**.created', 'user.profile.address.created', true],
  [24, 'user.**.created', 'user.updated', false],
  [25, 'user.**.created', 'user.123.created', true],
  [26, '**.created', 'user.created', true],
  [27, '**.created', 'created', true, ZERO],
  [28, '**.created', 'audit.user.created', true],
  [29, '**.created', 'created.user', false],
  [30, '**.completed', 'order.123.payment.completed', true],
  [30, '**.completed', 'order.payment.completed', true],
  [31, 'order.**', 'order.123.payment.completed', true],
  [32, 'order.**.completed', 'order.123.payment.completed', true],
  [33, 'order.**.completed', 'order.payment', false],
  [34, 'audit.**', 'audit', true, ZERO],
  [35, 'audit.**', 'audit.user', true],
  [36, 'audit.**', 'audit.user.created', true],
  [37, 'audit.**', 'audit.payment.processed.success', true],
  [38, 'audit.**', 'audit.user.login.success', true],
  [39, 'audit.**', 'user.audit', false],
  [39, 'audit.**', 'user.audit.created', false],
  [40, 'system.audit.**', 'system.audit.user.created', true],
  [41, 'test.**', 'test.signal.1', true],
  [42, 'test.**', 'other.signal', false],
  [43, 'a.**.e', 'a.b.c.d.e', true],
  [44, 'a.**.e', 'a.e', true, ZERO],
  [45, 'a.**.d', 'a.b.c.d', true],
  [46, 'a.**.d', 'a.d', true, ZERO],
  [47, 'a.**.b', 'a.x.b', true],
  [48, 'a.**.z', fifty, true],
  [49, 'start.**.end', hundredStartEnd, true],
  [50, 'a.**.m.**.z', 'a.b.c.m.x.y.z', true],
  [51, 'a.**.c.**.f', 'a.b.c.d.e.f', true],
  [52, 'a.**.c.**.f', 'a.c.f', true, ZERO],
  [53, 'a.**.c.**.f', 'a.b.c.d.e', false],
  [54, '**', 'a', true],
  [55, '**', 'a.b.c', true],
  [55, '**', hundred, true],
  [56, '1.**.100', oneToHundred, true],
  [57, '1.**.999', oneToHundred, false],
  [58, 'user.created', 'user.created.extra', false, NO_PREFIX],
  [59, 'user', 'user.created', false, NO_PREFIX],
  [60, '*', 'a', true],
  [61, '*', 'a.b', false, NO_PREFIX],
  [62, '**.z', 'a.z.b', false, NO_PREFIX],
  [63, 'user.*.**', 'user.x.y', true, "matches?'s literal-prefix bug fixed"],
  [64, 'a.**.z', 'a.b.z.z', true, 'route() returns the route once, not twice'],
  [65, 'ab.**', 'abc', false],
  [69, 'user.created', 'user@123', false],
  [70, 'Order.Created', 'order.created', false],
];

const ROWS: Row[] = TABLE.map(([row, pattern, type, expected, differs]) => ({
  row,
  pattern,
  type,
  expected,
  ...(differs === undefined ? {} : { differs }),
}));

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
