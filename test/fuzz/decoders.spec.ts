// Seeded, bounded fuzzing of every decoder (fast-check). Invariant, for any input: the
// decoder returns Signals whose attributes and data are plain JSON data (bytes allowed only
// as the whole `data`), nested at most `maxDepth` levels and serializable with
// JSON.stringify — or it throws a JidoSignalError subclass. Never another error type,
// never a stack overflow, and Object.prototype is never changed.
// Seed: SEED below; each property runs a fixed number of cases (whole file: a few seconds).
import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { JidoSignalError } from '../../lib/core/errors/jido-signal.error.js';
import { NestingTooDeepError } from '../../lib/core/errors/parse.error.js';
import {
  DEFAULT_MAX_DEPTH,
  JsonSerializer,
  MsgpackSerializer,
  Signal,
  fromHttp,
} from '../../lib/core/signal/index.js';

const SEED = 20261206;
const RUNS = 300;
const params = { seed: SEED, numRuns: RUNS, endOnFailure: true } as const;

const json = new JsonSerializer();
const msgpack = new MsgpackSerializer();
const producer = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: true });
const envelope = { specversion: '1.0', id: 'f-1', source: '/fuzz', type: 'fuzz.case' };

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();
afterEach(() => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES);
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
});

/** Depth of plain JSON data; fails on anything that is not plain JSON data. */
function jsonDepth(value: unknown, path: string): number {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return 0;
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`non-finite number at ${path}`);
      return 0;
    case 'undefined':
      return 0; // only reachable as an object property (arrays are checked below)
    case 'object':
      break;
    default:
      throw new Error(`${typeof value} at ${path}`);
  }
  if (value === null) return 0;
  const proto: unknown = Object.getPrototypeOf(value);
  let max = 0;
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) throw new Error(`array subclass at ${path}`);
    value.forEach((v: unknown, i) => {
      if (v === undefined) throw new Error(`undefined in array at ${path}[${i}]`);
      max = Math.max(max, jsonDepth(v, `${path}[${i}]`));
    });
  } else {
    if (proto !== Object.prototype && proto !== null)
      throw new Error(`non-plain object at ${path}`);
    for (const key of Object.keys(value)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype')
        throw new Error(`unsafe key at ${path}.${key}`);
      max = Math.max(max, jsonDepth((value as Record<string, unknown>)[key], `${path}.${key}`));
    }
  }
  return max + 1;
}

function checkSignal(signal: unknown): void {
  expect(signal).toBeInstanceOf(Signal);
  const s = signal as Signal;
  if (!(s.data instanceof Uint8Array)) {
    expect(jsonDepth(s.data, 'data')).toBeLessThanOrEqual(DEFAULT_MAX_DEPTH);
  }
  for (const [name, value] of Object.entries(s.extensions)) jsonDepth(value, name);
  expect(() => JSON.stringify(s)).not.toThrow();
}

/** Outcomes seen by {@link holds}, so each property can show it exercised both sides. */
const outcomes = { decoded: 0, refused: 0 };

/** The invariant: a plain JSON Signal (or list of them), or a typed library error. */
function holds(decode: () => unknown): void {
  let out: unknown;
  try {
    out = decode();
  } catch (error) {
    if (!(error instanceof JidoSignalError)) {
      throw new Error(`decoder threw ${String((error as Error)?.name)}: ${String(error)}`);
    }
    outcomes.refused++;
    return;
  }
  if (Array.isArray(out)) out.forEach(checkSignal);
  else checkSignal(out);
  outcomes.decoded++;
}

/** Runs a property and checks that some inputs decoded and some were refused. */
function assertBothOutcomes(run: () => void): void {
  outcomes.decoded = 0;
  outcomes.refused = 0;
  run();
  expect(outcomes.decoded).toBeGreaterThan(0);
  expect(outcomes.refused).toBeGreaterThan(0);
}

const CONTENT_TYPES = [
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
  'application/json',
  'application/octet-stream',
  'text/plain',
  undefined,
] as const;

/** Every decoder that takes text or bytes. */
function decodeAll(input: string | Uint8Array): void {
  holds(() => Signal.fromJSON(input));
  holds(() => json.deserialize(input));
  if (typeof input !== 'string') holds(() => msgpack.deserialize(input));
  for (const contentType of CONTENT_TYPES) {
    const headers: Record<string, string> = {
      'ce-specversion': '1.0',
      'ce-id': 'h',
      'ce-source': '/h',
      'ce-type': 't',
    };
    if (contentType !== undefined) headers['content-type'] = contentType;
    holds(() => fromHttp({ headers, body: input }));
  }
}

/** `levels` containers, each an array or an object, around a leaf, as JSON text. */
// Depths near the limit as often as far past it; array/object kinds repeat a short cycle.
const nestingKinds = fc
  .tuple(
    fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 3_000 })),
    fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
  )
  .map(([depth, cycle]) => Array.from({ length: depth }, (_, i) => cycle[i % cycle.length]));
const nestedText = nestingKinds.map((kinds) => ({
  levels: kinds.length,
  // The same value as MessagePack, written by hand (msgpackr's encoder recurses too):
  // fixarray(1) = 0x91, fixmap(1) with key "k" = 0x81 0xa1 0x6b, then the leaf 1.
  msgpack: Buffer.concat([
    ...kinds.map((isArray) => Buffer.from(isArray ? [0x91] : [0x81, 0xa1, 0x6b])),
    Buffer.from([0x01]),
  ]),
  text:
    kinds.map((isArray) => (isArray ? '[' : '{"k":')).join('') +
    '1' +
    [...kinds]
      .reverse()
      .map((isArray) => (isArray ? ']' : '}'))
      .join(''),
}));

// Keys that could pollute prototypes, mixed with ordinary ones and Object.prototype members.
const key = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'a',
  'b',
);
const hostileJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 2 }),
    fc.dictionary(key, tie('value'), { maxKeys: 3 }),
    fc.array(tie('value'), { maxLength: 3 }),
  ),
})).value;

describe('decoder fuzzing (seeded, bounded)', () => {
  it('arbitrary bytes and strings: every decoder returns plain signals or a typed error', () => {
    assertBothOutcomes(() =>
      fc.assert(
        fc.property(
          fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 200 })),
          (input) => {
            decodeAll(input);
            if (typeof input === 'string') decodeAll(new Uint8Array(Buffer.from(input, 'utf8')));
          },
        ),
        params,
      ),
    );
  });

  it('arbitrary JSON envelopes and data (with __proto__/constructor keys) through every decoder', () => {
    assertBothOutcomes(() =>
      fc.assert(
        fc.property(
          hostileJson,
          fc.dictionary(key, hostileJson, { maxKeys: 3 }),
          fc.boolean(),
          fc.boolean(),
          (data, extra, batch, escaped) => {
            // Built as text so "__proto__" stays an own key, as JSON.parse makes it.
            const members = Object.entries(extra).map(
              ([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'},`,
            );
            const text = `{${members.join('')}${JSON.stringify({ ...envelope, data }).slice(1)}`;
            let doc = batch ? `[${text}]` : text;
            // The same key behind a \u escape, which JSON.parse turns into "__proto__" too.
            if (escaped) doc = doc.replaceAll('"__proto__"', '"\\u005f_proto__"');
            const parsed = JSON.parse(doc) as unknown;
            decodeAll(doc);
            holds(() => Signal.from(batch ? (parsed as unknown[])[0] : parsed));
            holds(() => msgpack.deserialize(producer.pack(parsed)));
          },
        ),
        params,
      ),
    );
  });

  it('deep nesting (0–3,000 levels): accepted exactly up to maxDepth, else NestingTooDeepError', () => {
    const seen = { within: 0, beyond: 0 };
    const head = producer.pack({ ...envelope, data: null }).subarray(0, -1);
    fc.assert(
      fc.property(nestedText, ({ levels, text, msgpack: bytes }) => {
        seen[levels <= DEFAULT_MAX_DEPTH ? 'within' : 'beyond']++;
        const doc = `{"specversion":"1.0","id":"d","source":"/d","type":"t","data":${text}}`;
        for (const decode of [
          () => Signal.fromJSON(doc),
          () => json.deserialize(`[${doc}]`),
          () => msgpack.deserialize(Buffer.concat([head, bytes])),
          () =>
            fromHttp({
              headers: {
                'ce-specversion': '1.0',
                'ce-id': 'h',
                'ce-source': '/h',
                'ce-type': 't',
                'content-type': 'application/json',
              },
              body: text,
            }),
        ]) {
          holds(decode);
          let error: unknown;
          try {
            decode();
          } catch (e) {
            error = e;
          }
          if (levels <= DEFAULT_MAX_DEPTH) expect(error).toBeUndefined();
          else expect(error).toBeInstanceOf(NestingTooDeepError);
        }
      }),
      { ...params, numRuns: 100 },
    );
    expect(seen.within).toBeGreaterThan(0);
    expect(seen.beyond).toBeGreaterThan(0);
  });

  it('MessagePack with extension types, BigInt, Map/Set, typed arrays and raw ext bytes', () => {
    const head = producer.pack({ ...envelope, data: null });
    assertBothOutcomes(() =>
      fc.assert(
        fc.property(
          fc.anything({
            maxDepth: 3,
            withBigInt: true,
            withDate: true,
            withMap: true,
            withSet: true,
            withTypedArray: true,
            withSparseArray: true,
            withBoxedValues: true,
            withNullPrototype: true,
            withObjectString: true,
          }),
          fc.integer({ min: 0, max: 255 }),
          fc.uint8Array({ maxLength: 16 }),
          (data, extType, payload) => {
            let packed: Uint8Array | undefined;
            try {
              packed = producer.pack({ ...envelope, data });
            } catch {
              packed = undefined; // the producer cannot encode it: nothing to decode
            }
            if (packed !== undefined) holds(() => msgpack.deserialize(packed));
            // data = ext8 of a random type with a random payload, in place of the null.
            const ext = Buffer.concat([Buffer.from([0xc7, payload.length, extType]), payload]);
            holds(() => msgpack.deserialize(Buffer.concat([head.subarray(0, -1), ext])));
          },
        ),
        params,
      ),
    );
  });

  it('Signal.from with arbitrary JavaScript values as data or attributes', () => {
    assertBothOutcomes(() =>
      fc.assert(
        fc.property(
          fc.anything({
            maxDepth: 3,
            withBigInt: true,
            withDate: true,
            withMap: true,
            withSet: true,
            withTypedArray: true,
            withSparseArray: true,
            withNullPrototype: true,
          }),
          fc.constantFrom('data', 'specversion', 'id', 'time', 'extensions', 'subject', 'tenant'),
          (value, attribute) => {
            holds(() => Signal.from({ ...envelope, [attribute]: value }));
          },
        ),
        params,
      ),
    );
  });
});
