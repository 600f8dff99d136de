import { describe, expect, it } from '@jest/globals';
import {
  configureSignals,
  createExtensionRegistry,
  createSignal,
  getDefaultSignalFactory,
  PayloadTooLargeError,
  Signal,
  SignalFactory,
  SignalId,
  SignalParseError,
  SignalValidationError,
  UnsafeKeyError,
} from '../../../lib/index.js';
import { thrown } from '../../helpers/errors.js';

const valid = {
  specversion: '1.0',
  id: 'abc-1',
  source: '/orders',
  type: 'order.created',
};

describe('createSignal', () => {
  it('fills id (UUIDv7), time (RFC 3339 UTC), specversion and the default source', () => {
    const before = Date.now();
    const s = createSignal('order.created', { orderId: 'o-1' });
    expect(s).toBeInstanceOf(Signal);
    expect(SignalId.isValid(s.id)).toBe(true);
    expect(s.specversion).toBe('1.0');
    expect(s.source).toBe('/app');
    expect(s.type).toBe('order.created');
    expect(s.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const t = Date.parse(s.time!);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
    // The time is the instant encoded in the id.
    expect(t).toBe(SignalId.timestamp(s.id));
    expect(s.datacontenttype).toBe('application/json');
    expect(s.data).toEqual({ orderId: 'o-1' });
    expect(s.extensions).toEqual({});
  });

  it('takes optional attributes and extensions', () => {
    const s = createSignal('order.created', 42, {
      source: '/shop',
      subject: 'o-9',
      time: new Date('2026-01-02T03:04:05.000Z'),
      dataschema: 'https://example.com/schemas/order.json',
      extensions: { correlationid: 'c-1', tenant: 'acme', priority: 3, urgent: true },
    });
    expect(s.source).toBe('/shop');
    expect(s.subject).toBe('o-9');
    expect(s.time).toBe('2026-01-02T03:04:05.000Z');
    expect(s.dataschema).toBe('https://example.com/schemas/order.json');
    expect(s.extensions).toEqual({
      correlationid: 'c-1',
      tenant: 'acme',
      priority: 3,
      urgent: true,
    });
  });

  it('leaves datacontenttype unset without data and uses octet-stream for bytes', () => {
    expect(createSignal('ping').datacontenttype).toBeUndefined();
    expect(createSignal('blob', new Uint8Array([1, 2])).datacontenttype).toBe(
      'application/octet-stream',
    );
  });

  it('rejects type, data and specversion inside attrs', () => {
    for (const key of ['type', 'data', 'specversion']) {
      const err = thrown(() => createSignal('a', 1, { [key]: 'x' } as never));
      expect(err).toBeInstanceOf(SignalValidationError);
      expect((err as SignalValidationError).field).toBe(key);
    }
  });

  it('uses a configurable application source', () => {
    const previous = getDefaultSignalFactory();
    try {
      configureSignals({ source: '/billing-service' });
      expect(createSignal('invoice.paid').source).toBe('/billing-service');
    } finally {
      configureSignals({
        source: previous.source,
        extensions: previous.extensions,
        maxPayloadBytes: previous.maxPayloadBytes,
      });
    }
    expect(createSignal('x').source).toBe('/app');
  });

  it('a SignalFactory is independent of the default one', () => {
    const f = new SignalFactory({ source: '/other' });
    expect(f.create('a').source).toBe('/other');
    expect(createSignal('a').source).toBe('/app');
    expect(() => new SignalFactory({ source: '' })).toThrow(SignalValidationError);
    expect(() => new SignalFactory({ maxPayloadBytes: 0 })).toThrow(SignalValidationError);
  });
});

describe('validation: one typed error per rule, naming the field', () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['empty type', { type: '' }, 'missing_attribute', 'type'],
    ['missing type', { type: undefined }, 'missing_attribute', 'type'],
    ['numeric type', { type: 5 }, 'invalid_attribute', 'type'],
    ['empty source', { source: '' }, 'missing_attribute', 'source'],
    ['missing source', { source: undefined }, 'missing_attribute', 'source'],
    ['empty id', { id: '' }, 'missing_attribute', 'id'],
    ['numeric id', { id: 7 }, 'invalid_attribute', 'id'],
    ['bad time', { time: 'yesterday' }, 'invalid_time', 'time'],
    ['impossible date', { time: '2026-02-30T00:00:00Z' }, 'invalid_time', 'time'],
    ['time without zone', { time: '2026-01-01T00:00:00' }, 'invalid_time', 'time'],
    ['invalid Date', { time: new Date('nope') }, 'invalid_time', 'time'],
    [
      'dataschema with space',
      { dataschema: 'http://x.com/a b' },
      'invalid_uri_reference',
      'dataschema',
    ],
    [
      'dataschema with bad scheme',
      { dataschema: '1http://x' },
      'invalid_uri_reference',
      'dataschema',
    ],
    ['dataschema bad escape', { dataschema: '/a%zz' }, 'invalid_uri_reference', 'dataschema'],
    ['empty subject', { subject: '' }, 'invalid_attribute', 'subject'],
    ['bad content type', { datacontenttype: 'json' }, 'invalid_attribute', 'datacontenttype'],
    ['wrong specversion', { specversion: '0.3' }, 'invalid_specversion', 'specversion'],
    ['uppercase extension', { extensions: { Tenant: 'x' } }, 'invalid_extension_name', 'Tenant'],
    [
      'extension with underscore',
      { extensions: { trace_id: 'x' } },
      'invalid_extension_name',
      'trace_id',
    ],
    [
      'extension name too long',
      { extensions: { abcdefghijklmnopqrstu: 'x' } },
      'invalid_extension_name',
      'abcdefghijklmnopqrstu',
    ],
    [
      'reserved extension name',
      { extensions: { subject: 'x' } },
      'reserved_extension_name',
      'subject',
    ],
    [
      'object extension value',
      { extensions: { tenant: { a: 1 } } },
      'invalid_extension_value',
      'tenant',
    ],
    ['float extension value', { extensions: { weight: 1.5 } }, 'invalid_extension_value', 'weight'],
    [
      'bad traceparent',
      { extensions: { traceparent: '00-xyz' } },
      'invalid_extension_value',
      'traceparent',
    ],
    [
      'empty correlationid',
      { extensions: { correlationid: '' } },
      'invalid_extension_value',
      'correlationid',
    ],
    ['extensions not an object', { extensions: 'x' }, 'invalid_attribute', 'extensions'],
  ];

  it.each(cases)('%s', (_name, patch, code, field) => {
    const err = thrown(() => new Signal({ ...valid, ...patch }));
    expect(err).toBeInstanceOf(SignalValidationError);
    expect(err.code).toBe(code);
    expect((err as SignalValidationError).field).toBe(field);
    expect(err.message).toContain(field);
  });

  it('accepts valid values at the edges', () => {
    expect(new Signal({ ...valid, time: '2024-02-29T23:59:60.123456+05:30' }).time).toBe(
      '2024-02-29T23:59:60.123456+05:30',
    );
    expect(new Signal({ ...valid, dataschema: '../schemas/order.json#v1' }).dataschema).toBe(
      '../schemas/order.json#v1',
    );
    expect(new Signal({ ...valid, dataschema: 'urn:example:order' }).dataschema).toBe(
      'urn:example:order',
    );
    expect(
      new Signal({ ...valid, extensions: { abcdefghij0123456789: 'x' } }).extensions,
    ).toHaveProperty('abcdefghij0123456789');
    expect(
      new Signal({ ...valid, datacontenttype: 'application/json; charset=utf-8' }).datacontenttype,
    ).toBe('application/json; charset=utf-8');
  });

  it('createSignal validates attrs too', () => {
    expect(thrown(() => createSignal('', 1)).code).toBe('missing_attribute');
    expect(thrown(() => createSignal('a', 1, { time: 'x' })).code).toBe('invalid_time');
    expect(thrown(() => createSignal('a', 1, { extensions: { BAD: 1 } })).code).toBe(
      'invalid_extension_name',
    );
  });
});

describe('immutability helpers', () => {
  it('withExtension / withoutExtension / with return validated copies', () => {
    const s = createSignal('a.b', { x: 1 });
    const t = s.withExtension('tenant', 'acme');
    expect(t).not.toBe(s);
    expect(t.getExtension('tenant')).toBe('acme');
    expect(s.getExtension('tenant')).toBeUndefined();
    expect(t.id).toBe(s.id);
    expect(t.withoutExtension('tenant').extensions).toEqual({});
    expect(s.withoutExtension('nothing')).toBe(s);
    expect(() => s.withExtension('BAD', 1)).toThrow(SignalValidationError);
    expect(s.with({ subject: 'sub' }).subject).toBe('sub');
    expect(() => s.with({ time: 'nope' })).toThrow(SignalValidationError);
  });
});

describe('withExtension names (jido: non-string names are refused)', () => {
  const s = createSignal('a.b', { x: 1 });

  it.each([
    ['a number', 123],
    ['a symbol', Symbol('x')],
    ['null', null],
    ['undefined', undefined],
    ['an object', { toString: () => 'tenant' }],
    ['a boolean', true],
  ])('refuses %s as a name with invalid_extension_name, storing nothing', (_what, name) => {
    const error = thrown(() => s.withExtension(name as unknown as string, 'x'));
    expect(error).toBeInstanceOf(SignalValidationError);
    expect(error.code).toBe('invalid_extension_name');
    expect(s.extensions).toEqual({});
  });

  it('does not store a number name as its string form', () => {
    expect(() => s.withExtension(123 as unknown as string, 'x')).toThrow(SignalValidationError);
    // The same text as a string is a valid name: only the type was wrong.
    expect(s.withExtension('123', 'x').getExtension('123')).toBe('x');
  });

  it('refuses reserved attribute names with reserved_extension_name', () => {
    expect(thrown(() => s.withExtension('source', 'x')).code).toBe('reserved_extension_name');
  });
});

describe('toJSON (structured mode)', () => {
  it('flattens extensions, omits undefined attributes and off-wire extensions', () => {
    const s = createSignal(
      'a.b',
      { x: 1 },
      { extensions: { tenant: 't', dispatch: { adapter: 'noop' } } },
    );
    const json = s.toJSON();
    expect(json).toEqual({
      specversion: '1.0',
      id: s.id,
      source: '/app',
      type: 'a.b',
      time: s.time,
      datacontenttype: 'application/json',
      tenant: 't',
      data: { x: 1 },
    });
    expect(JSON.parse(JSON.stringify(s))).toEqual(json);
  });

  it('encodes bytes as data_base64 and decodes them back', () => {
    const s = createSignal('blob', new Uint8Array([0, 255, 7]));
    const json = s.toJSON();
    expect(json.data_base64).toBe('AP8H');
    expect(json.data).toBeUndefined();
    const back = Signal.fromJSON(JSON.stringify(json));
    expect(back.data).toEqual(new Uint8Array([0, 255, 7]));
  });
});

describe('Signal.from / Signal.fromJSON', () => {
  it('round-trips every attribute', () => {
    const s = createSignal(
      'order.created',
      { n: [1, 2] },
      {
        subject: 's',
        dataschema: '/schema',
        extensions: {
          correlationid: 'c',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
      },
    );
    const back = Signal.fromJSON(JSON.stringify(s));
    expect(back.toJSON()).toEqual(s.toJSON());
  });

  it("accepts jido's specversion 1.0.2 and normalizes it to 1.0", () => {
    expect(Signal.from({ ...valid, specversion: '1.0.2' }).specversion).toBe('1.0');
  });

  it("reads jido's nested extensions map and legacy attribute names", () => {
    const s = Signal.from({
      ...valid,
      specversion: '1.0.2',
      extensions: { tenant: 'acme' },
      causation_id: 'cause-1',
      trace_id: 'legacy',
      span_id: 'legacy',
      jido_schema_version: 1,
    });
    expect(s.extensions).toEqual({ tenant: 'acme', causationid: 'cause-1' });
  });

  it('returns Signal instances unchanged', () => {
    const s = createSignal('a');
    expect(Signal.from(s)).toBe(s);
  });

  it('requires specversion on input', () => {
    const { specversion: _s, ...rest } = valid;
    const err = thrown(() => Signal.from(rest));
    expect(err.code).toBe('missing_attribute');
    expect((err as SignalValidationError).field).toBe('specversion');
  });

  it('rejects non-object input with a parse error', () => {
    for (const v of [null, 42, 'text', [valid], true]) {
      expect(thrown(() => Signal.from(v))).toBeInstanceOf(SignalParseError);
    }
  });

  it('rejects wrong attribute types with typed errors', () => {
    expect(thrown(() => Signal.from({ ...valid, type: 1 })).code).toBe('invalid_attribute');
    expect(thrown(() => Signal.from({ ...valid, time: 123 })).code).toBe('invalid_time');
    expect(thrown(() => Signal.from({ ...valid, extensions: [] })).code).toBe('invalid_attribute');
    expect(thrown(() => Signal.from({ ...valid, data_base64: 'not base64!' })).code).toBe(
      'invalid_attribute',
    );
    expect(thrown(() => Signal.from({ ...valid, data: 1, data_base64: 'AA==' }))).toBeInstanceOf(
      SignalParseError,
    );
  });

  it('never throws a raw SyntaxError on malformed JSON', () => {
    for (const text of ['{', '', 'nul', '{"a":}', '\u0000', '[1,2']) {
      const err = thrown(() => Signal.fromJSON(text));
      expect(err).toBeInstanceOf(SignalParseError);
      expect(err.code).toBe('parse_error');
      expect(err).not.toBeInstanceOf(SyntaxError);
    }
  });

  it.each([
    [
      'top-level __proto__',
      '{"specversion":"1.0","id":"1","source":"s","type":"t","__proto__":{"polluted":true}}',
      '__proto__',
    ],
    [
      '__proto__ in data',
      '{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"a":[{"__proto__":{}}]}}',
      'data.a[0].__proto__',
    ],
    [
      'constructor in data',
      '{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"constructor":{"prototype":{}}}}',
      'data.constructor',
    ],
    [
      'prototype key',
      '{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"prototype":1}}',
      'data.prototype',
    ],
    [
      'escaped __proto__',
      '{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"\\u005f_proto__":{}}}',
      'data.__proto__',
    ],
  ])('rejects prototype-polluting keys: %s', (_name, text, path) => {
    const err = thrown(() => Signal.fromJSON(text));
    expect(err).toBeInstanceOf(UnsafeKeyError);
    expect((err as UnsafeKeyError).path).toBe(path);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects prototype-polluting keys in objects too', () => {
    const value = JSON.parse(
      '{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"__proto__":{"x":1}}}',
    ) as unknown;
    expect(thrown(() => Signal.from(value))).toBeInstanceOf(UnsafeKeyError);
  });

  it('rejects oversized payloads before parsing, with size and limit', () => {
    const big = JSON.stringify({ ...valid, data: 'x'.repeat(2000) });
    const err = thrown(() => Signal.fromJSON(big, { maxPayloadBytes: 1000 }));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as PayloadTooLargeError).limit).toBe(1000);
    expect((err as PayloadTooLargeError).size).toBe(Buffer.byteLength(big));
    // Multi-byte characters are counted in bytes, not UTF-16 units.
    const wide = JSON.stringify({ ...valid, data: 'é'.repeat(500) });
    expect(wide.length).toBeLessThan(1000);
    expect(thrown(() => Signal.fromJSON(wide, { maxPayloadBytes: 1000 }))).toBeInstanceOf(
      PayloadTooLargeError,
    );
    expect(Signal.fromJSON(wide, { maxPayloadBytes: 2000 }).data).toBe('é'.repeat(500));
  });

  it('applies the factory size limit to bytes input', () => {
    const f = new SignalFactory({ maxPayloadBytes: 100 });
    const bytes = new TextEncoder().encode(JSON.stringify({ ...valid, data: 'y'.repeat(200) }));
    expect(thrown(() => f.fromJSON(bytes))).toBeInstanceOf(PayloadTooLargeError);
    expect(f.fromJSON(new TextEncoder().encode(JSON.stringify(valid))).type).toBe('order.created');
  });

  it('validates extensions against the registry it is given', () => {
    const registry = createExtensionRegistry([
      {
        name: 'tenant',
        validate: (v) => (typeof v === 'string' && v.startsWith('t-') ? v : undefined),
      },
    ]);
    expect(
      Signal.from({ ...valid, tenant: 't-1' }, { extensions: registry }).getExtension('tenant'),
    ).toBe('t-1');
    expect(
      thrown(() => Signal.from({ ...valid, tenant: 'x' }, { extensions: registry })).code,
    ).toBe('invalid_extension_value');
    // Without the registry, any string passes.
    expect(Signal.from({ ...valid, tenant: 'x' }).getExtension('tenant')).toBe('x');
  });
});
