import { describe, expect, it } from '@jest/globals';
import { PayloadTooLargeError, SignalParseError } from '../../../lib/core/errors/parse.error.js';
import { fromHttp } from '../../../lib/core/signal/serialization/http.js';
import { createSignal, Signal } from '../../../lib/core/signal/signal.js';
import { thrown } from '../../helpers/errors.js';

// The receiving side of batched delivery: what a batch request's body decodes to, and the
// typed errors malformed batches get (nothing is half-decoded).
const BATCH = { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' };

describe('fromHttp with application/cloudevents-batch+json', () => {
  it('decodes every signal of a batch body, in order', () => {
    const sent = [createSignal('a.one', { n: 1 }), createSignal('a.two', 'text')];
    const got = fromHttp({ headers: BATCH, body: JSON.stringify(sent) });
    expect(Array.isArray(got)).toBe(true);
    expect((got as Signal[]).map((s) => [s.id, s.type, s.data])).toEqual(
      sent.map((s) => [s.id, s.type, s.data]),
    );
    expect(fromHttp({ headers: BATCH, body: '[]' })).toEqual([]);
  });

  it('rejects an oversized batch with PayloadTooLargeError before parsing', () => {
    const body = JSON.stringify(Array.from({ length: 50 }, (_, i) => createSignal('big', { i })));
    const e = thrown(() => fromHttp({ headers: BATCH, body }, { maxPayloadBytes: 1024 }));
    expect(e).toBeInstanceOf(PayloadTooLargeError);
    expect(e).toMatchObject({ code: 'payload_too_large', limit: 1024 });
  });

  it.each([
    ['an object', JSON.stringify(createSignal('one'))],
    ['a string', '"batch"'],
    ['a number', '42'],
    ['null', 'null'],
  ])('rejects a batch body that is %s, not an array', (_what, body) => {
    const e = thrown(() => fromHttp({ headers: BATCH, body }));
    expect(e).toBeInstanceOf(SignalParseError);
    expect(e.message).toMatch(/must be a JSON array/);
  });

  it('rejects invalid JSON with a typed parse error', () => {
    const e = thrown(() => fromHttp({ headers: BATCH, body: '[{"specversion":"1.0",' }));
    expect(e.code).toBe('parse_error');
  });

  it.each([
    ['a number', 1],
    ['null', null],
    ['an array', []],
    ['an envelope without type', { specversion: '1.0', id: 'x', source: '/s' }],
    ['a wrong specversion', { specversion: '0.3', id: 'x', source: '/s', type: 't' }],
  ])('rejects a batch mixing a valid signal with %s, naming the element', (_what, garbage) => {
    const good = createSignal('ok');
    const body = JSON.stringify([good, garbage, good]);
    const e = thrown(() => fromHttp({ headers: BATCH, body }));
    expect(e).toBeInstanceOf(SignalParseError);
    expect(e.details).toMatchObject({ index: 1 });
    expect(e.message).toMatch(/Batch element 1 is invalid/);
  });

  it('rejects unsafe keys inside a batch element', () => {
    const body = `[${JSON.stringify(createSignal('ok'))},{"specversion":"1.0","id":"x","source":"/s","type":"t","__proto__":{"polluted":true}}]`;
    const e = thrown(() => fromHttp({ headers: BATCH, body }));
    expect(e.code).toBe('unsafe_key');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
