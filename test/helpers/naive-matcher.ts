/**
 * Textbook recursive matcher of dot-separated types against patterns (`*` one non-empty
 * segment, `**` any number), written from docs/router.md: the reference the router's random
 * specs compare with. Exponential in the worst case: for short inputs only.
 */
export function naiveMatch(type: readonly string[], pattern: readonly string[]): boolean {
  if (pattern.length === 0) return type.length === 0;
  const [head, ...rest] = pattern;
  if (head === '**') {
    for (let k = 0; k <= type.length; k++) if (naiveMatch(type.slice(k), rest)) return true;
    return false;
  }
  if (type.length === 0) return false;
  if (head === '*') return type[0] !== '' && naiveMatch(type.slice(1), rest);
  return type[0] === head && naiveMatch(type.slice(1), rest);
}
