import { parsePattern, WILDCARD_ONE, WILDCARD_SOME } from './pattern.js';

/*
 * Specificity (DESIGN decision 2) compares two patterns segment by segment from the left; at
 * the first position where they differ, literal > `*` > end-of-pattern > `**`. Putting "end"
 * between `*` and `**` is what makes `audit` beat `audit.**`, while `**.b` still beats `**`
 * (a pattern that continues with a literal is the narrower one). Literals rank equal whatever
 * their text: two patterns that match the same type can differ in literal text only where a
 * `**` shifted the alignment, and then the segment kinds still say which one is narrower.
 *
 * A pattern's rank sequence is encoded once, at add time, as a string of rank letters
 * ('d' literal, 'c' star, 'b' end, 'a' globstar) that stops at the end letter, so no key is
 * a prefix of another and plain string comparison gives the order.
 */
const RANK_LITERAL = 3;
const RANK_ONE = 2;
const RANK_END = 1;
const RANK_SOME = 0;
const LETTERS = ['a', 'b', 'c', 'd'] as const;

/**
 * Positions that fit in the numeric sort key (2 bits each, below 8 bits of priority): 11 keep
 * the key below 2^30, a small integer V8 stores without boxing (no heap number per route).
 */
export const NUMERIC_POSITIONS = 11;
const POSITION_SCALE = 4 ** NUMERIC_POSITIONS;

function rank(segment: string): number {
  return segment === WILDCARD_SOME ? RANK_SOME : segment === WILDCARD_ONE ? RANK_ONE : RANK_LITERAL;
}

/**
 * The specificity key of validated segments: rank letters followed by the end letter. Greater
 * (as a string) is more specific.
 * @internal
 */
export function specificityKey(segments: readonly string[]): string {
  let key = '';
  for (const s of segments) key += LETTERS[rank(s)];
  return key + LETTERS[RANK_END];
}

/**
 * A number that orders routes like (priority desc, specificity desc) as long as the patterns
 * differ within their first {@link NUMERIC_POSITIONS} positions: 8 bits of priority followed
 * by 2 bits per position (< 2^30, a small integer). Larger is first. When two keys are equal
 * and both patterns are longer than that, compare {@link specificityKey} strings.
 * @internal
 */
export function numericSortKey(priority: number, segments: readonly string[]): number {
  let spec = 0;
  let scale = POSITION_SCALE;
  const n = Math.min(segments.length, NUMERIC_POSITIONS);
  for (let i = 0; i < n; i++) {
    scale /= 4;
    spec += rank(segments[i]) * scale;
  }
  if (segments.length < NUMERIC_POSITIONS) spec += RANK_END * (scale / 4);
  return (priority + 100) * POSITION_SCALE + spec;
}

/** The priority a {@link numericSortKey} was built with. @internal */
export function priorityOf(sortKey: number): number {
  return Math.floor(sortKey / POSITION_SCALE) - 100;
}

/**
 * Compare two patterns by specificity (DESIGN decision 2): negative when `a` is more specific
 * and sorts first, positive when `b` is, 0 when they rank equal. Segment by segment from the
 * left, at the first position where they differ a literal beats `*`, `*` beats `**`, and a
 * pattern that ends beats one that continues with `**` (but loses to one that continues with
 * a literal or `*`).
 *
 * @example
 * ['**', 'user.**', 'user.*', 'user.created'].sort(compareSpecificity);
 * // → ['user.created', 'user.*', 'user.**', '**']
 * compareSpecificity('audit', 'audit.**'); // < 0
 * @throws InvalidPatternError when either pattern is invalid
 */
export function compareSpecificity(a: string, b: string): number {
  const ka = specificityKey(parsePattern(a));
  const kb = specificityKey(parsePattern(b));
  return ka === kb ? 0 : ka > kb ? -1 : 1;
}
