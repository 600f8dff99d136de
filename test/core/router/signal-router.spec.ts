import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from '@jest/globals';
import {
  InvalidPatternError,
  InvalidRouteError,
  RoutingError,
} from '../../../lib/core/errors/router.error.js';
import { ValidationError } from '../../../lib/core/errors/validation.error.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';
import { SignalId } from '../../../lib/core/signal/signal-id.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import {
  ROUTE_PRIORITY,
  SignalRouter,
  type RoutableSignal,
  type RouteSpec,
  type RouterGuardErrorMessage,
  type RouterRoutedMessage,
} from '../../../lib/core/router/index.js';

/** Collect what is published on a channel while `fn` runs. */
function capture<M>(channel: string, fn: () => void): M[] {
  const seen: M[] = [];
  const listener = (message: unknown): void => {
    seen.push(message as M);
  };
  subscribe(channel, listener);
  try {
    fn();
  } finally {
    unsubscribe(channel, listener);
  }
  return seen;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('SignalRouter: registration', () => {
  it('add() returns a UUIDv7 id per route, and accepts one route or a list', () => {
    const router = new SignalRouter<string>();
    const one = router.add({ pattern: 'a.b', target: 'x' });
    const many = router.add([
      { pattern: 'a.*', target: 'y' },
      { pattern: 'a.**', target: 'z', priority: 5 },
    ]);
    expect(SignalId.isValid(one)).toBe(true);
    expect(many).toHaveLength(2);
    expect(new Set([one, ...many]).size).toBe(3);
    expect(router.size).toBe(3);
  });

  it('list() returns every route in registration order, get() one by id', () => {
    const router = new SignalRouter<string>();
    const guard = (): boolean => true;
    const [a, b] = router.add([
      { pattern: 'x.**', target: 'first', priority: -3 },
      { pattern: 'x', target: 'second', guard },
    ]);
    expect(router.list()).toEqual([
      { id: a, pattern: 'x.**', target: 'first', priority: -3, guard: undefined },
      { id: b, pattern: 'x', target: 'second', priority: 0, guard },
    ]);
    expect(router.get(b)).toEqual({ id: b, pattern: 'x', target: 'second', priority: 0, guard });
    expect(router.get('nope')).toBeUndefined();
  });

  it('has() is true for a registered pattern (exact string, wildcards literal)', () => {
    const router = new SignalRouter<string>();
    router.add([
      { pattern: 'user.*', target: 't' },
      { pattern: 'user.created', target: 't' },
    ]);
    expect(router.has('user.*')).toBe(true);
    expect(router.has('user.created')).toBe(true);
    expect(router.has('user.updated')).toBe(false);
    expect(router.has('user')).toBe(false);
    expect(router.has('user.**')).toBe(false);
    expect(router.has('user..x')).toBe(false);
    expect(router.has('')).toBe(false);
  });

  it('remove() removes exactly that route', () => {
    const router = new SignalRouter<string>();
    const [keep, drop] = router.add([
      { pattern: 'a.*', target: 'keep' },
      { pattern: 'a.*', target: 'drop' },
    ]);
    expect(router.route('a.b')).toEqual(['keep', 'drop']);
    expect(router.remove(drop)).toBe(true);
    expect(router.remove(drop)).toBe(false);
    expect(router.route('a.b')).toEqual(['keep']);
    expect(router.list().map((r) => r.id)).toEqual([keep]);
  });

  it('removeWhere() removes only the routes with that pattern — never a subtree', () => {
    const router = new SignalRouter<string>();
    router.add([
      { pattern: 'user', target: 'u' },
      { pattern: 'user.created', target: 'uc' },
      { pattern: 'user.*', target: 'us' },
      { pattern: 'user.**', target: 'ug' },
      { pattern: 'user.*.x', target: 'usx' },
    ]);
    expect(router.removeWhere('user')).toBe(1);
    expect(router.removeWhere('user.*')).toBe(1);
    expect(router.size).toBe(3);
    expect(router.route('user.created')).toEqual(['uc', 'ug']);
    expect(router.route('user.a.x')).toEqual(['usx', 'ug']);
    expect(router.route('user')).toEqual(['ug']);
    expect(router.removeWhere('user.**')).toBe(1);
    expect(router.route('user.a.x')).toEqual(['usx']);
  });

  it('removeWhere(pattern, target) removes only that target', () => {
    const router = new SignalRouter<string | undefined>();
    router.add([
      { pattern: 'a.*', target: 'x' },
      { pattern: 'a.*', target: 'y' },
      { pattern: 'a.*', target: 'x' },
    ]);
    expect(router.removeWhere('a.*', 'x')).toBe(2);
    expect(router.route('a.b')).toEqual(['y']);
    expect(router.removeWhere('a.*', 'zzz')).toBe(0);
    expect(router.removeWhere('a.*', undefined)).toBe(0);
    expect(router.removeWhere('missing.*')).toBe(0);
    expect(router.removeWhere('in..valid')).toBe(0);
    expect(router.route('a.b')).toEqual(['y']);
  });

  it('removing the last route of a pattern prunes it from the trie', () => {
    const router = new SignalRouter<string>();
    const id = router.add({ pattern: 'a.**.b.*', target: 't' });
    router.add({ pattern: 'a.**', target: 'keep' });
    router.remove(id);
    expect(router.has('a.**.b.*')).toBe(false);
    expect(router.route('a.x.b.y')).toEqual(['keep']);
    router.add({ pattern: 'a.**.b.*', target: 'again' });
    expect(router.route('a.x.b.y')).toEqual(['again', 'keep']);
  });

  it('clear() removes everything', () => {
    const router = new SignalRouter<string>();
    router.add([
      { pattern: 'a', target: '1' },
      { pattern: '**', target: '2' },
    ]);
    router.route('a');
    router.clear();
    expect(router.size).toBe(0);
    expect(router.list()).toEqual([]);
    expect(router.route('a')).toEqual([]);
    router.add({ pattern: 'a.*', target: '3' });
    expect(router.route('a.b')).toEqual(['3']);
  });

  it('the same target on two patterns is returned once per route', () => {
    const router = new SignalRouter<string>();
    router.add([
      { pattern: 'a.*', target: 'same' },
      { pattern: 'a.**', target: 'same' },
    ]);
    expect(router.route('a.b')).toEqual(['same', 'same']);
  });
});

describe('SignalRouter: invalid input', () => {
  const bad: [string, unknown, new (...args: never[]) => Error, string][] = [
    ['a non-string pattern', { pattern: 42, target: 't' }, InvalidPatternError, 'invalid_pattern'],
    ['an empty segment', { pattern: 'a..b', target: 't' }, InvalidPatternError, 'invalid_pattern'],
    [
      'a star inside a segment',
      { pattern: 'a.b*', target: 't' },
      InvalidPatternError,
      'invalid_pattern',
    ],
    [
      'adjacent globstars',
      { pattern: 'a.**.**', target: 't' },
      InvalidPatternError,
      'invalid_pattern',
    ],
    [
      'a priority above 100',
      { pattern: 'a', target: 't', priority: 101 },
      InvalidRouteError,
      'invalid_route',
    ],
    [
      'a priority below −100',
      { pattern: 'a', target: 't', priority: -101 },
      InvalidRouteError,
      'invalid_route',
    ],
    [
      'a fractional priority',
      { pattern: 'a', target: 't', priority: 1.5 },
      InvalidRouteError,
      'invalid_route',
    ],
    [
      'a string priority',
      { pattern: 'a', target: 't', priority: '5' },
      InvalidRouteError,
      'invalid_route',
    ],
    [
      'a NaN priority',
      { pattern: 'a', target: 't', priority: Number.NaN },
      InvalidRouteError,
      'invalid_route',
    ],
    ['a missing target', { pattern: 'a' }, InvalidRouteError, 'invalid_route'],
    [
      'a non-function guard',
      { pattern: 'a', target: 't', guard: true },
      InvalidRouteError,
      'invalid_route',
    ],
    ['a non-object route', 'a.b', InvalidRouteError, 'invalid_route'],
    ['null', null, InvalidRouteError, 'invalid_route'],
  ];

  it.each(bad)('rejects %s with a typed error and adds nothing', (_name, spec, Type, code) => {
    const router = new SignalRouter<string>();
    const error = thrown(() => router.add(spec as RouteSpec<string>));
    expect(error).toBeInstanceOf(Type);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe(code);
    expect(router.size).toBe(0);
    expect(router.route('a')).toEqual([]);
  });

  it('accepts the priority bounds', () => {
    const router = new SignalRouter<string>();
    router.add([
      { pattern: 'a', target: 'min', priority: ROUTE_PRIORITY.min },
      { pattern: 'a', target: 'max', priority: ROUTE_PRIORITY.max },
    ]);
    expect(router.route('a')).toEqual(['max', 'min']);
  });

  it('an add([...]) with one invalid route adds none and names the route', () => {
    const router = new SignalRouter<string>();
    router.add({ pattern: 'existing', target: 'e' });
    const error = thrown(() =>
      router.add([
        { pattern: 'a.*', target: 'ok' },
        { pattern: 'b.**', target: 'ok' },
        { pattern: 'c', target: 'bad', priority: 500 },
      ]),
    ) as InvalidRouteError;
    expect(error).toBeInstanceOf(InvalidRouteError);
    expect(error.field).toBe('priority');
    expect(error.routeIndex).toBe(2);
    expect(error.details.routeIndex).toBe(2);
    expect(error.message).toContain('Route #2');
    expect(router.size).toBe(1);
    expect(router.route('a.x')).toEqual([]);
    expect(router.has('b.**')).toBe(false);
  });

  it('an add([...]) with an invalid pattern names the route and the segment', () => {
    const router = new SignalRouter<string>();
    const error = thrown(() =>
      router.add([
        { pattern: 'a.*', target: 'ok' },
        { pattern: 'a.b c', target: 'bad' },
      ]),
    ) as InvalidPatternError;
    expect(error).toBeInstanceOf(InvalidPatternError);
    expect(error.segment).toBe('b c');
    expect(error.index).toBe(1);
    expect(error.details.routeIndex).toBe(1);
    expect(router.size).toBe(0);
  });

  it('route() rejects input without a string type', () => {
    const router = new SignalRouter<string>();
    for (const input of [null, undefined, 42, {}, { type: 7 }]) {
      const error = thrown(() => router.route(input as unknown as string));
      expect(error).toBeInstanceOf(RoutingError);
      expect((error as RoutingError).code).toBe('routing_error');
    }
  });

  it('route() of an unmatched or odd type is empty, not an error', () => {
    const router = new SignalRouter<string>();
    router.add([
      { pattern: 'user.created', target: 't' },
      { pattern: 'a.*.c', target: 's' },
    ]);
    expect(router.route('user@123')).toEqual([]);
    expect(router.route('')).toEqual([]);
    expect(router.route('a..c')).toEqual([]);
    expect(router.route('nothing.here')).toEqual([]);
  });

  it('rejects bad options with a typed error', () => {
    for (const options of [
      { cacheSize: -1 },
      { cacheSize: 1.5 },
      { cacheWindow: 0 },
      { cacheMinHitRate: 2 },
      { cacheMinHitRate: Number.NaN },
      { cacheCooldown: 0 },
    ]) {
      const error = thrown(() => new SignalRouter<string>(options));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe('invalid_route');
    }
  });
});

describe('SignalRouter: guards', () => {
  it('a guard receives the routed signal and only `true` includes the route', () => {
    const seen: Signal[] = [];
    const router = new SignalRouter<string>();
    router.add([
      {
        pattern: 'order.*',
        target: 'big',
        guard: (signal) => {
          seen.push(signal);
          return (signal.data as { total: number }).total > 100;
        },
      },
      { pattern: 'order.*', target: 'truthy', guard: () => 1 as unknown as boolean },
      { pattern: 'order.**', target: 'always' },
    ]);
    const big = createSignal('order.created', { total: 500 });
    const small = createSignal('order.created', { total: 5 });
    expect(router.route(big)).toEqual(['big', 'always']);
    expect(router.route(small)).toEqual(['always']);
    expect(seen).toEqual([big, small]);
  });

  it('guards run on every call, also when the type is cached', () => {
    let allow = true;
    const router = new SignalRouter<string>();
    router.add({ pattern: 'x.*', target: 'g', guard: () => allow });
    const signal = createSignal('x.y');
    expect(router.route(signal)).toEqual(['g']);
    allow = false;
    expect(router.route(signal)).toEqual([]);
    allow = true;
    expect(router.route(signal)).toEqual(['g']);
    expect(router.cacheStats().hits).toBeGreaterThan(0);
  });

  it('routing a bare type string leaves guarded routes out and never calls guards', () => {
    let calls = 0;
    const router = new SignalRouter<string, RoutableSignal>();
    router.add([
      { pattern: 'x.*', target: 'guarded', guard: () => ++calls > 0 },
      { pattern: 'x.y', target: 'plain' },
    ]);
    expect(router.route('x.y')).toEqual(['plain']);
    expect(calls).toBe(0);
    expect(router.route({ type: 'x.y' })).toEqual(['plain', 'guarded']);
    expect(calls).toBe(1);
  });

  it('routes a custom signal shape', () => {
    interface Event {
      readonly type: string;
      readonly tenant: string;
    }
    const router = new SignalRouter<string, Event>();
    router.add({ pattern: 'e.*', target: 'acme', guard: (e) => e.tenant === 'acme' });
    expect(router.route({ type: 'e.x', tenant: 'acme' })).toEqual(['acme']);
    expect(router.route({ type: 'e.x', tenant: 'other' })).toEqual([]);
  });

  it('a guard that throws excludes its route and is reported, never crashing routing', () => {
    const router = new SignalRouter<string>();
    const boom = new Error('boom');
    const [badId] = router.add([
      {
        pattern: 'user.*',
        target: 'bad',
        guard: () => {
          throw boom;
        },
      },
      { pattern: 'user.*', target: 'good', guard: () => true },
      { pattern: '**', target: 'all' },
    ]);
    const signal = createSignal('user.created');
    let result: readonly string[] = [];
    const messages = capture<RouterGuardErrorMessage>(TelemetryChannel.RouterGuardError, () => {
      result = router.route(signal);
    });
    expect(result).toEqual(['good', 'all']);
    expect(messages).toEqual([
      { routeId: badId, pattern: 'user.*', type: 'user.created', error: boom },
    ]);
    // Without subscribers it is silent and still routes.
    expect(router.route(signal)).toEqual(['good', 'all']);
  });

  it('a guard may change the router while it is consulted', () => {
    const router = new SignalRouter<string, RoutableSignal>();
    router.add({
      pattern: 'a.*',
      target: 'adder',
      guard: () => {
        router.add({ pattern: 'a.*', target: 'late' });
        return true;
      },
    });
    router.add({ pattern: 'a.*', target: 'second' });
    expect(router.route({ type: 'a.b' })).toEqual(['adder', 'second']);
    expect(router.route('a.b')).toEqual(['second', 'late']);
  });
});

describe('SignalRouter: telemetry', () => {
  it('publishes { type, matched, cached } on RouterRouted', () => {
    const router = new SignalRouter<string>();
    router.add({ pattern: 'a.*', target: 't' });
    const messages = capture<RouterRoutedMessage>(TelemetryChannel.RouterRouted, () => {
      router.route('a.b');
      router.route('a.b');
      router.route('zzz');
    });
    expect(messages).toEqual([
      { type: 'a.b', matched: 1, cached: false },
      { type: 'a.b', matched: 1, cached: true },
      { type: 'zzz', matched: 0, cached: false },
    ]);
  });
});

describe('SignalRouter: result cache', () => {
  it('answers repeated types from the cache', () => {
    const router = new SignalRouter<string>();
    router.add([
      { pattern: 'a.*', target: 's' },
      { pattern: 'a.**', target: 'g' },
    ]);
    const first = router.route('a.b');
    const second = router.route('a.b');
    expect(second).toEqual(['s', 'g']);
    expect(second).toBe(first);
    expect(router.cacheStats()).toMatchObject({ enabled: true, size: 1, hits: 1, misses: 1 });
  });

  it('is invalidated by add, remove, removeWhere and clear', () => {
    const router = new SignalRouter<string>();
    const id = router.add({ pattern: 'a.*', target: 's' });
    expect(router.route('a.b')).toEqual(['s']);
    router.add({ pattern: 'a.b', target: 'e' });
    expect(router.cacheStats().size).toBe(0);
    expect(router.route('a.b')).toEqual(['e', 's']);
    router.remove(id);
    expect(router.route('a.b')).toEqual(['e']);
    router.add({ pattern: '**', target: 'all' });
    expect(router.route('a.b')).toEqual(['e', 'all']);
    router.removeWhere('a.b');
    expect(router.route('a.b')).toEqual(['all']);
    router.clear();
    expect(router.route('a.b')).toEqual([]);
  });

  it('a failed add leaves the cache valid', () => {
    const router = new SignalRouter<string>();
    router.add({ pattern: 'a.*', target: 's' });
    router.route('a.b');
    expect(() =>
      router.add([
        { pattern: 'a.b', target: 'x' },
        { pattern: '', target: 'y' },
      ]),
    ).toThrow(InvalidPatternError);
    expect(router.route('a.b')).toEqual(['s']);
  });

  it('is bounded and evicts the oldest entries', () => {
    const router = new SignalRouter<string>({ cacheSize: 4, cacheMinHitRate: 0 });
    router.add({ pattern: '**', target: 'all' });
    for (let i = 0; i < 10; i++) router.route(`t${i}`);
    expect(router.cacheStats().size).toBe(4);
    router.route('t9');
    router.route('t0');
    expect(router.cacheStats()).toMatchObject({ hits: 1, misses: 11 });
  });

  it('switches itself off when its hit rate is low, and tries again after the cooldown', () => {
    const router = new SignalRouter<string>({
      cacheSize: 8,
      cacheWindow: 16,
      cacheMinHitRate: 0.5,
      cacheCooldown: 32,
    });
    router.add({ pattern: '**', target: 'all' });
    // One window of new types: the cache fills after 8 and then only evicts.
    for (let i = 0; i < 16; i++) expect(router.route(`cold.${i}`)).toEqual(['all']);
    const off = router.cacheStats();
    expect(off.enabled).toBe(false);
    expect(off.disabledCount).toBe(1);
    // While off, repeated types are computed, not cached.
    for (let i = 0; i < 31; i++) router.route('hot');
    expect(router.cacheStats().hits).toBe(off.hits);
    expect(router.cacheStats().enabled).toBe(false);
    // The 32nd lookup ends the cooldown and starts a trial window; a hot workload keeps it on.
    for (let i = 0; i < 64; i++) expect(router.route('hot')).toEqual(['all']);
    const on = router.cacheStats();
    expect(on.enabled).toBe(true);
    expect(on.disabledCount).toBe(1);
    expect(on.hits).toBeGreaterThan(off.hits + 32);
  });

  it('does not judge the cache while it is still filling up', () => {
    const router = new SignalRouter<string>({
      cacheSize: 1000,
      cacheWindow: 16,
      cacheMinHitRate: 0.9,
    });
    router.add({ pattern: '**', target: 'all' });
    for (let i = 0; i < 500; i++) router.route(`t${i}`);
    expect(router.cacheStats()).toMatchObject({ enabled: true, disabledCount: 0, size: 500 });
  });

  it('cacheSize 0 turns it off', () => {
    const router = new SignalRouter<string>({ cacheSize: 0 });
    router.add({ pattern: 'a', target: 'x' });
    router.route('a');
    router.route('a');
    expect(router.cacheStats()).toMatchObject({ enabled: false, size: 0, hits: 0, capacity: 0 });
  });
});

describe('SignalRouter: scale', () => {
  it('handles 100-segment types and patterns without stack overflow', () => {
    const segments = Array.from({ length: 100 }, (_, i) => `s${i}`);
    const type = segments.join('.');
    const router = new SignalRouter<string>({ cacheSize: 0 });
    router.add([
      { pattern: type, target: 'exact' },
      { pattern: segments.map((s, i) => (i % 2 === 0 ? s : '*')).join('.'), target: 'alternating' },
      {
        // Eight "**" (at 1, 14, …, 92): the most a pattern may have.
        pattern: segments.map((s, i) => (i % 13 === 1 ? '**' : s)).join('.'),
        target: 'many-globstars',
      },
      { pattern: ['s0', '**', 's99'].join('.'), target: 'ends' },
      { pattern: '**', target: 'all' },
    ]);
    expect(router.route(type)).toEqual(['exact', 'alternating', 'many-globstars', 'ends', 'all']);
    expect(router.route(`${type}.extra`)).toEqual(['all']);
  });

  it('handles very long types (10,000 segments) against several globstars', () => {
    const type = Array.from({ length: 10_000 }, (_, i) => `x${i % 10}`).join('.');
    const router = new SignalRouter<string>({ cacheSize: 0 });
    router.add([
      { pattern: '**.x1.**.x2.**.x9', target: 'three' },
      { pattern: '**.x9', target: 'last' },
      { pattern: '**.x1.**.x2.**.zz', target: 'never' },
    ]);
    // `**.x9` ends where `**.x1.**…` continues with `**`: it ranks first.
    expect(router.route(type)).toEqual(['last', 'three']);
  });

  it('handles deep tries of `**` patterns without duplicates', () => {
    const router = new SignalRouter<number>({ cacheSize: 0 });
    const patterns: string[] = [];
    for (let k = 1; k <= 6; k++) patterns.push(Array.from({ length: k }, () => 'a').join('.**.'));
    patterns.forEach((pattern, i) => router.add({ pattern: `**.${pattern}.**`, target: i }));
    const type = Array.from({ length: 40 }, () => 'a').join('.');
    expect([...router.route(type)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
