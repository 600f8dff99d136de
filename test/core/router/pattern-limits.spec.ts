import { describe, expect, it } from '@jest/globals';
import { InvalidPatternError } from '../../../lib/core/errors/router.error.js';
import {
  MAX_PATTERN_GLOBSTARS,
  MAX_PATTERN_SEGMENTS,
  SignalRouter,
  isValidPattern,
  matches,
  validatePattern,
} from '../../../lib/core/router/index.js';

function rejection(pattern: string): InvalidPatternError {
  try {
    validatePattern(pattern);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPatternError);
    return error as InvalidPatternError;
  }
  throw new Error(`expected ${pattern.slice(0, 40)}… to be rejected`);
}

const literal = (n: number): string => Array.from({ length: n }, (_, i) => `s${i}`).join('.');

describe('pattern cost limits', () => {
  it('exports the documented limits', () => {
    expect(MAX_PATTERN_SEGMENTS).toBe(128);
    expect(MAX_PATTERN_GLOBSTARS).toBe(8);
  });

  it('accepts 128 segments and rejects 129 with reason too_many_segments naming the limit', () => {
    expect(isValidPattern(literal(128))).toBe(true);
    const e = rejection(literal(129));
    expect(e.code).toBe('invalid_pattern');
    expect(e.reason).toBe('too_many_segments');
    expect(e.details.limit).toBe(128);
    expect(e.message).toContain('128');
  });

  it('accepts 8 "**" and rejects the 9th, naming it', () => {
    const globs = (n: number): string => Array.from({ length: n }, () => 'a.**').join('.');
    expect(isValidPattern(globs(8))).toBe(true);
    const e = rejection(globs(9));
    expect(e.reason).toBe('too_many_globstars');
    expect(e.details.limit).toBe(8);
    expect(e.segment).toBe('**');
    expect(e.index).toBe(17);
    expect(e.message).toContain('8');
  });

  // Regression: a 5,000-segment alternating "**" pattern cost ~660 ms per route to add and
  // match; it is now refused up front, with a bounded message.
  it('refuses the 5,000-segment alternating "**" pattern in validatePattern, matches and add', () => {
    const pattern = Array.from({ length: 5_000 }, (_, i) => (i % 2 ? '**' : 'a')).join('.');
    const e = rejection(pattern);
    expect(e.reason).toBe('too_many_segments');
    expect(e.message.length).toBeLessThan(400);
    expect(JSON.stringify(e).length).toBeLessThan(2_000);
    expect(matches(`${'a.'.repeat(3_000)}a`, pattern)).toBe(false);
    const router = new SignalRouter<string>();
    expect(() => router.add({ pattern, target: 'x' })).toThrow(InvalidPatternError);
    expect(router.size).toBe(0);
  });
});
