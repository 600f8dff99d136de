import { describe, expect, it } from '@jest/globals';
import { SignalRouter } from '../../../lib/core/router/index.js';
import { SignalId } from '../../../lib/core/signal/signal-id.js';

describe('SignalRouter route ids (derived, not stored)', () => {
  it('are valid, distinct UUIDv7s that name their route in get(), list() and remove()', () => {
    const router = new SignalRouter<number>();
    const ids = router.add(
      Array.from({ length: 50 }, (_, i) => ({ pattern: `a.${i}`, target: i })),
    );
    expect(ids.every((id) => SignalId.isValid(id))).toBe(true);
    expect(new Set(ids).size).toBe(50);
    expect(router.list().map((r) => r.id)).toEqual(ids);
    expect(router.get(ids[7])).toMatchObject({ id: ids[7], pattern: 'a.7', target: 7 });
    expect(router.remove(ids[7])).toBe(true);
    expect(router.get(ids[7])).toBeUndefined();
    expect(router.remove(ids[7])).toBe(false);
    expect(router.route('a.7')).toEqual([]);
  });

  it('an id of another router, a re-spelled or malformed id names nothing', () => {
    const a = new SignalRouter<string>();
    const b = new SignalRouter<string>();
    const idA = a.add({ pattern: 'x', target: 'a' });
    const idB = b.add({ pattern: 'x', target: 'b' });
    expect(idA).not.toBe(idB);
    expect(a.remove(idB)).toBe(false);
    expect(a.get(idB)).toBeUndefined();
    expect(a.remove(idA.toUpperCase())).toBe(false);
    expect(a.remove(`${idA.slice(0, 24)}zzzzzzzzzzzz`)).toBe(false);
    expect(a.remove(`${idA.slice(0, 24)}-00000000001`)).toBe(false);
    expect(a.remove(idA.slice(0, 35))).toBe(false);
    expect(a.remove(42 as unknown as string)).toBe(false);
    expect(a.route('x')).toEqual(['a']);
    expect(b.route('x')).toEqual(['b']);
  });

  it('ids are never reused, also after clear()', () => {
    const router = new SignalRouter<string>();
    const first = router.add({ pattern: 'p.*', target: 't' });
    router.clear();
    const second = router.add({ pattern: 'p.*', target: 't' });
    expect(second).not.toBe(first);
    expect(router.get(first)).toBeUndefined();
    expect(router.remove(first)).toBe(false);
    expect(router.get(second)?.priority).toBe(0);
  });

  it('priority survives the compact record (−100..100, and −0 as 0)', () => {
    const router = new SignalRouter<string>();
    const ids = router.add([
      { pattern: 'a.**', target: 'low', priority: -100 },
      { pattern: 'a.b', target: 'high', priority: 100 },
      { pattern: 'a.*', target: 'zero', priority: -0 },
    ]);
    expect(ids.map((id) => router.get(id)?.priority)).toEqual([-100, 100, 0]);
    expect(Object.is(router.get(ids[2])?.priority, 0)).toBe(true);
    expect(router.route('a.b')).toEqual(['high', 'zero', 'low']);
  });
});

describe('SignalRouter order of long patterns (past the numeric sort key)', () => {
  const a = (n: number) => Array.from({ length: n }, () => 'a').join('.');

  it('specificity still decides beyond 11 segments, whatever the registration order', () => {
    const router = new SignalRouter<string>();
    router.add([
      { pattern: `${a(11)}.**`, target: 'globstar' },
      { pattern: `${a(11)}.*`, target: 'star' },
      { pattern: `${a(11)}.b`, target: 'literal' },
      { pattern: `${a(10)}.*.b`, target: 'star-earlier' },
      { pattern: `${a(12)}.**`, target: 'deeper-globstar' },
    ]);
    expect(router.route(`${a(11)}.b`)).toEqual(['literal', 'star', 'globstar', 'star-earlier']);
    expect(router.route(a(12))).toEqual(['deeper-globstar', 'star', 'globstar']);
    const ends = new SignalRouter<string>();
    ends.add([
      { pattern: `${a(11)}.**`, target: 'continues' },
      { pattern: a(11), target: 'ends' },
    ]);
    expect(ends.route(a(11))).toEqual(['ends', 'continues']);
  });
});
