import { describe, expect, it } from '@jest/globals';
import { createSignal, Signal } from '../../../lib/index.js';
import { stringifySignal } from '../../../lib/core/signal/signal-json.js';
import { createTestSignalFactory } from '../../../lib/testing/index.js';
import { prng } from '../../helpers/prng.js';

/** The journal's encoder must write exactly what `JSON.stringify(signal)` writes. */
function same(signal: Signal): void {
  expect(stringifySignal(signal)).toBe(JSON.stringify(signal));
}

describe('stringifySignal (the file journal encoder)', () => {
  it('matches JSON.stringify for the attributes a signal may carry', () => {
    const f = createTestSignalFactory();
    same(f.create('a'));
    same(f.create('order.created', { id: 1, lines: [{ sku: 'x', qty: 2.5 }], ok: true, n: null }));
    same(
      createSignal(
        'audit.user.login',
        { who: 'ünï\u2028"quoted"\\ \u0000 😀' },
        {
          subject: 'sub/\u00e9',
          dataschema: 'https://example.com/schema.json',
          datacontenttype: 'application/json; charset=utf-8',
          extensions: {
            correlationid: 'conv-1',
            causationid: 'c-1',
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
            custom: 7,
            flag: false,
            '123': 'numeric name sorts first',
          },
        },
      ),
    );
  });

  it('leaves out off-wire extensions, undefined data and values JSON cannot hold', () => {
    const f = createTestSignalFactory();
    const signal = f.create('x', undefined, {
      extensions: { dispatch: { adapter: 'noop' }, correlationid: 'c' },
    });
    same(signal);
    expect(stringifySignal(signal)).not.toContain('dispatch');
    same(f.create('fn', () => 1));
    same(f.create('sym', Symbol('s')));
  });

  it('writes bytes as data_base64', () => {
    same(createSignal('bin', new Uint8Array([0, 1, 2, 250, 255])));
    same(createSignal('buf', Buffer.from('hello')));
    const big = new Uint8Array(64);
    same(createSignal('view', big.subarray(5, 17)));
  });

  it('honours toJSON of data, a Date included, and of a subclass', () => {
    same(createSignal('d', new Date(Date.UTC(2026, 0, 2)) as unknown));
    same(createSignal('j', { toJSON: (key: string) => ({ key }) }));
    same(createSignal('nested', { when: new Date(0), inner: { toJSON: () => 'x' } }));
    class Loud extends Signal {
      override toJSON() {
        return { ...super.toJSON(), loud: true };
      }
    }
    const loud = new Loud({ id: 'l-1', source: '/s', type: 'loud' });
    same(loud);
    expect(stringifySignal(loud)).toContain('"loud":true');
  });

  it('throws what JSON.stringify throws', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const signal = createSignal('cycle', cyclic);
    expect(() => JSON.stringify(signal)).toThrow(TypeError);
    expect(() => stringifySignal(signal)).toThrow(TypeError);
  });

  it('matches JSON.stringify on 500 random signals (seeded)', () => {
    const random = prng(20261206);
    const f = createTestSignalFactory();
    const text = () =>
      Array.from({ length: Math.floor(random() * 12) }, () =>
        String.fromCharCode(Math.floor(random() * 0x3000)),
      ).join('');
    const value = (depth: number): unknown => {
      const k = Math.floor(random() * (depth > 3 ? 4 : 6));
      if (k === 0) return text();
      if (k === 1) return random() * 1e6 - 5e5;
      if (k === 2) return random() < 0.5;
      if (k === 3) return null;
      if (k === 4) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 4); i > 0; i--) o[text() || 'k'] = value(depth + 1);
      return o;
    };
    for (let i = 0; i < 500; i++) {
      const attrs =
        random() < 0.5
          ? undefined
          : {
              subject: random() < 0.5 ? undefined : text() || 's',
              extensions: random() < 0.5 ? undefined : { correlationid: text() || 'c', n: i },
            };
      same(f.create(`t.${i % 7}`, random() < 0.1 ? undefined : value(0), attrs));
    }
  });
});
