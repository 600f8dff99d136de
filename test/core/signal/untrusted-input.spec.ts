// Regressions for decoding untrusted input: every decoder returns plain JSON data or a
// typed JidoSignalError — never a raw TypeError/RangeError, never BigInt/Date/Set/… in
// `data`, never nesting past `maxDepth`, never a polluted prototype.
import { describe, expect, it } from '@jest/globals';
import { runInNewContext } from 'node:vm';
import { Packr } from 'msgpackr';
import {
  NestingTooDeepError,
  SignalParseError,
  UnsafeKeyError,
  UnsupportedValueError,
} from '../../../lib/core/errors/parse.error.js';
import { SignalValidationError } from '../../../lib/core/errors/validation.error.js';
import { SignalJournal } from '../../../lib/core/journal/signal-journal.js';
import {
  DEFAULT_MAX_DEPTH,
  JsonSerializer,
  MAX_TYPE_LENGTH,
  MAX_TYPE_SEGMENTS,
  MsgpackSerializer,
  Signal,
  SignalFactory,
  createExtensionRegistry,
  createSignal,
  fromHttp,
  type SignalParseOptions,
} from '../../../lib/core/signal/index.js';
import { thrown } from '../../helpers/errors.js';

const envelope = { specversion: '1.0', id: 'e-1', source: '/test', type: 'order.created' };
/** `levels` nested arrays around `leaf`: nested(2, 1) is [[1]]. */
const nested = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};
/** Binary-mode HTTP headers of a minimal signal, plus `extra`. */
const binaryHeaders = (extra: Record<string, string>): Record<string, string> => ({
  'ce-specversion': '1.0',
  'ce-id': 'x',
  'ce-source': '/s',
  'ce-type': 't',
  ...extra,
});
const nestedText = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
// msgpackr as a foreign producer would use it: BigInt as int64, its extension types on.
const producer = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: true });

type Decoder = (dataText: string, options?: SignalParseOptions) => unknown;
const structured = (dataText: string): string =>
  `{"specversion":"1.0","id":"e-1","source":"/s","type":"t","data":${dataText}}`;
/** Every decoder, fed a signal whose `data` is the given JSON text. */
const decoders: [string, Decoder][] = [
  ['Signal.fromJSON', (d, o) => Signal.fromJSON(structured(d), o)],
  ['Signal.from', (d, o) => Signal.from(JSON.parse(structured(d)), o)],
  ['JsonSerializer (single)', (d, o) => new JsonSerializer(o).deserialize(structured(d))],
  ['JsonSerializer (batch)', (d, o) => new JsonSerializer(o).deserialize(`[${structured(d)}]`)],
  [
    'fromHttp structured',
    (d, o) =>
      fromHttp(
        { headers: { 'content-type': 'application/cloudevents+json' }, body: structured(d) },
        o,
      ),
  ],
  [
    'fromHttp batch',
    (d, o) =>
      fromHttp(
        {
          headers: { 'content-type': 'application/cloudevents-batch+json' },
          body: `[${structured(d)}]`,
        },
        o,
      ),
  ],
  [
    'fromHttp binary',
    (d, o) =>
      fromHttp(
        {
          headers: {
            'ce-specversion': '1.0',
            'ce-id': 'e-1',
            'ce-source': '/s',
            'ce-type': 't',
            'content-type': 'application/json',
          },
          body: d,
        },
        o,
      ),
  ],
  [
    'MsgpackSerializer',
    (d, o) =>
      new MsgpackSerializer(o).deserialize(
        producer.pack({ ...envelope, data: JSON.parse(d) as unknown }),
      ),
  ],
];

describe('nesting limit (maxDepth, default 64)', () => {
  it('defaults to 64 levels', () => {
    expect(DEFAULT_MAX_DEPTH).toBe(64);
    expect(new SignalFactory().maxDepth).toBe(64);
  });

  it.each(decoders)('%s accepts data nested exactly 64 levels', (_name, decode) => {
    const out = decode(nestedText(64));
    const signal = (Array.isArray(out) ? out[0] : out) as Signal;
    expect(signal.data).toEqual(nested(64));
  });

  it.each(decoders)('%s refuses 65 levels with NestingTooDeepError', (_name, decode) => {
    const e = thrown(() => decode(nestedText(65)));
    expect(e).toBeInstanceOf(NestingTooDeepError);
    expect(e.code).toBe('nesting_too_deep');
    expect(e.details.limit).toBe(64);
  });

  it.each(decoders)('%s honours a custom maxDepth (3: accepts 3, refuses 4)', (_name, decode) => {
    expect(() => decode(nestedText(3), { maxDepth: 3 })).not.toThrow();
    expect(thrown(() => decode(nestedText(4), { maxDepth: 3 }))).toBeInstanceOf(
      NestingTooDeepError,
    );
  });

  // Regression: 3,000+ levels were accepted, then JSON.stringify / structuredClone in the
  // journals threw a raw RangeError.
  it.each(decoders.filter(([n]) => n !== 'MsgpackSerializer' && n !== 'Signal.from'))(
    '%s refuses 5,000 levels with a typed error',
    (_name, decode) => {
      expect(thrown(() => decode(nestedText(5_000)))).toBeInstanceOf(NestingTooDeepError);
    },
  );

  it('Signal.from and MessagePack refuse 5,000 levels with a typed error', () => {
    const deep = { ...envelope, data: nested(5_000) };
    expect(thrown(() => Signal.from(deep))).toBeInstanceOf(NestingTooDeepError);
    // 100,000 nested one-element arrays (0x91): deeper than msgpackr's recursion can go.
    const head = producer.pack({ ...envelope, data: 0 });
    const deepBytes = Buffer.concat([
      head.subarray(0, head.length - 1),
      Buffer.alloc(100_000, 0x91),
      Buffer.from([0x01]),
    ]);
    expect(thrown(() => new MsgpackSerializer().deserialize(deepBytes))).toBeInstanceOf(
      NestingTooDeepError,
    );
    const moderate = Buffer.concat([
      head.subarray(0, head.length - 1),
      Buffer.alloc(3_000, 0x91),
      Buffer.from([0x01]),
    ]);
    expect(thrown(() => new MsgpackSerializer().deserialize(moderate))).toBeInstanceOf(
      NestingTooDeepError,
    );
  });

  it('a decoded signal at the limit can be journaled and re-serialized', async () => {
    const signal = Signal.fromJSON(structured(nestedText(64)));
    const journal = new SignalJournal();
    await expect(journal.record(signal)).resolves.toBeDefined();
    expect(Signal.fromJSON(JSON.stringify(signal)).data).toEqual(signal.data);
  });

  it('counts levels below the envelope for every attribute, jido extensions map included', () => {
    const e = thrown(() => Signal.from({ ...envelope, extensions: { a: nested(64) } }));
    expect(e).toBeInstanceOf(NestingTooDeepError);
    expect((e as NestingTooDeepError).path).toMatch(/^extensions\.a(\[0\])+$/);
  });

  it.each(decoders)('%s refuses a maxDepth that is not a positive integer', (_name, decode) => {
    for (const maxDepth of [0, -1, 1.5, Number.NaN]) {
      expect(thrown(() => decode(nestedText(1), { maxDepth })).details.field).toBe('maxDepth');
    }
  });

  it('a factory validates its maxDepth', () => {
    expect(thrown(() => new SignalFactory({ maxDepth: 0 }))).toBeInstanceOf(SignalValidationError);
    expect(new SignalFactory({ maxDepth: 2 }).fromJSON(structured('[[1]]')).data).toEqual([[1]]);
    expect(
      thrown(() => new SignalFactory({ maxDepth: 2 }).fromJSON(structured('[[[1]]]'))),
    ).toBeInstanceOf(NestingTooDeepError);
  });
});

describe('values JSON cannot represent', () => {
  // Regression: Signal.from({ specversion: 10n }) threw a raw TypeError
  // ("Do not know how to serialize a BigInt").
  it('Signal.from refuses a BigInt attribute with UnsupportedValueError', () => {
    const e = thrown(() => Signal.from({ ...envelope, specversion: 10n }));
    expect(e).toBeInstanceOf(UnsupportedValueError);
    expect(e.details).toEqual({ path: 'specversion', kind: 'a bigint' });
    expect(
      thrown(() => new Signal({ ...envelope, specversion: 10n as unknown as string })),
    ).toBeInstanceOf(SignalValidationError);
  });

  // Regression: MessagePack int64 decoded to BigInt, and JSON.stringify(signal) then threw.
  it('MessagePack: int64 beyond 2^53 is refused; int64 in range decodes to a number', () => {
    const serializer = new MsgpackSerializer();
    const big = producer.pack({ ...envelope, data: { n: 2n ** 63n - 1n } });
    const e = thrown(() => serializer.deserialize(big));
    expect(e).toBeInstanceOf(UnsupportedValueError);
    expect(e.details).toEqual({ path: 'data.n', kind: 'a bigint' });
    const small = producer.pack({ ...envelope, data: { n: 2n ** 40n } });
    expect(small.includes(0xd3) || small.includes(0xcf)).toBe(true); // really int64 on the wire
    const signal = serializer.deserialize(small) as Signal;
    expect(signal.data).toEqual({ n: 2 ** 40 });
    expect(JSON.parse(JSON.stringify(signal))).toMatchObject({ data: { n: 2 ** 40 } });
  });

  // Regression: ext types decoded into Date, Set, Error, RegExp, typed arrays inside data.
  it.each([
    ['Date', new Date(0), 'a Date'],
    ['Set', new Set([1]), 'a Set'],
    ['Error', new Error('x'), 'a Error'],
    ['RegExp', /a/g, 'a RegExp'],
    ['NaN', Number.NaN, 'a non-finite number'],
    ['Infinity', Number.POSITIVE_INFINITY, 'a non-finite number'],
    ['nested bytes', Buffer.from([1, 2]), 'a Buffer'],
  ])('MessagePack: %s inside data is refused with UnsupportedValueError', (_n, value, kind) => {
    const bytes = producer.pack({ ...envelope, data: { v: [value] } });
    const e = thrown(() => new MsgpackSerializer().deserialize(bytes));
    expect(e).toBeInstanceOf(UnsupportedValueError);
    expect(e.details).toEqual({ path: 'data.v[0]', kind });
  });

  it('MessagePack: a typed array (ext 0x74) inside data is refused', () => {
    // Written by hand: a Float64Array from the test realm is not recognised by msgpackr.
    const head = producer.pack({ ...envelope, data: { v: [null] } });
    expect(head.at(-1)).toBe(0xc0); // the null, last byte
    const ext = Buffer.from('c7097408000000000000f03f', 'hex'); // ext8, 9 bytes, 0x74, Float64 [1]
    const e = thrown(() =>
      new MsgpackSerializer().deserialize(Buffer.concat([head.subarray(0, -1), ext])),
    );
    expect(e).toBeInstanceOf(UnsupportedValueError);
    expect(e.details).toEqual({ path: 'data.v[0]', kind: 'a Float64Array' });
  });

  it('MessagePack: reference (structured clone) extensions are refused', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const bytes = new Packr({ structuredClone: true, useRecords: false }).pack({
      ...envelope,
      data: cyclic,
    });
    expect(thrown(() => new MsgpackSerializer().deserialize(bytes))).toBeInstanceOf(
      SignalParseError,
    );
  });

  it('MessagePack: binary data as the whole `data` stays bytes', () => {
    const signal = new MsgpackSerializer().deserialize(
      producer.pack({ ...envelope, data: Buffer.from([1, 2, 3]) }),
    ) as Signal;
    expect(signal.data).toBeInstanceOf(Uint8Array);
    expect([...(signal.data as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it.each([
    ['Date', { when: new Date(0) }, 'data.when'],
    ['Map', { m: new Map() }, 'data.m'],
    ['class instance', { c: new (class Point {})() }, 'data.c'],
    ['function', { f: () => 1 }, 'data.f'],
    ['symbol', { s: Symbol('x') }, 'data.s'],
    ['undefined in an array', { a: [1, undefined] }, 'data.a[1]'],
    ['sparse array', { a: [1, , 3] }, 'data.a[1]'], // eslint-disable-line no-sparse-arrays
  ])('Signal.from refuses %s in data', (_n, data, path) => {
    const e = thrown(() => Signal.from({ ...envelope, data }));
    expect(e).toBeInstanceOf(UnsupportedValueError);
    expect(e.details.path).toBe(path);
  });

  it('Signal.from refuses shared and circular references (JSON data is a tree)', () => {
    const shared = { x: 1 };
    expect(
      thrown(() => Signal.from({ ...envelope, data: { a: shared, b: shared } })).details.path,
    ).toBe('data.b');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(thrown(() => Signal.from({ ...envelope, data: cyclic }))).toBeInstanceOf(
      UnsupportedValueError,
    );
  });

  it('Signal.from refuses a non-plain envelope, accepts a null-prototype one', () => {
    expect(thrown(() => Signal.from(new Date()))).toBeInstanceOf(SignalParseError);
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, envelope);
    expect(Signal.from(bare).id).toBe('e-1');
  });

  it('plain objects and arrays of another realm are plain (structured clones, MessagePorts, vm)', () => {
    const foreign = runInNewContext(
      '({ specversion: "1.0", id: "x", source: "/s", type: "t", data: { a: [1, { b: 2 }] } })',
    ) as object;
    expect(Object.getPrototypeOf(foreign)).not.toBe(Object.prototype);
    expect(Signal.from(foreign).data).toEqual({ a: [1, { b: 2 }] });
    const foreignDate = runInNewContext('new Date(0)') as object;
    expect(thrown(() => Signal.from({ ...envelope, data: { d: foreignDate } }))).toBeInstanceOf(
      UnsupportedValueError,
    );
    const fakeRoot = Object.create(null) as Record<string, unknown>;
    fakeRoot.constructor = function Object() {}; // not its own prototype's constructor
    expect(
      thrown(() => Signal.from({ ...envelope, data: Object.create(fakeRoot) as object })),
    ).toBeInstanceOf(UnsupportedValueError);
  });

  it('undefined object properties are accepted (JSON leaves them out)', () => {
    expect(Signal.from({ ...envelope, subject: undefined, data: { a: undefined } }).data).toEqual({
      a: undefined,
    });
  });
});

describe('prototype pollution', () => {
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  const check = (): void => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  };

  it.each([
    ['__proto__', '{"__proto__":{"polluted":1}}'],
    ['\\u-escaped __proto__', '{"\\u005f_proto__":{"polluted":1}}'],
    ['constructor.prototype', '{"constructor":{"prototype":{"polluted":1}}}'],
  ])('JSON decoders refuse %s keys with UnsafeKeyError', (_n, data) => {
    for (const [, decode] of decoders.filter(([n]) => n !== 'MsgpackSerializer')) {
      expect(thrown(() => decode(data))).toBeInstanceOf(UnsafeKeyError);
    }
    check();
  });

  it('MessagePack: a constructor key is refused; __proto__ cannot pollute', () => {
    const serializer = new MsgpackSerializer();
    const ctor = producer.pack({
      ...envelope,
      data: { constructor: { prototype: { polluted: 1 } } },
    });
    expect(thrown(() => serializer.deserialize(ctor))).toBeInstanceOf(UnsafeKeyError);
    // msgpackr renames a "__proto__" map key to "__proto_": decoded as an ordinary key.
    const proto = producer.pack(JSON.parse(structured('{"__proto__":{"polluted":1}}')) as unknown);
    const signal = serializer.deserialize(proto) as Signal;
    expect(Object.getPrototypeOf(signal.data)).toBe(Object.prototype);
    expect(Object.keys(signal.data as object)).toEqual(['__proto_']);
    check();
  });

  it('binary mode refuses a ce-__proto__ / ce-constructor header', () => {
    for (const name of ['ce-__proto__', 'ce-constructor']) {
      const e = thrown(() => fromHttp({ headers: binaryHeaders({ [name]: 'x' }) }));
      expect(e).toBeInstanceOf(UnsafeKeyError);
    }
    check();
  });

  it('attribute names shadowing Object.prototype members are ordinary extensions', () => {
    const e = thrown(() => Signal.from({ ...envelope, toString: 'x' }));
    // "toString" is not a valid extension name (uppercase), and is reported as itself.
    expect(e.details.field).toBe('toString');
  });
});

describe('signal type size', () => {
  const segments = (n: number): string => Array.from({ length: n }, () => 'a').join('.');

  it('accepts 1024 characters and 128 segments, refuses more', () => {
    expect(MAX_TYPE_LENGTH).toBe(1024);
    expect(MAX_TYPE_SEGMENTS).toBe(128);
    expect(createSignal('x'.repeat(1024)).type).toHaveLength(1024);
    expect(thrown(() => createSignal('x'.repeat(1025))).details).toMatchObject({
      field: 'type',
      limit: 1024,
    });
    expect(createSignal(segments(128)).type).toBe(segments(128));
    expect(thrown(() => createSignal(segments(129))).details).toMatchObject({
      field: 'type',
      limit: 128,
    });
    expect(
      thrown(() => Signal.fromJSON(JSON.stringify({ ...envelope, type: segments(129) }))),
    ).toBeInstanceOf(SignalValidationError);
  });
});

describe('extensions kept off the wire (wire: false) are not taken from decoded input', () => {
  const one = (decoded: Signal | Signal[]): Signal =>
    Array.isArray(decoded) ? decoded[0] : decoded;
  const config = { adapter: 'http', url: 'http://127.0.0.1:9/internal' };

  it('every decoder drops `dispatch`, flattened or in a nested extensions map', () => {
    const structured = { ...envelope, dispatch: config, tenant: 'acme' };
    const decoded: Signal[] = [
      Signal.from(structured),
      Signal.fromJSON(JSON.stringify(structured)),
      Signal.from({ ...envelope, extensions: { dispatch: config, tenant: 'acme' } }),
      one(new JsonSerializer().deserialize(JSON.stringify(structured))),
      one(new MsgpackSerializer().deserialize(producer.pack(structured))),
      one(
        fromHttp({
          headers: { 'content-type': 'application/cloudevents+json' },
          body: JSON.stringify(structured),
        }),
      ),
      one(
        fromHttp({
          headers: binaryHeaders({
            'ce-dispatch': 'http://127.0.0.1:9/internal',
            'ce-tenant': 'acme',
          }),
        }),
      ),
    ];
    for (const signal of decoded) {
      expect(signal.getExtension('dispatch')).toBeUndefined();
      expect(signal.getExtension('tenant')).toBe('acme');
    }
  });

  it('a registered off-wire extension is dropped too; in-process signals keep theirs', () => {
    const extensions = createExtensionRegistry([
      { name: 'local', wire: false, validate: (v) => v },
    ]);
    const factory = new SignalFactory({ extensions });
    const decoded = factory.fromJSON(JSON.stringify({ ...envelope, local: 'x', other: 'y' }));
    expect(decoded.getExtension('local')).toBeUndefined();
    expect(decoded.getExtension('other')).toBe('y');
    const made = factory.create('order.created', {}, { extensions: { local: 'x' } });
    expect(made.getExtension('local')).toBe('x');
    const dispatched = createSignal('a', 1, { extensions: { dispatch: config } });
    expect(dispatched.getExtension('dispatch')).toBe(config);
  });
});
