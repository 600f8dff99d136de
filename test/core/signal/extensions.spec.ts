import { describe, expect, it } from '@jest/globals';
import {
  BUILT_IN_EXTENSIONS,
  childTraceparent,
  createExtensionRegistry,
  createSignal,
  createTraceparent,
  ExtensionRegistry,
  parseTraceparent,
  Signal,
  SignalFactory,
  SignalValidationError,
} from '../../../lib/index.js';

describe('ExtensionRegistry', () => {
  it('starts with the built-ins', () => {
    const r = createExtensionRegistry();
    expect(r.list().map((e) => e.name)).toEqual([
      'traceparent',
      'tracestate',
      'causationid',
      'correlationid',
      'dispatch',
    ]);
    expect(BUILT_IN_EXTENSIONS).toHaveLength(5);
    expect(r.isWire('dispatch')).toBe(false);
    expect(r.isWire('traceparent')).toBe(true);
    expect(r.isWire('unregistered')).toBe(true);
  });

  it('rejects bad, reserved and duplicate names', () => {
    const r = new ExtensionRegistry();
    const ok = { name: 'tenant', validate: (v: unknown) => v };
    r.register(ok);
    expect(r.has('tenant')).toBe(true);
    expect(r.get('tenant')).toBe(ok);
    expect(() => r.register(ok)).toThrow(SignalValidationError);
    for (const name of ['Tenant', 'ten_ant', '', 'a'.repeat(21)]) {
      try {
        r.register({ name, validate: (v) => v });
        throw new Error('unreachable');
      } catch (e) {
        expect((e as SignalValidationError).code).toBe('invalid_extension_name');
      }
    }
    for (const name of [
      'id',
      'type',
      'source',
      'data',
      'time',
      'subject',
      'specversion',
      'dataschema',
      'datacontenttype',
    ]) {
      expect(() => r.register({ name, validate: (v) => v })).toThrow(/cannot be an extension/);
    }
  });

  it('clone() is independent', () => {
    const a = createExtensionRegistry();
    const b = a.clone().register({ name: 'tenant', validate: (v) => v });
    expect(b.has('tenant')).toBe(true);
    expect(a.has('tenant')).toBe(false);
  });

  it('a custom validator can normalize values and its errors name the extension', () => {
    const extensions = createExtensionRegistry([
      {
        name: 'priority',
        validate: (v) => {
          if (v === 'high') return 10;
          if (typeof v === 'number' && v >= 0 && v <= 10) return v;
          throw new Error('priority must be 0..10 or "high"');
        },
      },
    ]);
    const f = new SignalFactory({ extensions });
    expect(f.create('a', null, { extensions: { priority: 'high' } }).getExtension('priority')).toBe(
      10,
    );
    try {
      f.create('a', null, { extensions: { priority: 99 } });
      throw new Error('unreachable');
    } catch (e) {
      expect(e).toBeInstanceOf(SignalValidationError);
      expect((e as SignalValidationError).field).toBe('priority');
      expect((e as Error).message).toContain('priority must be 0..10');
    }
  });

  it('the dispatch extension is kept in memory but off the wire', () => {
    const target = { adapter: 'pid', target: () => undefined };
    const s = createSignal('a', 1, { extensions: { dispatch: target } });
    expect(s.getExtension('dispatch')).toBe(target);
    expect(JSON.stringify(s)).not.toContain('dispatch');
    expect(() => createSignal('a', 1, { extensions: { dispatch: 'http' } })).toThrow(
      SignalValidationError,
    );
    expect(() =>
      createSignal('a', 1, { extensions: { dispatch: [{ adapter: 'noop' }, 5] } }),
    ).toThrow(SignalValidationError);
  });
});

describe('trace context', () => {
  it('parses valid W3C traceparent values only', () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(parseTraceparent(tp)).toEqual({
      version: '00',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      flags: '01',
    });
    for (const bad of [
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331',
      42,
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });

  it('children keep the trace id and get a new span id', () => {
    const root = createTraceparent();
    const child = childTraceparent(root);
    expect(parseTraceparent(child)!.traceId).toBe(parseTraceparent(root)!.traceId);
    expect(parseTraceparent(child)!.spanId).not.toBe(parseTraceparent(root)!.spanId);
    expect(parseTraceparent(childTraceparent(undefined))).toBeDefined();
  });

  it('trace and causality extensions survive JSON', () => {
    const s = createSignal('a', 1, {
      extensions: {
        traceparent: createTraceparent(),
        tracestate: 'k=v',
        causationid: 'c1',
        correlationid: 'w1',
      },
    });
    expect(Signal.fromJSON(JSON.stringify(s)).extensions).toEqual(s.extensions);
  });
});
