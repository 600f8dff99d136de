import { describe, expect, it } from '@jest/globals';
import {
  InvalidPatternError,
  type InvalidPatternReason,
} from '../../../lib/core/errors/router.error.js';
import { ValidationError } from '../../../lib/core/errors/validation.error.js';
import {
  isLiteralPattern,
  isValidPattern,
  matches,
  validatePattern,
} from '../../../lib/core/router/index.js';

function rejection(pattern: unknown): InvalidPatternError {
  try {
    validatePattern(pattern);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPatternError);
    return error as InvalidPatternError;
  }
  throw new Error(`expected ${String(pattern)} to be rejected`);
}

describe('validatePattern', () => {
  it.each([
    'a',
    'a.b',
    'a.b-c_d',
    'a.B9',
    'UPPER.lower.0-9',
    '*',
    '**',
    '*.*',
    '**.*',
    '*.**',
    'a.**.b.**',
    '**.a.**',
    'user.*.**',
  ])('accepts %p', (pattern) => {
    expect(() => validatePattern(pattern)).not.toThrow();
    expect(isValidPattern(pattern)).toBe(true);
  });

  const invalid: [unknown, InvalidPatternReason, string | undefined, number | undefined][] = [
    ['', 'empty_segment', '', 0],
    ['.a', 'empty_segment', '', 0],
    ['a.', 'empty_segment', '', 1],
    ['a..b', 'empty_segment', '', 1],
    ['user..created', 'empty_segment', '', 1],
    ['**.**', 'adjacent_globstar', '**', 1],
    ['a.**.**', 'adjacent_globstar', '**', 2],
    ['user.**.**.created', 'adjacent_globstar', '**', 2],
    ['a**', 'wildcard_in_segment', 'a**', 0],
    ['***', 'wildcard_in_segment', '***', 0],
    ['invalid**path', 'wildcard_in_segment', 'invalid**path', 0],
    ['a.b*', 'wildcard_in_segment', 'b*', 1],
    ['*a', 'wildcard_in_segment', '*a', 0],
    ['a b', 'invalid_characters', 'a b', 0],
    [' a', 'invalid_characters', ' a', 0],
    ['a/b', 'invalid_characters', 'a/b', 0],
    ['a:b', 'invalid_characters', 'a:b', 0],
    ['a.é', 'invalid_characters', 'é', 1],
    ['invalid@#path', 'invalid_characters', 'invalid@#path', 0],
    [42, 'not_a_string', undefined, undefined],
    [null, 'not_a_string', undefined, undefined],
    [undefined, 'not_a_string', undefined, undefined],
  ];

  it.each(invalid)('rejects %p (%s)', (pattern, reason, segment, index) => {
    const error = rejection(pattern);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('invalid_pattern');
    expect(error.reason).toBe(reason);
    expect(error.segment).toBe(segment);
    expect(error.index).toBe(index);
    expect(error.pattern).toBe(pattern);
    expect(error.details).toMatchObject({ reason, segment, index });
    expect(isValidPattern(pattern)).toBe(false);
    if (segment !== undefined) expect(error.message).toContain(JSON.stringify(segment));
  });

  it('reports the first offending segment', () => {
    const error = rejection('ok.b*d.x y');
    expect(error.segment).toBe('b*d');
    expect(error.index).toBe(1);
    expect(error.message).toBe(
      'Invalid pattern "ok.b*d.x y": segment 1 "b*d" contains "*" inside a segment (use "*" or "**" as a whole segment)',
    );
  });

  it('serialises to a plain object', () => {
    expect(rejection('a..b').toJSON()).toMatchObject({
      name: 'InvalidPatternError',
      code: 'invalid_pattern',
      details: { pattern: 'a..b', segment: '', index: 1, reason: 'empty_segment' },
    });
  });

  it('isLiteralPattern tells wildcard-free patterns apart', () => {
    expect(isLiteralPattern('a.b')).toBe(true);
    expect(isLiteralPattern('a.*')).toBe(false);
    expect(isLiteralPattern('**')).toBe(false);
  });
});

describe('matches', () => {
  it('matches literal patterns by equality, case-sensitively', () => {
    expect(matches('user.created', 'user.created')).toBe(true);
    expect(matches('user.created', 'User.created')).toBe(false);
    expect(matches('user.createdX', 'user.created')).toBe(false);
  });

  it('`*` is exactly one non-empty segment', () => {
    expect(matches('user.x', 'user.*')).toBe(true);
    expect(matches('user', 'user.*')).toBe(false);
    expect(matches('user.x.y', 'user.*')).toBe(false);
    expect(matches('a..c', 'a.*.c')).toBe(false);
    expect(matches('a.', 'a.*')).toBe(false);
    expect(matches('.a', '*.a')).toBe(false);
  });

  it('`**` is zero or more segments, anywhere, several allowed', () => {
    expect(matches('audit', 'audit.**')).toBe(true);
    expect(matches('audit.a.b', 'audit.**')).toBe(true);
    expect(matches('auditor', 'audit.**')).toBe(false);
    expect(matches('x.audit', 'audit.**')).toBe(false);
    expect(matches('a', '**')).toBe(true);
    expect(matches('b', '**.b')).toBe(true);
    expect(matches('a.b', 'a.**.b')).toBe(true);
    expect(matches('a.m.z', 'a.**.m.**.z')).toBe(true);
    expect(matches('a.b.b', 'a.**.b.**')).toBe(true);
    expect(matches('user.x.y', 'user.*.**')).toBe(true);
    expect(matches('user', 'user.*.**')).toBe(false);
    expect(matches('x.y.z', '**.*.**')).toBe(true);
  });

  it('`**` also spans empty segments of odd types', () => {
    expect(matches('a..c', 'a.**.c')).toBe(true);
    expect(matches('a..c', 'a.**')).toBe(true);
    expect(matches('a.', 'a.**')).toBe(true);
  });

  it('an empty type matches nothing', () => {
    expect(matches('', '**')).toBe(false);
    expect(matches('', '*')).toBe(false);
  });

  it('an invalid pattern matches nothing (and never throws)', () => {
    expect(matches('a..b', 'a..b')).toBe(false);
    expect(matches('a.b', 'a.**.**.b')).toBe(false);
    expect(matches('a b', 'a b')).toBe(false);
    expect(matches('ab', 'a*')).toBe(false);
    expect(matches('', '')).toBe(false);
  });

  it('needs no exponential backtracking on adversarial patterns', () => {
    const type = Array.from({ length: 2_000 }, () => 'a').join('.');
    expect(matches(type, '**.a.**.b.**.c')).toBe(false);
    expect(matches(`${type}.b.c`, '**.a.**.b.**.c')).toBe(true);
    expect(matches(type, '**.a.**.a.**.a.**.a.**.a.**.b')).toBe(false);
    // 8 "**" is the most a pattern may have (MAX_PATTERN_GLOBSTARS).
    expect(matches(type, Array.from({ length: 8 }, () => '**.a').join('.'))).toBe(true);
  });

  it('works on 100-segment types and patterns', () => {
    const segments = Array.from({ length: 100 }, (_, i) => `s${i}`);
    const type = segments.join('.');
    expect(matches(type, type)).toBe(true);
    expect(matches(type, segments.map(() => '*').join('.'))).toBe(true);
    // "**" at 1, 14, …, 92: eight of them, the most a pattern may have.
    expect(matches(type, segments.map((s, i) => (i % 13 === 1 ? '**' : s)).join('.'))).toBe(true);
    expect(matches(type, `${type}.**`)).toBe(true);
    expect(matches(type, `${type}.*`)).toBe(false);
  });

  it('gives the same answers for types too long for the compiled RegExp path', () => {
    const middle = (count: number): string => Array.from({ length: count }, () => 'x').join('.');
    for (const count of [3, 1_500]) {
      const type = `a.${middle(count)}.z`;
      expect(type.length > 2048).toBe(count > 1_000);
      expect(matches(type, 'a.**.z')).toBe(true);
      expect(matches(type, '**.z')).toBe(true);
      expect(matches(type, '**.x.z')).toBe(true);
      expect(matches(type, 'a.*.**')).toBe(true);
      expect(matches(type, '*.x.**.x.z')).toBe(true);
      expect(matches(type, 'a.**.y')).toBe(false);
      expect(matches(type, '**.x')).toBe(false);
      expect(matches(type, 'a.*.z')).toBe(false);
      expect(matches(type, '*')).toBe(false);
    }
    // Patterns as long as the type: within the segment limit they match; past it
    // (1,502 segments > MAX_PATTERN_SEGMENTS) they are invalid, so they match nothing.
    for (const [count, valid] of [
      [3, true],
      [1_500, false],
    ] as const) {
      const type = `a.${middle(count)}.z`;
      expect(matches(type, `a.${middle(count).replace(/x/g, '*')}.z`)).toBe(valid);
      expect(matches(type, `a.${middle(count)}.*`)).toBe(valid);
      expect(matches(type, `a.${middle(count)}`)).toBe(false);
    }
  });

  it('keeps answering correctly once many patterns have been seen', () => {
    for (let i = 0; i < 10_000; i++) expect(matches(`t.${i}`, `t.${i}`)).toBe(true);
    expect(matches('t.1', 't.*')).toBe(true);
    expect(matches('t.1', 't.0')).toBe(false);
  });
});
