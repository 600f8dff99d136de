import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  parseRetryAfter,
  resolveRetryPolicy,
  sleep,
} from '../../../lib/core/dispatch/retry.js';
import { DispatchConfigError } from '../../../lib/core/errors/dispatch.error.js';

describe('retry policy', () => {
  const noJitter = { maxAttempts: 5, baseDelay: 200, maxDelay: 1000, jitter: false };

  it('doubles the delay from baseDelay and caps it at maxDelay', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(noJitter, a))).toEqual([
      200, 400, 800, 1000, 1000,
    ]);
  });

  it('jitters within the upper half of the exponential delay', () => {
    const policy = { ...noJitter, jitter: true };
    expect(backoffDelay(policy, 2, () => 0)).toBe(200);
    expect(backoffDelay(policy, 2, () => 0.999999)).toBe(400);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(policy, 3);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });

  it('resolves defaults and partial options', () => {
    expect(resolveRetryPolicy('http', undefined)).toBe(DEFAULT_RETRY_POLICY);
    expect(resolveRetryPolicy('http', false)).toBe(false);
    expect(resolveRetryPolicy('http', { maxAttempts: 1 })).toEqual({
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: 1,
    });
    // A baseDelay above the default maxDelay lifts the default maxDelay with it.
    expect(resolveRetryPolicy('http', { baseDelay: 8000 })).toMatchObject({
      baseDelay: 8000,
      maxDelay: 8000,
    });
    expect(() => resolveRetryPolicy('http', null)).toThrow(DispatchConfigError);
    expect(() => resolveRetryPolicy('http', { maxDelay: 60_001 })).toThrow(DispatchConfigError);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 3 ', now)).toBe(3000);
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
    expect(parseRetryAfter(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfter(new Date(now - 5000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });

  it('sleep resolves after the delay and rejects with the abort reason', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    const c = new AbortController();
    const pending = sleep(60_000, c.signal);
    const reason = new Error('stop');
    c.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await expect(sleep(1, c.signal)).rejects.toBe(reason);
  });
});
