import { InvalidPatternError } from '../errors/router.error.js';

/** The wildcard that matches exactly one non-empty segment. */
export const WILDCARD_ONE = '*';
/** The wildcard that matches zero or more segments. */
export const WILDCARD_SOME = '**';

const DOT = 46; // '.'
const STAR = 42; // '*'

function isSegmentChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    c === 95 || // _
    c === 45 // -
  );
}

/**
 * Check one segment: `null` when valid, else why not. Hand-rolled instead of a RegExp because
 * this also runs for every pattern `matches()` sees for the first time.
 */
function segmentProblem(
  segment: string,
  previous: string | undefined,
): 'empty_segment' | 'adjacent_globstar' | 'wildcard_in_segment' | 'invalid_characters' | null {
  const n = segment.length;
  if (n === 0) return 'empty_segment';
  if (segment === WILDCARD_SOME) return previous === WILDCARD_SOME ? 'adjacent_globstar' : null;
  if (segment === WILDCARD_ONE) return null;
  let star = false;
  let bad = false;
  for (let i = 0; i < n; i++) {
    const c = segment.charCodeAt(i);
    if (c === STAR) star = true;
    else if (!isSegmentChar(c)) bad = true;
  }
  if (star) return 'wildcard_in_segment';
  return bad ? 'invalid_characters' : null;
}

/** Most segments a pattern may have. Bounds the cost of adding and matching a route. */
export const MAX_PATTERN_SEGMENTS = 128;
/** Most `**` segments a pattern may have. Each one multiplies the states a match explores. */
export const MAX_PATTERN_GLOBSTARS = 8;

/**
 * Split a pattern into segments and check the grammar.
 * @throws InvalidPatternError naming the first offending segment
 * @internal
 */
export function parsePattern(pattern: unknown): string[] {
  if (typeof pattern !== 'string') throw new InvalidPatternError(pattern, 'not_a_string');
  // Count the dots before splitting, so an enormous pattern costs no allocation.
  let dots = 0;
  for (let at = pattern.indexOf('.'); at !== -1; at = pattern.indexOf('.', at + 1)) {
    if (++dots >= MAX_PATTERN_SEGMENTS) {
      throw new InvalidPatternError(pattern, 'too_many_segments', undefined, undefined, {
        details: { limit: MAX_PATTERN_SEGMENTS },
      });
    }
  }
  const segments = pattern.split('.');
  let previous: string | undefined;
  let globstars = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const problem = segmentProblem(segment, previous);
    if (problem !== null) throw new InvalidPatternError(pattern, problem, segment, i);
    if (segment === WILDCARD_SOME && ++globstars > MAX_PATTERN_GLOBSTARS) {
      throw new InvalidPatternError(pattern, 'too_many_globstars', segment, i, {
        details: { limit: MAX_PATTERN_GLOBSTARS },
      });
    }
    previous = segment;
  }
  return segments;
}

/**
 * Assert that `pattern` follows the pattern grammar:
 *
 * - segments are separated by single dots; none is empty (no leading, trailing or double dots);
 * - a segment is `[A-Za-z0-9_-]+`, or exactly `*` (one segment), or exactly `**` (zero or
 *   more segments);
 * - `*` never appears inside a segment (`a*`, `***` are invalid);
 * - `**` never directly follows `**` (`a.**.**` is invalid; `a.**.b.**` is fine);
 * - at most {@link MAX_PATTERN_SEGMENTS} (128) segments, of which at most
 *   {@link MAX_PATTERN_GLOBSTARS} (8) are `**` — limits that keep adding and matching a
 *   route cheap whatever the pattern (reasons `too_many_segments`, `too_many_globstars`).
 *
 * @example
 * validatePattern('user.*.updated'); // ok
 * validatePattern('user..created'); // throws: segment 1 "" is empty
 * @throws InvalidPatternError (`code: 'invalid_pattern'`) whose `segment` and `index` name the
 *   first offending segment (`undefined` when `pattern` is not a string)
 */
export function validatePattern(pattern: unknown): asserts pattern is string {
  parsePattern(pattern);
}

/** `true` when `pattern` follows the grammar of {@link validatePattern}. Never throws. */
export function isValidPattern(pattern: unknown): pattern is string {
  return compile(pattern).kind !== Kind.Invalid;
}

/** `true` when `pattern` contains no wildcard segment (it then matches exactly one type). */
export function isLiteralPattern(pattern: string): boolean {
  return pattern.indexOf('*') === -1;
}

const enum Kind {
  Invalid,
  /** No wildcard: string equality. */
  Exact,
  /** `base.**` with a wildcard-free base: prefix test. */
  Prefix,
  /** `**` alone: every type. */
  All,
  /** Anything else: segment-wise greedy match. */
  General,
}

interface Compiled {
  readonly kind: Kind;
  /** Prefix: the base without `.**`. */
  readonly base: string;
  /** General: the segments. */
  readonly segments: readonly string[];
  /** General with at most one `**`: an equivalent anchored RegExp (see {@link toRegExp}). */
  readonly regexp: RegExp | undefined;
}

const INVALID: Compiled = { kind: Kind.Invalid, base: '', segments: [], regexp: undefined };
const ALL: Compiled = { kind: Kind.All, base: '', segments: [], regexp: undefined };
const EXACT: Compiled = { kind: Kind.Exact, base: '', segments: [], regexp: undefined };

/** Above this type length the segment matcher is used even where a RegExp exists. */
const REGEXP_MAX_TYPE_LENGTH = 2048;

/**
 * An anchored RegExp equivalent to a valid pattern with at most one `**`, or `undefined`.
 * Literal segments need no escaping (`[A-Za-z0-9_-]`), `*` is `[^.]+`, and the one `**`
 * becomes a run of whole segments with its dots: `A.**.B` → `^A(?:\.[^.]*)*\.B$`,
 * `A.**` → `^A(?:\.[^.]*)*$`, `**.B` → `^(?:[^.]*\.)*B$`. With a single `**` the engine's
 * backtracking is bounded by positions × |B|; patterns with more use {@link matchSegments}.
 * V8 runs these several times faster than a hand-written segment loop.
 */
function toRegExp(segments: readonly string[]): RegExp | undefined {
  const at = segments.indexOf(WILDCARD_SOME);
  if (at !== segments.lastIndexOf(WILDCARD_SOME)) return undefined;
  const part = (list: readonly string[]): string =>
    list.map((s) => (s === WILDCARD_ONE ? '[^.]+' : s)).join('\\.');
  if (at === -1) return new RegExp(`^${part(segments)}$`);
  const head = segments.slice(0, at);
  const tail = segments.slice(at + 1);
  if (head.length === 0) return new RegExp(`^(?:[^.]*\\.)*${part(tail)}$`);
  if (tail.length === 0) return new RegExp(`^${part(head)}(?:\\.[^.]*)*$`);
  return new RegExp(`^${part(head)}(?:\\.[^.]*)*\\.${part(tail)}$`);
}

/** Bound of the compiled-pattern cache; patterns are few in practice (one per subscription). */
const COMPILED_CACHE_SIZE = 4096;
const compiledCache = new Map<string, Compiled>();

function compileUncached(pattern: string): Compiled {
  let segments: string[];
  try {
    segments = parsePattern(pattern);
  } catch {
    return INVALID;
  }
  let globstars = 0;
  let stars = 0;
  for (const s of segments) {
    if (s === WILDCARD_SOME) globstars++;
    else if (s === WILDCARD_ONE) stars++;
  }
  if (globstars === 0 && stars === 0) return EXACT;
  if (segments.length === 1 && globstars === 1) return ALL;
  if (stars === 0 && globstars === 1 && segments[segments.length - 1] === WILDCARD_SOME) {
    return {
      kind: Kind.Prefix,
      base: pattern.slice(0, pattern.length - 3),
      segments,
      regexp: undefined,
    };
  }
  return { kind: Kind.General, base: '', segments, regexp: toRegExp(segments) };
}

function compile(pattern: unknown): Compiled {
  if (typeof pattern !== 'string') return INVALID;
  let compiled = compiledCache.get(pattern);
  if (compiled === undefined) {
    compiled = compileUncached(pattern);
    // FIFO eviction: a pattern seen once long ago is the cheapest to recompile.
    if (compiledCache.size >= COMPILED_CACHE_SIZE) {
      compiledCache.delete(compiledCache.keys().next().value!);
    }
    compiledCache.set(pattern, compiled);
  }
  return compiled;
}

/**
 * Segment-wise match for patterns with wildcards. This is the classic greedy glob algorithm
 * on segments: `*` consumes exactly one non-empty segment, `**` zero or more segments; on a
 * mismatch only the most recent `**` absorbs one more segment. Backtracking to an earlier
 * `**` is never needed (a later `**` can absorb whatever the earlier one would have), so the
 * worst case is O(segments(type) · segments(pattern)) and it allocates nothing: segments of
 * the type are read in place with `indexOf`/`startsWith`.
 */
function matchSegments(type: string, segments: readonly string[]): boolean {
  const len = type.length;
  const m = segments.length;
  let i = 0; // start offset of the current type segment; > len once the type is consumed
  let j = 0; // current pattern segment
  let starJ = -1; // pattern index of the last `**` seen
  let starI = 0; // type offset where that `**` currently stops absorbing
  while (i <= len) {
    let end = type.indexOf('.', i);
    if (end === -1) end = len;
    if (j < m) {
      const p = segments[j];
      if (p === WILDCARD_SOME) {
        starJ = j++;
        starI = i;
        continue;
      }
      if (p === WILDCARD_ONE ? end > i : end - i === p.length && type.startsWith(p, i)) {
        i = end + 1;
        j++;
        continue;
      }
    }
    if (starJ === -1) return false;
    let absorbed = type.indexOf('.', starI);
    if (absorbed === -1) absorbed = len;
    starI = absorbed + 1;
    i = starI;
    j = starJ + 1;
  }
  while (j < m && segments[j] === WILDCARD_SOME) j++;
  return j === m;
}

/**
 * `true` when the signal type `type` matches `pattern`:
 *
 * - segments are split on `.` and compared case-sensitively;
 * - `*` matches exactly one non-empty segment (`user.*` matches `user.created`, not
 *   `user.a.b` nor `user`);
 * - `**` matches zero or more segments, anywhere in the pattern, several allowed
 *   (`audit.**` matches `audit` and `audit.a.b`; `a.**.c.**.f` matches `a.c.f`);
 * - the whole type must be consumed: there is no prefix matching (`user` does not match
 *   `user.created`).
 *
 * Types are not checked against the pattern grammar: any non-empty string can be a type (a
 * type with an empty segment such as `a..c` is never matched by `*` at that position, only
 * by `**`). An empty type matches nothing.
 *
 * Never throws: a non-string argument or an invalid pattern (see {@link validatePattern})
 * gives `false`. Compiled patterns are kept in a bounded cache; patterns without wildcards
 * are a string comparison, `prefix.**` a prefix test, others with at most one `**` an
 * anchored RegExp, and the rest a greedy segment matcher: worst case O(n·m) for n type and m
 * pattern segments — no exponential backtracking.
 *
 * @example
 * matches('user.123.updated', 'user.*.updated'); // true
 * matches('audit', 'audit.**'); // true
 * matches('user.a.b', 'user.*'); // false
 */
export function matches(type: unknown, pattern: unknown): boolean {
  if (typeof type !== 'string' || type.length === 0) return false;
  const compiled = compile(pattern);
  switch (compiled.kind) {
    case Kind.Exact:
      return type === pattern;
    case Kind.Prefix: {
      const base = compiled.base;
      const n = base.length;
      return type.length === n
        ? type === base
        : type.length > n && type.charCodeAt(n) === DOT && type.startsWith(base);
    }
    case Kind.All:
      return true;
    case Kind.General: {
      const regexp = compiled.regexp;
      return regexp !== undefined && type.length <= REGEXP_MAX_TYPE_LENGTH
        ? regexp.test(type)
        : matchSegments(type, compiled.segments);
    }
    default:
      return false;
  }
}
