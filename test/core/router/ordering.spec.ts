// Ordering cases O1–O23 of jido-signal-spec.md §3.8 under our rule (DESIGN decision 2):
// priority desc, then specificity (segment by segment: literal > `*` > end > `**`), then
// registration order. Cases marked ⚠ differ from jido_signal on purpose.
import { describe, expect, it } from '@jest/globals';
import { createSignal } from '../../../lib/core/signal/signal.js';
import {
  compareSpecificity,
  SignalRouter,
  type RouteSpec,
} from '../../../lib/core/router/index.js';

function routerWith(routes: RouteSpec<string>[]): SignalRouter<string> {
  const router = new SignalRouter<string>();
  router.add(routes);
  return router;
}

const yes = (): boolean => true;

describe('ordering cases O1–O23', () => {
  it('O1: exact > one `*` > `user.**` > `*.*.created` > `**` (priority −100)', () => {
    const router = routerWith([
      { pattern: '**', target: 'catch_all', priority: -100 },
      { pattern: '*.*.created', target: 'a1' },
      { pattern: 'user.**', target: 'a2' },
      { pattern: 'user.*.created', target: 'a3' },
      { pattern: 'user.123.created', target: 'a4' },
    ]);
    expect(router.route('user.123.created')).toEqual(['a4', 'a3', 'a2', 'a1', 'catch_all']);
  });

  it('O2: exact (100) before user.**.created (0)', () => {
    const router = routerWith([
      { pattern: 'user.**.created', target: 'wildcard' },
      { pattern: 'user.123.created', target: 'exact', priority: 100 },
    ]);
    expect(router.route('user.123.created')).toEqual(['exact', 'wildcard']);
  });

  it('O3: priorities 100 / 50 / 0 on exact / user.**.created / **.created', () => {
    const router = routerWith([
      { pattern: '**.created', target: 'general' },
      { pattern: 'user.**.created', target: 'user', priority: 50 },
      { pattern: 'user.123.created', target: 'specific', priority: 100 },
    ]);
    expect(router.route('user.123.created')).toEqual(['specific', 'user', 'general']);
  });

  it('O4: a.**.z (0) and **.m.**.z (50) both match; priority decides', () => {
    const router = routerWith([
      { pattern: 'a.**.z', target: 'h1' },
      { pattern: '**.m.**.z', target: 'h2', priority: 50 },
    ]);
    expect(router.route('a.b.c.m.x.y.z')).toEqual(['h2', 'h1']);
  });

  it('O4 ⚠ at equal priority: a literal first segment beats a leading `**`', () => {
    const router = routerWith([
      { pattern: '**.m.**.z', target: 'h2' },
      { pattern: 'a.**.z', target: 'h1' },
    ]);
    // jido's complexity score puts **.m.**.z (16400) before a.**.z (16200).
    expect(router.route('a.b.c.m.x.y.z')).toEqual(['h1', 'h2']);
  });

  it('O5: two routes on one pattern keep registration order', () => {
    const router = routerWith([
      { pattern: 'test', target: 'action1' },
      { pattern: 'test', target: 'action2' },
    ]);
    expect(router.route('test')).toEqual(['action1', 'action2']);
  });

  it('O6 ⚠: four equal routes keep registration order (jido: [a1, a4, a3, a2])', () => {
    const router = routerWith(
      ['a1', 'a2', 'a3', 'a4'].map((target) => ({ pattern: 'test', target })),
    );
    expect(router.route('test')).toEqual(['a1', 'a2', 'a3', 'a4']);
  });

  it('O7: priorities −10, 50, 0 on one pattern', () => {
    const router = routerWith([
      { pattern: 'test', target: 'lo', priority: -10 },
      { pattern: 'test', target: 'hi', priority: 50 },
      { pattern: 'test', target: 'mid', priority: 0 },
    ]);
    expect(router.route('test')).toEqual(['hi', 'mid', 'lo']);
  });

  it('O8: priorities 10, 50, −5 on user.*', () => {
    const router = routerWith([
      { pattern: 'user.*', target: 'p10', priority: 10 },
      { pattern: 'user.*', target: 'p50', priority: 50 },
      { pattern: 'user.*', target: 'pm', priority: -5 },
    ]);
    expect(router.route('user.x')).toEqual(['p50', 'p10', 'pm']);
  });

  it('O9 ⚠: priority comes before specificity (jido: complexity first)', () => {
    const router = routerWith([
      { pattern: 'a.*', target: 'star', priority: 100 },
      { pattern: 'a.b', target: 'exact', priority: -100 },
    ]);
    expect(router.route('a.b')).toEqual(['star', 'exact']);
  });

  it('O9 at equal priority: exact a.b before a.*', () => {
    const router = routerWith([
      { pattern: 'a.*', target: 'star' },
      { pattern: 'a.b', target: 'exact' },
    ]);
    expect(router.route('a.b')).toEqual(['exact', 'star']);
  });

  it('O10: a.* before *.b in either registration order', () => {
    for (const order of [
      ['*.b', 'a.*'],
      ['a.*', '*.b'],
    ]) {
      const router = routerWith(order.map((pattern) => ({ pattern, target: pattern })));
      expect(router.route('a.b')).toEqual(['a.*', '*.b']);
    }
  });

  it('O11: user.* before user.**', () => {
    const router = routerWith([
      { pattern: 'user.**', target: 'm' },
      { pattern: 'user.*', target: 's' },
    ]);
    expect(router.route('user.x')).toEqual(['s', 'm']);
  });

  it('O12: *.* before **', () => {
    const router = routerWith([
      { pattern: '**', target: 'dd' },
      { pattern: '*.*', target: 'ss' },
    ]);
    expect(router.route('a.b')).toEqual(['ss', 'dd']);
  });

  it('O13: two ** routes keep registration order', () => {
    const router = routerWith([
      { pattern: '**', target: 'c1' },
      { pattern: '**', target: 'c2' },
    ]);
    expect(router.route('x.y')).toEqual(['c1', 'c2']);
  });

  it('O14 ⚠: no prefix matching — `a` does not match a.b', () => {
    const router = routerWith([
      { pattern: 'a', target: 'A' },
      { pattern: 'a.b', target: 'AB' },
    ]);
    expect(router.route('a.b')).toEqual(['AB']);
    expect(router.route('a')).toEqual(['A']);
  });

  it('O15 ⚠: guarded routes are ordinary routes (registration order on ties)', () => {
    const router = routerWith(
      ['m1', 'm2', 'm3'].map((target) => ({ pattern: 'test', target, guard: yes })),
    );
    expect(router.route(createSignal('test'))).toEqual(['m1', 'm2', 'm3']);
  });

  it('O16 ⚠: guarded routes follow priority (descending)', () => {
    const router = routerWith([
      { pattern: 'test', target: 'm10', priority: 10, guard: yes },
      { pattern: 'test', target: 'm90', priority: 90, guard: yes },
      { pattern: 'test', target: 'm50', priority: 50, guard: yes },
    ]);
    expect(router.route(createSignal('test'))).toEqual(['m90', 'm50', 'm10']);
  });

  it('O17 ⚠: a guarded route keeps its priority (jido ranks matchers last)', () => {
    const router = routerWith([
      { pattern: 'test', target: 'h0' },
      { pattern: 'test', target: 'm100', priority: 100, guard: yes },
    ]);
    expect(router.route(createSignal('test'))).toEqual(['m100', 'h0']);
  });

  it('O18: ** (10) before a guarded `test` (0); ⚠ at equal priority `test` wins', () => {
    const higher = routerWith([
      { pattern: '**', target: 'catch', priority: 10 },
      { pattern: 'test', target: 'm0', guard: yes },
    ]);
    expect(higher.route(createSignal('test'))).toEqual(['catch', 'm0']);
    const equal = routerWith([
      { pattern: '**', target: 'catch' },
      { pattern: 'test', target: 'm0', guard: yes },
    ]);
    expect(equal.route(createSignal('test'))).toEqual(['m0', 'catch']);
  });

  it('O19: guarded user.created (100) before ** (0)', () => {
    const router = routerWith([
      { pattern: '**', target: 'catch' },
      { pattern: 'user.created', target: 'matcher', priority: 100, guard: yes },
    ]);
    expect(router.route(createSignal('user.created'))).toEqual(['matcher', 'catch']);
  });

  it('O20–O22: several targets on one pattern are all returned, in order', () => {
    const router = routerWith([
      { pattern: 'system.error', target: 'noop' },
      { pattern: 'system.error', target: 'pid' },
      { pattern: 'test', target: 'logger' },
      { pattern: 'test', target: 'noop' },
      { pattern: 'test', target: 'pid' },
    ]);
    expect(router.route('system.error')).toEqual(['noop', 'pid']);
    expect(router.route('test')).toEqual(['logger', 'noop', 'pid']);
  });

  it('O20: a route whose target is a list returns the list as one target', () => {
    const router = new SignalRouter<string[]>();
    router.add({ pattern: 'system.error', target: ['noop', 'pid'] });
    expect(router.route('system.error')).toEqual([['noop', 'pid']]);
  });

  it('O23: a single route with priority 100', () => {
    const router = routerWith([{ pattern: 'user.format', target: 'format_user', priority: 100 }]);
    expect(router.route('user.format')).toEqual(['format_user']);
  });
});

describe('specificity (DESIGN decision 2)', () => {
  it('ranks a pattern that ends before one that continues with **', () => {
    const router = routerWith([
      { pattern: 'audit.**', target: 'deep' },
      { pattern: 'audit', target: 'exact' },
    ]);
    expect(router.route('audit')).toEqual(['exact', 'deep']);
    expect(compareSpecificity('audit', 'audit.**')).toBeLessThan(0);
  });

  it('ranks a pattern that continues with a literal or * before one that ends', () => {
    expect(compareSpecificity('**.b', '**')).toBeLessThan(0);
    expect(compareSpecificity('**.*', '**')).toBeLessThan(0);
    const router = routerWith([
      { pattern: '**', target: 'any' },
      { pattern: '**.*', target: 'star' },
      { pattern: '**.b', target: 'b' },
    ]);
    expect(router.route('a.b')).toEqual(['b', 'star', 'any']);
    expect(router.route('b')).toEqual(['b', 'star', 'any']);
  });

  it('sorts a mixed list', () => {
    const patterns = [
      '**',
      'user.**',
      '*.*',
      'user.*',
      'user.created',
      '*.created',
      'user.**.created',
    ];
    expect([...patterns].sort(compareSpecificity)).toEqual([
      'user.created',
      'user.*',
      'user.**.created',
      'user.**',
      '*.created',
      '*.*',
      '**',
    ]);
  });

  it('treats literals as equal whatever their text', () => {
    expect(compareSpecificity('a.b', 'x.y')).toBe(0);
    expect(compareSpecificity('a.*.c', 'x.*.z')).toBe(0);
  });

  it('orders patterns that differ only after position 22 correctly', () => {
    const prefix = Array.from({ length: 24 }, (_, i) => `p${i}`);
    const type = [...prefix, 'x', 'y'].join('.');
    const routes = [
      { pattern: [...prefix, '**'].join('.'), target: 'deep-globstar' },
      { pattern: [...prefix, '*', '*'].join('.'), target: 'two-stars' },
      { pattern: [...prefix, 'x', '*'].join('.'), target: 'literal-star' },
      { pattern: [...prefix, '*', 'y'].join('.'), target: 'star-literal' },
      { pattern: type, target: 'exact' },
    ];
    const router = routerWith(routes);
    expect(router.route(type)).toEqual([
      'exact',
      'literal-star',
      'star-literal',
      'two-stars',
      'deep-globstar',
    ]);
  });

  it('keeps registration order among equally specific patterns of different text', () => {
    const router = routerWith([
      { pattern: '**.c.**', target: 'c' },
      { pattern: '**.b.**', target: 'b' },
      { pattern: '**.a.**', target: 'a' },
    ]);
    expect(router.route('a.b.c')).toEqual(['c', 'b', 'a']);
  });

  it('interleaves routes of several patterns by priority', () => {
    const router = routerWith([
      { pattern: 'a.*', target: 'star-0' },
      { pattern: 'a.b', target: 'exact-0' },
      { pattern: 'a.**', target: 'glob-50', priority: 50 },
      { pattern: 'a.*', target: 'star-50', priority: 50 },
      { pattern: 'a.b', target: 'exact-m10', priority: -10 },
      { pattern: 'a.**', target: 'glob-0' },
    ]);
    expect(router.route('a.b')).toEqual([
      'star-50',
      'glob-50',
      'exact-0',
      'star-0',
      'glob-0',
      'exact-m10',
    ]);
  });
});
