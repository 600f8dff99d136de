import { describe, expect, it } from '@jest/globals';
import { CloudEvent, HTTP } from 'cloudevents';
import { Packr } from 'msgpackr';
import {
  createSignal,
  fromHttp,
  JsonSerializer,
  MsgpackSerializer,
  PayloadTooLargeError,
  SerializationError,
  Signal,
  SignalParseError,
  toHttp,
  toHttpBatch,
  UnsafeKeyError,
  type Serializer,
} from '../../../lib/index.js';

const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function sample(): Signal<{ orderId: string; lines: number[] }> {
  return createSignal(
    'order.created',
    { orderId: 'o-1', lines: [1, 2] },
    {
      source: '/shop',
      subject: 'o-1',
      dataschema: 'https://example.com/order.json',
      extensions: {
        correlationid: 'corr-1',
        traceparent,
        tenant: 'acme',
        attempt: 2,
        urgent: true,
      },
    },
  );
}

describe('our encodings are valid CloudEvents for the official SDK', () => {
  it('structured mode', () => {
    const s = sample();
    const msg = toHttp(s, 'structured');
    expect(msg.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    const event = HTTP.toEvent({ headers: msg.headers, body: msg.body }) as CloudEvent;
    expect(event.validate()).toBe(true);
    expect(event.id).toBe(s.id);
    expect(event.type).toBe('order.created');
    expect(event.source).toBe('/shop');
    expect(event.subject).toBe('o-1');
    expect(event.time).toBe(s.time);
    expect(event.dataschema).toBe('https://example.com/order.json');
    expect(event.data).toEqual({ orderId: 'o-1', lines: [1, 2] });
    expect(event['correlationid']).toBe('corr-1');
    expect(event['traceparent']).toBe(traceparent);
    expect(event['tenant']).toBe('acme');
  });

  it('binary mode', () => {
    const s = sample();
    const msg = toHttp(s, 'binary');
    expect(msg.headers['ce-id']).toBe(s.id);
    expect(msg.headers['content-type']).toBe('application/json');
    expect(msg.headers['ce-attempt']).toBe('2');
    const event = HTTP.toEvent({ headers: msg.headers, body: msg.body }) as CloudEvent;
    expect(event.validate()).toBe(true);
    expect(event.id).toBe(s.id);
    expect(event.type).toBe('order.created');
    expect(event.data).toEqual({ orderId: 'o-1', lines: [1, 2] });
    expect(event['tenant']).toBe('acme');
    expect(event['correlationid']).toBe('corr-1');
  });

  it('batch mode', () => {
    const a = sample();
    const b = createSignal('order.shipped', { orderId: 'o-1' });
    const msg = toHttpBatch([a, b]);
    const events = HTTP.toEvent({ headers: msg.headers, body: msg.body }) as CloudEvent[];
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.validate())).toEqual([true, true]);
    expect(events.map((e) => e.id)).toEqual([a.id, b.id]);
  });

  it('JSON structured text from JsonSerializer is accepted by new CloudEvent()', () => {
    const json = JSON.parse(new JsonSerializer().serialize(sample())) as Record<string, unknown>;
    expect(() => new CloudEvent(json)).not.toThrow();
  });
});

describe('SDK-produced events parse into ours', () => {
  const event = new CloudEvent({
    type: 'com.example.created',
    source: '/sdk',
    subject: 'thing-1',
    data: { a: 1 },
    dataschema: 'https://example.com/s.json',
    tenant: 'acme',
    traceparent,
  });

  it('structured', () => {
    const msg = HTTP.structured(event);
    const s = fromHttp({ headers: msg.headers, body: msg.body as string }) as Signal;
    expect(s).toBeInstanceOf(Signal);
    expect(s.id).toBe(event.id);
    expect(s.type).toBe('com.example.created');
    expect(s.source).toBe('/sdk');
    expect(s.subject).toBe('thing-1');
    expect(s.time).toBe(event.time);
    expect(s.data).toEqual({ a: 1 });
    expect(s.extensions).toEqual({ tenant: 'acme', traceparent });
  });

  it('binary', () => {
    const msg = HTTP.binary(event);
    const s = fromHttp({ headers: msg.headers, body: msg.body as string }) as Signal;
    expect(s.id).toBe(event.id);
    expect(s.type).toBe('com.example.created');
    expect(s.data).toEqual({ a: 1 });
    expect(s.datacontenttype).toBe('application/json; charset=utf-8');
    expect(s.extensions).toEqual({ tenant: 'acme', traceparent });
  });

  it('plain toJSON() through Signal.from', () => {
    const s = Signal.from(JSON.parse(JSON.stringify(event)));
    expect(s.id).toBe(event.id);
    expect(s.getExtension('tenant')).toBe('acme');
  });

  it('batch', () => {
    const body = JSON.stringify([event, new CloudEvent({ type: 't2', source: '/sdk' })]);
    const list = fromHttp({
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body,
    }) as Signal[];
    expect(list.map((s) => s.type)).toEqual(['com.example.created', 't2']);
  });
});

describe('HTTP binding details', () => {
  it('percent-encodes header values per the binding and decodes them back', () => {
    const s = createSignal('a', 'text body', {
      subject: 'sü b "q" 100%',
      datacontenttype: 'text/plain',
    });
    const msg = toHttp(s);
    expect(msg.headers['ce-subject']).toBe('s%C3%BC%20b%20%22q%22%20100%25');
    expect(msg.body).toBe('text body');
    const back = fromHttp(msg) as Signal;
    expect(back.subject).toBe('sü b "q" 100%');
    expect(back.data).toBe('text body');
    expect(back.datacontenttype).toBe('text/plain');
  });

  it('sends bytes as the raw body and reads them back as bytes', () => {
    const s = createSignal('blob', new Uint8Array([1, 2, 3]));
    const msg = toHttp(s);
    expect(msg.headers['content-type']).toBe('application/octet-stream');
    expect(msg.body).toEqual(new Uint8Array([1, 2, 3]));
    expect((fromHttp(msg) as Signal).data).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('a signal without data has an empty body and no content-type', () => {
    const msg = toHttp(createSignal('ping'));
    expect(msg.body).toBe('');
    expect(msg.headers['content-type']).toBeUndefined();
    expect((fromHttp(msg) as Signal).data).toBeUndefined();
  });

  it('accepts a fetch Headers object and mixed-case header names', () => {
    const msg = toHttp(sample());
    const headers = new Headers(msg.headers);
    expect((fromHttp({ headers, body: msg.body }) as Signal).id).toBe(msg.headers['ce-id']);
    const upper = Object.fromEntries(
      Object.entries(msg.headers).map(([k, v]) => [k.toUpperCase(), v]),
    );
    expect((fromHttp({ headers: upper, body: msg.body }) as Signal).id).toBe(msg.headers['ce-id']);
  });

  it('rejects what is not a CloudEvent, with typed errors', () => {
    expect(() => fromHttp({ headers: { 'content-type': 'application/json' }, body: '{}' })).toThrow(
      SignalParseError,
    );
    expect(() =>
      fromHttp({ headers: { 'content-type': 'application/cloudevents+xml' }, body: '<x/>' }),
    ).toThrow(/Unsupported structured-mode format/);
    expect(() =>
      fromHttp({ headers: { 'content-type': 'application/cloudevents-batch+json' }, body: '{}' }),
    ).toThrow(/must be a JSON array/);
    expect(() =>
      fromHttp({
        headers: {
          'ce-specversion': '1.0',
          'ce-id': '1',
          'ce-source': '/s',
          'ce-type': 't',
          'ce-subject': '%zz',
        },
      }),
    ).toThrow(SignalParseError);
    expect(() =>
      fromHttp({
        headers: {
          'ce-specversion': '1.0',
          'ce-id': '1',
          'ce-source': '/s',
          'ce-type': 't',
          'content-type': 'application/json',
        },
        body: '{"__proto__":{}}',
      }),
    ).toThrow(UnsafeKeyError);
    expect(() =>
      fromHttp(
        {
          headers: { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't' },
          body: 'x'.repeat(50),
        },
        { maxPayloadBytes: 10 },
      ),
    ).toThrow(PayloadTooLargeError);
  });
});

describe.each<[string, () => Serializer]>([
  ['JsonSerializer', () => new JsonSerializer()],
  ['MsgpackSerializer', () => new MsgpackSerializer()],
])('%s', (_name, make) => {
  it('round-trips one signal and a batch', () => {
    const serializer = make();
    const s = sample();
    const one = serializer.deserialize(serializer.serialize(s)) as Signal;
    expect(one.toJSON()).toEqual(s.toJSON());
    const bytes = createSignal('b', new Uint8Array([9, 8]));
    const many = serializer.deserialize(serializer.serialize([s, bytes])) as Signal[];
    expect(many).toHaveLength(2);
    expect(many[1].data).toEqual(new Uint8Array([9, 8]));
  });

  it('names the failing element of a batch', () => {
    const serializer = make();
    const good = sample().toJSON();
    const raw = [good, { ...good, type: '' }];
    const encoded =
      serializer instanceof JsonSerializer
        ? JSON.stringify(raw)
        : new Packr({ useRecords: false }).pack(raw);
    try {
      serializer.deserialize(encoded);
      throw new Error('unreachable');
    } catch (e) {
      expect(e).toBeInstanceOf(SignalParseError);
      expect((e as SignalParseError).details).toMatchObject({
        index: 1,
        code: 'missing_attribute',
      });
      expect((e as Error).message).toContain('Batch element 1');
    }
  });

  it('rejects malformed and oversized input with typed errors', () => {
    const serializer = make();
    // A truncated MessagePack map header, and invalid UTF-8 for JSON.
    expect(() => serializer.deserialize(new Uint8Array([0x85]))).toThrow(SignalParseError);
    const limited = new (
      serializer.constructor as new (o: { maxPayloadBytes: number }) => Serializer
    )({ maxPayloadBytes: 16 });
    expect(() => limited.deserialize(serializer.serialize(sample()))).toThrow(PayloadTooLargeError);
  });
});

describe('encoding failures', () => {
  it('cyclic data is a SerializationError, not a TypeError', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const s = createSignal('a', cyclic);
    expect(() => new JsonSerializer().serialize(s)).toThrow(SerializationError);
    expect(() => toHttp(s, 'binary')).toThrow(SerializationError);
  });

  it('MessagePack refuses text input', () => {
    expect(() => new MsgpackSerializer().deserialize('text')).toThrow(SignalParseError);
  });

  it('MessagePack rejects prototype-polluting keys', () => {
    // msgpackr itself renames "__proto__"; "constructor" reaches our check.
    const m = new MsgpackSerializer();
    const evil = JSON.parse('{"constructor":{"prototype":{"x":1}}}') as unknown;
    const s = createSignal('t', evil);
    expect(() => m.deserialize(m.serialize(s))).toThrow(UnsafeKeyError);
  });
});
