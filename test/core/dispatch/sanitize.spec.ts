import { describe, expect, it } from '@jest/globals';
import {
  isSensitiveKey,
  normalizeKey,
  preview,
  REDACTED,
  sanitize,
} from '../../../lib/core/dispatch/sanitize.js';
import { createSignal } from '../../../lib/core/signal/signal.js';

describe('isSensitiveKey', () => {
  it.each([
    'authorization',
    'Authorization',
    'password',
    'PASSWORD',
    'secret',
    'token',
    'api_key',
    'api-key',
    'apiKey',
    'APIKey',
    'x-api-key',
    'X_API_KEY',
    'cookie',
    'Set-Cookie',
    'signature',
    'x-webhook-signature',
    'webhook_secret',
    'client_secret',
    'refresh_token',
    'accessToken',
    'private_key',
    'passphrase',
    'db_password',
    'githubToken',
    'proxy-authorization',
  ])('%s is sensitive', (key) => {
    expect(isSensitiveKey(key)).toBe(true);
  });

  it.each(['email', 'name', 'tokens_used', 'signature_version', 'key', 'x', 'secretary', 'author'])(
    '%s is not',
    (key) => {
      expect(isSensitiveKey(key)).toBe(false);
    },
  );

  it('normalizes case, dashes, camelCase and one x_ prefix', () => {
    expect(normalizeKey('X-Api-Key')).toBe('api_key');
    expect(normalizeKey('accessToken')).toBe('access_token');
    expect(normalizeKey('x_x_token')).toBe('x_token');
  });
});

describe('sanitize', () => {
  it('redacts sensitive keys at any depth and in Maps, Headers and pair lists', () => {
    const input = {
      user: 'ada',
      password: 'p',
      nested: { deeper: { Authorization: 'Bearer t' } },
      map: new Map<string, unknown>([
        ['token', 't'],
        ['ok', 1],
      ]),
      headers: new Headers({ cookie: 'c', accept: '*/*' }),
      pairs: [
        ['X-Api-Key', 'k'],
        ['accept', 'json'],
      ],
    };
    expect(sanitize(input)).toEqual({
      user: 'ada',
      password: REDACTED,
      nested: { deeper: { Authorization: REDACTED } },
      map: { token: REDACTED, ok: 1 },
      headers: { accept: '*/*', cookie: REDACTED },
      pairs: { 'X-Api-Key': REDACTED, accept: 'json' },
    });
    expect(input.password).toBe('p');
  });

  it('bounds depth, items and string length, and survives cycles', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(sanitize(cyclic)).toEqual({ name: 'loop', self: '[Circular]' });
    expect(sanitize({ a: { b: { c: { d: 1 } } } }, { maxDepth: 2 })).toEqual({
      a: { b: '[Object]' },
    });
    expect(sanitize([1, 2, 3, 4], { maxItems: 2 })).toEqual([1, 2, '… 2 more']);
    expect(sanitize({ a: 1, b: 2, c: 3 }, { maxItems: 2 })).toEqual({ a: 1, b: 2, '…': '1 more' });
    expect(sanitize('x'.repeat(10), { maxStringLength: 4 })).toBe('xxxx…');
  });

  it('turns non-JSON values into readable, JSON-safe ones', () => {
    const date = new Date('2024-01-02T03:04:05.000Z');
    expect(
      sanitize({
        date,
        bytes: new Uint8Array(3),
        big: 10n,
        fn: function named() {},
        sym: Symbol('s'),
        nan: Number.NaN,
        err: new TypeError('bad'),
        set: new Set([1]),
        skip: undefined,
      }),
    ).toEqual({
      date: '2024-01-02T03:04:05.000Z',
      bytes: '[binary 3 bytes]',
      big: '10',
      fn: '[Function named]',
      sym: 'Symbol(s)',
      nan: 'NaN',
      err: { name: 'TypeError', message: 'bad' },
      set: [1],
    });
  });

  it('does not let a __proto__ key change the prototype of the copy', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object;
    const out = sanitize(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('summarizes a signal with sanitized data', () => {
    const signal = createSignal('a.b', { token: 't', n: 1 }, { source: '/s' });
    expect(sanitize(signal)).toMatchObject({
      specversion: '1.0',
      id: signal.id,
      type: 'a.b',
      source: '/s',
      data: { token: REDACTED, n: 1 },
    });
  });

  it('preview() is bounded JSON', () => {
    expect(preview({ a: 'x'.repeat(100) }, 20)).toHaveLength(20);
    expect(preview({ password: 'p' })).toBe('{"password":"[REDACTED]"}');
    expect(preview(undefined)).toBe('undefined');
  });
});
