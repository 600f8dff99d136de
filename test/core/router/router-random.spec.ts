import { describe, expect, it } from '@jest/globals';
import { compareSpecificity, SignalRouter } from '../../../lib/core/router/index.js';
import { prng } from '../../helpers/prng.js';
import { naiveMatch } from '../../helpers/naive-matcher.js';

// 'k4uzx'/'kf2ad' and 'k4uzy'/'kf2ae' collide in the trie's 30-bit FNV-1a segment hash.
const LIT = ['k4uzx', 'kf2ad', 'k4uzy', 'kf2ae', 'a', 'b'];
const PAT_SEG = [...LIT, '*', '*', '**', '**'];
const TYPE_SEG = [...LIT, 'c', ''];

/**
 * Invariant: after any seeded sequence of add / remove / removeWhere / clear, route(type)
 * returns exactly the targets of the routes matching `type` (naive matcher), each once,
 * ordered by priority desc, specificity (compareSpecificity), registration order — with a
 * tiny result cache that evicts and switches itself off and on.
 */
describe('router: random add/remove against a brute-force reference (seeded)', () => {
  it.each([1, 2, 3, 99, 12345])('seed %i', (seed) => {
    const random = prng(seed);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(random() * a.length)];
    const router = new SignalRouter<number>({
      cacheSize: 4,
      cacheWindow: 8,
      cacheMinHitRate: 0.9,
      cacheCooldown: 3,
    });
    interface R {
      id: string;
      pattern: string;
      priority: number;
      seq: number;
    }
    const live: R[] = [];
    let seq = 0;
    const makePattern = (): string => {
      const len = random() < 0.1 ? 12 + Math.floor(random() * 3) : 1 + Math.floor(random() * 4);
      const segs: string[] = [];
      for (let i = 0; i < len; i++) {
        let s = pick(PAT_SEG);
        while (s === '**' && segs[segs.length - 1] === '**') s = pick(PAT_SEG);
        segs.push(s);
      }
      return segs.join('.');
    };
    const makeType = (): string => {
      const len = random() < 0.1 ? 12 + Math.floor(random() * 4) : 1 + Math.floor(random() * 5);
      return Array.from({ length: len }, () => pick(TYPE_SEG)).join('.');
    };
    const types: string[] = Array.from({ length: 30 }, makeType);
    for (let step = 0; step < 1500; step++) {
      const r = random();
      if (r < 0.35 || live.length === 0) {
        const pattern = makePattern();
        const priority = random() < 0.7 ? 0 : pick([-100, -1, 1, 5, 100]);
        const s = ++seq;
        const id = router.add({ pattern, target: s, priority });
        live.push({ id, pattern, priority, seq: s });
      } else if (r < 0.5) {
        const k = Math.floor(random() * live.length);
        expect(router.remove(live[k].id)).toBe(true);
        live.splice(k, 1);
      } else if (r < 0.53) {
        const pattern = pick(live).pattern;
        const n = router.removeWhere(pattern);
        const before = live.length;
        for (let k = live.length - 1; k >= 0; k--)
          if (live[k].pattern === pattern) live.splice(k, 1);
        expect(n).toBe(before - live.length);
      } else if (r < 0.535) {
        router.clear();
        live.length = 0;
      } else {
        const type = random() < 0.7 ? pick(types) : makeType();
        const expected = live
          .filter((x) => type !== '' && naiveMatch(type.split('.'), x.pattern.split('.')))
          .sort(
            (x, y) =>
              y.priority - x.priority || compareSpecificity(x.pattern, y.pattern) || x.seq - y.seq,
          )
          .map((x) => x.seq);
        const got = [...router.route(type)];
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          const show = (ids: number[]) =>
            ids.map((i) => live.find((x) => x.seq === i)?.pattern ?? `gone#${i}`);
          throw new Error(
            `step ${step} type ${JSON.stringify(type)}\n got ${JSON.stringify(show(got))}\n exp ${JSON.stringify(show(expected))}`,
          );
        }
      }
    }
    expect(router.size).toBe(live.length);
  });
});
