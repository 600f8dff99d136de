import { WILDCARD_ONE, WILDCARD_SOME, matches, parsePattern } from '../router/pattern.js';

/**
 * The narrowest single pattern that matches every type any of `patterns` matches, e.g.
 * `['payment.*', 'refund.*']` → `'*.*'`, `['order.created', 'order.item.added']` →
 * `'order.*.**'`. A persistent subscription over a pattern list stores, replays and (on a
 * distributed store) filters by it, and checks the list itself before calling the handler.
 *
 * Rule: patterns of equal length without `**` join segment by segment (equal literals stay,
 * anything else becomes `*`); otherwise the longest common run of one-segment positions is
 * kept the same way and followed by `**`.
 * @throws InvalidPatternError for a pattern outside the grammar
 * @internal
 */
export function coveringPattern(patterns: readonly string[]): string {
  const parsed = patterns.map((p) => parsePattern(p));
  if (parsed.length === 1) return patterns[0];
  const joinAt = (i: number): string => {
    const first = parsed[0][i];
    return first !== WILDCARD_ONE && parsed.every((s) => s[i] === first) ? first : WILDCARD_ONE;
  };
  const length = parsed[0].length;
  if (parsed.every((s) => s.length === length && !s.includes(WILDCARD_SOME))) {
    return Array.from({ length }, (_, i) => joinAt(i)).join('.');
  }
  const prefix: string[] = [];
  for (let i = 0; parsed.every((s) => i < s.length && s[i] !== WILDCARD_SOME); i++) {
    prefix.push(joinAt(i));
  }
  return [...prefix, WILDCARD_SOME].join('.');
}

/** Whether `type` matches any of `patterns`. @internal */
export function matchesAny(type: string, patterns: readonly string[]): boolean {
  for (let i = 0; i < patterns.length; i++) if (matches(type, patterns[i])) return true;
  return false;
}
