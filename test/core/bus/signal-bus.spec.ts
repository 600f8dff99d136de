import { describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { SignalBusRegistry } from '../../../lib/core/bus/bus-registry.js';
import {
  BusClosedError,
  BusError,
  BusExistsError,
  BusOptionError,
  InvalidSignalsError,
  SubscriberError,
  SubscriptionExistsError,
  SubscriptionNotFoundError,
} from '../../../lib/core/errors/bus.error.js';
import { DispatchConfigError } from '../../../lib/core/errors/dispatch.error.js';
import { InvalidPatternError, InvalidRouteError } from '../../../lib/core/errors/router.error.js';
import { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import { MemoryStore } from '../../../lib/core/store/memory.store.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { AsyncLocalDeliveryScope } from '../../../lib/core/bus/delivery-scope.js';
import { busFactory, collectErrors, deferred, listen, sig, sleep, until } from './helpers.js';

const newBus = busFactory('bus');

describe('SignalBus publish / subscribe', () => {
  it('records signals with increasing log ids and delivers them to matching subscribers', async () => {
    const bus = newBus();
    const got: string[] = [];
    await bus.subscribe('user.*', { dispatch: (s) => got.push(`user:${s.type}`) });
    await bus.subscribe('order.**', (s) => got.push(`order:${s.type}`));

    const entries = await bus.publish([
      sig('user.created'),
      sig('order'),
      sig('order.line.added'),
      sig('other'),
    ]);

    expect(entries.map((e) => e.signal.type)).toEqual([
      'user.created',
      'order',
      'order.line.added',
      'other',
    ]);
    const ids = entries.map((e) => e.logId);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(4);
    expect(entries.every((e) => typeof e.recordedAt === 'number')).toBe(true);
    expect(got).toEqual(['user:user.created', 'order:order', 'order:order.line.added']);
    expect(await bus.replay('**')).toHaveLength(4);
  });

  it('a handler function gets the signal alone and no `this`, on every delivery path', async () => {
    const calls: Array<{ self: unknown; args: unknown[] }> = [];
    function handler(this: unknown, ...args: unknown[]): Promise<void> {
      calls.push({ self: this, args });
      return Promise.resolve();
    }
    const plain = newBus();
    const observed = newBus({ middleware: [{ name: 'noop', afterDispatch: () => undefined }] });
    const signal = sig('order.created');
    for (const bus of [plain, observed]) {
      await bus.subscribe('order.*', handler);
      await bus.subscribe('**', { dispatch: handler });
      await bus.publish(signal); // two pending deliveries
      await bus.publish([signal, signal]);
    }
    expect(calls).toHaveLength(12);
    for (const call of calls) expect(call).toEqual({ self: undefined, args: [signal] });
  });

  it('a handler may return any thenable, even one that settles inside then()', async () => {
    const bus = newBus();
    const errors = collectErrors(bus);
    // Calls back synchronously, as some hand-written thenables do.
    const eager = (fail: boolean): PromiseLike<void> => ({
      then: (ok, ko) => {
        if (fail) ko?.(new Error('eager no'));
        else ok?.();
        return Promise.resolve() as never;
      },
    });
    await bus.subscribe('order.*', { subscriptionId: 'ok-1', dispatch: () => eager(false) });
    await bus.subscribe('order.*', { subscriptionId: 'ok-2', dispatch: () => eager(false) });
    await bus.subscribe('order.*', { subscriptionId: 'bad', dispatch: () => eager(true) });
    await bus.publish(sig('order.created'));
    await bus.publish([sig('order.created'), sig('order.paid')]);
    const { subscriptions } = await bus.stats();
    expect(subscriptions.map((s) => [s.id, s.delivered, s.failed, s.inFlight])).toEqual([
      ['ok-1', 3, 0, 0],
      ['ok-2', 3, 0, 0],
      ['bad', 0, 3, 0],
    ]);
    expect(errors.map((e) => (e.cause as Error).message)).toEqual(Array(3).fill('eager no'));

    // Persistent: the eager success acks; the eager failure is retried, then dead-lettered.
    const durable = newBus();
    await durable.subscribe('order.*', {
      persistent: true,
      subscriptionId: 'p-ok',
      autoAck: true,
      dispatch: () => eager(false),
    });
    await durable.subscribe('order.*', {
      persistent: true,
      subscriptionId: 'p-bad',
      autoAck: true,
      maxAttempts: 2,
      retryInterval: 0,
      dispatch: () => eager(true),
    });
    await durable.publish([sig('order.created'), sig('order.paid')]);
    await durable.publish(sig('order.shipped'));
    const persisted = async () =>
      (await durable.stats()).subscriptions.map((s) => [
        s.id,
        s.persistence?.acked,
        s.persistence?.deadLettered,
      ]);
    // A thenable is adopted like `await` does: its callbacks run in a later job, so the retry
    // of the last failure may still be on its way when the publish resolves.
    await until(async () => (await persisted())[1][2] === 3);
    expect(await persisted()).toEqual([
      ['p-ok', 3, 0],
      ['p-bad', 0, 3],
    ]);
  });

  it('publish([]) resolves to [] without recording', async () => {
    const bus = newBus();
    await expect(bus.publish([])).resolves.toEqual([]);
    expect((await bus.stats()).logSize).toBe(0);
  });

  it('rejects non-Signal input with a typed error and records nothing', async () => {
    const bus = newBus();
    const seen: Signal[] = [];
    await bus.subscribe('**', (s) => seen.push(s));
    const bad = [sig('a'), { type: 'b', id: 'x' }] as unknown as Signal[];
    const error = await bus.publish(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSignalsError);
    expect((error as InvalidSignalsError).code).toBe('invalid_signal');
    expect((error as InvalidSignalsError).index).toBe(1);
    await expect(bus.publish('nope' as unknown as Signal)).rejects.toMatchObject({
      code: 'invalid_signal',
      index: -1,
    });
    await expect(bus.publish(null as unknown as Signal)).rejects.toBeInstanceOf(
      InvalidSignalsError,
    );
    expect(seen).toEqual([]);
    expect((await bus.stats()).logSize).toBe(0);
  });

  describe('ordering', () => {
    it('delivers in list order within one publish', async () => {
      const bus = newBus();
      const got: number[] = [];
      await bus.subscribe('n', (s) => got.push(s.data as number));
      await bus.publish(Array.from({ length: 50 }, (_, i) => sig('n', i)));
      expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });

    it('keeps call order across concurrent publish calls (log and deliveries)', async () => {
      const bus = newBus();
      const got: number[] = [];
      // An async handler that resolves in reverse order must still be *handed* signals in order.
      await bus.subscribe('n', async (s) => {
        got.push(s.data as number);
        await sleep(5 - ((s.data as number) % 5));
      });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => bus.publish(sig('n', i))),
      );
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
      const logIds = results.map((r) => r[0].logId);
      expect([...logIds].sort()).toEqual(logIds);
      expect((await bus.replay('n')).map((e) => e.signal.data)).toEqual(got);
    });

    it('groups queued publishes into one store append on a bus without middleware; each gets its own entries', async () => {
      const store = new MemoryStore();
      const appends: number[] = [];
      const append = store.appendSync.bind(store);
      store.appendSync = (bus, signals) => {
        appends.push(signals.length);
        return append(bus, signals);
      };
      const bus = newBus({ store });
      const got: number[] = [];
      await bus.subscribe('n', (s) => got.push(s.data as number));
      const results = await Promise.all([
        bus.publish(sig('n', 0)),
        bus.publish([sig('n', 1), sig('n', 2)]),
        bus.publish(sig('n', 3)),
        bus.publish(sig('n', 4)),
      ]);
      expect(results.map((r) => r.map((e) => e.signal.data))).toEqual([[0], [1, 2], [3], [4]]);
      expect(got).toEqual([0, 1, 2, 3, 4]);
      expect(appends).toEqual([1, 4]);
      await store.close();
    });

    it('does not group publishes when middleware is configured (each keeps its own outcome)', async () => {
      const bus = newBus({
        middleware: [
          {
            beforePublish: (signals) =>
              signals[0].data === 'bad' ? { action: 'halt', reason: 'no' } : undefined,
          },
        ],
      });
      const outcomes = await Promise.allSettled([
        bus.publish(sig('n', 'a')),
        bus.publish(sig('n', 'bad')),
        bus.publish(sig('n', 'c')),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((await bus.replay()).map((e) => e.signal.data)).toEqual(['a', 'c']);
    });

    it('serves subscriptions in route order: priority, specificity, registration', async () => {
      const bus = newBus();
      const order: string[] = [];
      const sub = (pattern: string, label: string, priority?: number) =>
        bus.subscribe(pattern, { dispatch: () => order.push(label), priority });
      await sub('**', 'globstar');
      await sub('user.*', 'star');
      await sub('user.created', 'exact-1');
      await sub('user.created', 'exact-2');
      await sub('user.**', 'prefix');
      await sub('**', 'urgent', 50);
      await sub('user.created', 'late', -10);
      await bus.publish(sig('user.created'));
      expect(order).toEqual(['urgent', 'exact-1', 'exact-2', 'star', 'prefix', 'globstar', 'late']);
    });

    it('awaits every ordinary delivery before publish resolves', async () => {
      const bus = newBus();
      let finished = false;
      await bus.subscribe('slow', async () => {
        await sleep(20);
        finished = true;
      });
      await bus.publish(sig('slow'));
      expect(finished).toBe(true);
    });

    it('a handler may await a publish on its own bus (no deadlock), and that publish is delivered', async () => {
      const bus = newBus();
      const got: string[] = [];
      await bus.subscribe('ping', async () => {
        got.push('ping');
        await bus.publish(sig('pong'));
        got.push('ping-done');
      });
      await bus.subscribe('pong', () => {
        got.push('pong');
      });
      await bus.publish(sig('ping'));
      expect(got).toEqual(['ping', 'pong', 'ping-done']);
    });
  });

  describe('isolation of failing subscribers', () => {
    it('reportSubscriberError emits a SubscriberError on errors$ and the channel, counters untouched', async () => {
      const bus = newBus();
      const errors = collectErrors(bus);
      const telemetry = listen<{ error: BusError; subscriptionId: string; signalId: string }>(
        TelemetryChannel.BusError,
      );
      await bus.subscribe('t', { dispatch: () => undefined, subscriptionId: 'handled' });
      const cause = new Error('caught by a wrapper');
      const reported = bus.reportSubscriberError('handled', 'sig-1', cause);
      telemetry.stop();
      expect(reported).toBeInstanceOf(SubscriberError);
      expect(reported).toMatchObject({
        code: 'subscriber_failed',
        bus: bus.name,
        subscriptionId: 'handled',
        signalId: 'sig-1',
        reason: 'dispatch_error',
        cause,
      });
      expect(errors).toEqual([reported]);
      expect(telemetry.messages).toEqual([
        expect.objectContaining({ error: reported, subscriptionId: 'handled', signalId: 'sig-1' }),
      ]);
      const stats = await bus.stats();
      expect(stats.subscriptions[0]).toMatchObject({ delivered: 0, failed: 0 });
      await bus.close();
      expect(() => bus.reportSubscriberError('handled', 'sig-2', cause)).not.toThrow();
      expect(errors).toHaveLength(1);
    });

    it('a throwing or rejecting subscriber neither fails the publish nor affects others; errors are reported', async () => {
      const bus = newBus();
      const errors = collectErrors(bus);
      const telemetry = listen<{ error: BusError; subscriptionId: string }>(
        TelemetryChannel.BusError,
      );
      const got: string[] = [];
      await bus.subscribe('t', {
        dispatch: () => {
          throw new Error('sync boom');
        },
        subscriptionId: 'thrower',
      });
      await bus.subscribe('t', {
        dispatch: async () => Promise.reject(new Error('async boom')),
        subscriptionId: 'rejecter',
      });
      await bus.subscribe('t', {
        dispatch: () => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- a non-Error throw must be reported too
          throw 'a string';
        },
        subscriptionId: 'weird',
      });
      await bus.subscribe('t', { dispatch: (s) => got.push(s.id), subscriptionId: 'ok' });

      const [entry] = await bus.publish(sig('t'));
      telemetry.stop();

      expect(got).toEqual([entry.signal.id]);
      expect(errors).toHaveLength(3);
      for (const e of errors) {
        expect(e).toBeInstanceOf(SubscriberError);
        expect(e.code).toBe('subscriber_failed');
        expect(e.signalId).toBe(entry.signal.id);
        expect(e.bus).toBe(bus.name);
      }
      expect(errors.map((e) => e.subscriptionId).sort()).toEqual(['rejecter', 'thrower', 'weird']);
      const thrower = errors.find((e) => e.subscriptionId === 'thrower') as SubscriberError;
      expect(thrower.cause).toBeInstanceOf(Error);
      expect((thrower.cause as Error).message).toBe('sync boom');
      expect(thrower.reason).toBe('dispatch_error');
      expect(telemetry.messages.filter((m) => m.error instanceof SubscriberError)).toHaveLength(3);

      const stats = await bus.stats();
      const byId = Object.fromEntries(stats.subscriptions.map((s) => [s.id, s]));
      expect(byId.thrower).toMatchObject({ delivered: 0, failed: 1, skipped: 0, inFlight: 0 });
      expect(byId.rejecter).toMatchObject({ delivered: 0, failed: 1 });
      expect(byId.ok).toMatchObject({ delivered: 1, failed: 0 });
    });

    it('delivers through dispatch configs and reports their typed failures', async () => {
      const dispatcher = new Dispatcher();
      const bus = newBus({ dispatcher });
      const errors = collectErrors(bus);
      const got: string[] = [];
      await bus.subscribe('a.*', {
        dispatch: { adapter: 'pid', target: (s: Signal) => got.push(s.type), deliveryMode: 'sync' },
      });
      await bus.subscribe('a.*', {
        dispatch: [
          { adapter: 'noop' },
          {
            adapter: 'pid',
            target: () => {
              throw new Error('nope');
            },
            deliveryMode: 'sync',
          },
        ],
        subscriptionId: 'list',
      });
      await bus.publish(sig('a.b'));
      expect(got).toEqual(['a.b']);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        code: 'subscriber_failed',
        subscriptionId: 'list',
        reason: 'dispatch_failed',
      });
      expect(bus.subscriptions().find((s) => s.id === 'list')!.target).toContain('noop');
      await dispatcher.close();
    });

    it('rejects invalid dispatch configs at subscribe time and registers nothing', async () => {
      const bus = newBus();
      await expect(bus.subscribe('a', { dispatch: { adapter: 'pid' } })).rejects.toBeInstanceOf(
        DispatchConfigError,
      );
      await expect(bus.subscribe('a', { dispatch: { adapter: 'nope' } })).rejects.toMatchObject({
        code: 'invalid_dispatch_config',
      });
      await expect(bus.subscribe('a', { dispatch: [] })).rejects.toBeInstanceOf(BusOptionError);
      await expect(bus.subscribe('a', {} as never)).rejects.toMatchObject({
        code: 'invalid_option',
      });
      expect(bus.subscriptions()).toEqual([]);
    });
  });

  describe('subscription ids and patterns', () => {
    it('returns generated or given ids; duplicates and unknown ids are typed errors', async () => {
      const bus = newBus();
      const generated = await bus.subscribe('a', () => {});
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      await expect(
        bus.subscribe('a', { dispatch: () => {}, subscriptionId: 'mine' }),
      ).resolves.toBe('mine');
      const dup = await bus
        .subscribe('b', { dispatch: () => {}, subscriptionId: 'mine' })
        .catch((e: unknown) => e);
      expect(dup).toBeInstanceOf(SubscriptionExistsError);
      expect(dup).toMatchObject({ code: 'subscription_exists', subscriptionId: 'mine' });
      expect(bus.subscriptions().map((s) => s.pattern)).toEqual(['a', 'a']);

      await bus.unsubscribe('mine');
      await expect(bus.unsubscribe('mine')).rejects.toBeInstanceOf(SubscriptionNotFoundError);
      await expect(bus.unsubscribe('ghost')).rejects.toMatchObject({
        code: 'subscription_not_found',
        subscriptionId: 'ghost',
      });
    });

    it('rejects bad patterns and priorities, registering nothing', async () => {
      const bus = newBus();
      for (const pattern of ['', 'a..b', 'a.**.**', 'a*', '.a']) {
        const error = await bus.subscribe(pattern, () => {}).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidPatternError);
        expect((error as InvalidPatternError).code).toBe('invalid_pattern');
      }
      await expect(
        bus.subscribe('a', { dispatch: () => {}, priority: 101 }),
      ).rejects.toBeInstanceOf(InvalidRouteError);
      await expect(bus.subscribe('a', { dispatch: () => {}, priority: 1.5 })).rejects.toMatchObject(
        { code: 'invalid_route' },
      );
      expect(bus.subscriptions()).toEqual([]);
      expect((await bus.stats()).subscriptionCount).toBe(0);
    });

    it('stops delivering after unsubscribe', async () => {
      const bus = newBus();
      const got: number[] = [];
      const id = await bus.subscribe('n', (s) => got.push(s.data as number));
      await bus.publish(sig('n', 1));
      await bus.unsubscribe(id);
      await bus.publish(sig('n', 2));
      expect(got).toEqual([1]);
    });

    it('an unsubscribe during a publish withholds the remaining deliveries', async () => {
      const bus = newBus();
      const got: string[] = [];
      await bus.subscribe('x', { dispatch: () => void bus.unsubscribe('second'), priority: 10 });
      await bus.subscribe('x', { dispatch: () => got.push('second'), subscriptionId: 'second' });
      await bus.publish(sig('x'));
      expect(got).toEqual([]);
    });
  });

  describe('stats', () => {
    it('reports log size, publish counts and per-subscription counters', async () => {
      const bus = newBus();
      function onA(): void {}
      await bus.subscribe('a', { dispatch: onA, subscriptionId: 'sa' });
      await bus.subscribe('b', {
        dispatch: () => {
          throw new Error('x');
        },
        subscriptionId: 'sb',
      });
      await bus.publish([sig('a'), sig('a'), sig('b'), sig('c')]);
      const stats = await bus.stats();
      expect(stats).toMatchObject({
        bus: bus.name,
        logSize: 4,
        published: 4,
        pendingPublishes: 0,
        subscriptionCount: 2,
      });
      expect(
        stats.subscriptions.map((s) => [s.id, s.delivered, s.failed, s.skipped, s.rateLimited]),
      ).toEqual([
        ['sa', 2, 0, 0, 0],
        ['sb', 0, 1, 0, 0],
      ]);
      expect(stats.partitions).toEqual([
        { index: 0, subscriptions: 2, queued: 0, tokens: Infinity },
      ]);
      expect(stats.subscriptions[0]).toMatchObject({
        kind: 'ordinary',
        persistent: false,
        partition: 0,
        target: 'handler onA',
      });
    });
  });

  describe('close', () => {
    it('drains a publish in flight, then rejects new work with code "closed"; idempotent', async () => {
      // With causality the handler in flight is known to be one: the test's own publish is
      // outside intake (see drain.spec.ts for a bus without causality).
      const bus = newBus({ causality: true });
      const gate = deferred();
      let handled = 0;
      await bus.subscribe('slow', async () => {
        await gate.promise;
        handled++;
      });
      const first = bus.publish(sig('slow'));
      const queued = bus.publish(sig('slow'));
      await sleep(5);
      const closing = bus.close();
      expect(bus.closed).toBe(true);
      await expect(bus.publish(sig('slow'))).rejects.toBeInstanceOf(BusClosedError);
      await expect(bus.subscribe('x', () => {})).rejects.toMatchObject({ code: 'closed' });
      await expect(bus.unsubscribe('x')).rejects.toMatchObject({ code: 'closed' });
      await expect(bus.replay('**')).rejects.toMatchObject({ code: 'closed' });
      await expect(bus.stats()).rejects.toMatchObject({ code: 'closed' });
      await expect(bus.snapshots.list()).rejects.toMatchObject({ code: 'closed' });
      let closed = false;
      void closing.then(() => (closed = true));
      await sleep(10);
      expect(closed).toBe(false);
      gate.resolve();
      await expect(first).resolves.toHaveLength(1);
      await expect(queued).resolves.toHaveLength(1);
      await closing;
      expect(handled).toBe(2);
      expect(bus.close()).toBe(closing);
    });

    it('completes errors$ and closes an owned store but not a shared one', async () => {
      const shared = new MemoryStore();
      const bus = newBus({ store: shared });
      let completed = false;
      bus.errors$.subscribe({ complete: () => (completed = true) });
      await bus.publish(sig('a'));
      await bus.close();
      expect(completed).toBe(true);
      await expect(shared.ping()).resolves.toBeUndefined();
      expect(await shared.size(bus.name)).toBe(1);
      await shared.close();

      const own = newBus();
      const store = own.store;
      await own.close();
      await expect(store.ping()).rejects.toBeInstanceOf(JidoSignalError);
    });

    it('stops waiting after the close timeout', async () => {
      const bus = newBus();
      await bus.subscribe('hang', () => new Promise(() => {}));
      const publish = bus.publish(sig('hang'));
      const started = Date.now();
      await bus.close({ timeout: 30 });
      expect(Date.now() - started).toBeLessThan(1000);
      let settled = false;
      void publish.then(() => (settled = true));
      await sleep(5);
      expect(settled).toBe(false);
    });
  });

  describe('options', () => {
    it('rejects out-of-range options with BusOptionError', () => {
      expect(() => new SignalBus({ name: '' })).toThrow(BusOptionError);
      expect(() => new SignalBus({ name: 'x', partitionCount: 0 })).toThrow(/partitionCount/);
      expect(() => new SignalBus({ name: 'x', maxLogSize: -1 })).toThrow(/maxLogSize/);
      expect(() => new SignalBus({ name: 'x', middlewareTimeout: 1.5 })).toThrow(
        /middlewareTimeout/,
      );
      expect(() => new SignalBus({ name: 'x', partitionRateLimitPerSec: 0 })).toThrow(
        /partitionRateLimitPerSec/,
      );
      expect(() => new SignalBus({ name: 'x', logTtl: 0 })).toThrow(BusOptionError);
      expect(() => new SignalBus({ name: 'x', middleware: [42 as never] })).toThrow(/middleware/);
    });
  });

  describe('delivery scope', () => {
    it('runs each delivery inside the configured scope, including what the handler awaits', async () => {
      const scope = new AsyncLocalDeliveryScope();
      const bus = newBus({ deliveryScope: scope });
      const seen: (string | undefined)[] = [];
      await bus.subscribe('a', {
        subscriptionId: 's1',
        dispatch: async (s) => {
          await sleep(1);
          seen.push(`${scope.current()?.signal.id === s.id}:${scope.current()?.subscriptionId}`);
        },
      });
      await bus.publish(sig('a'));
      expect(seen).toEqual(['true:s1']);
      expect(scope.current()).toBeUndefined();
    });
  });
});

describe('SignalBusRegistry', () => {
  it('creates named buses whose subscriptions can forward to other buses with the bus adapter', async () => {
    const registry = new SignalBusRegistry();
    const audit = registry.create({ name: 'audit' });
    const app = registry.create({ name: 'app' });
    const audited: string[] = [];
    await audit.subscribe('**', (s) => audited.push(s.type));
    await app.subscribe('order.**', { dispatch: { adapter: 'bus', bus: 'audit' } });
    await app.publish([sig('order.created'), sig('user.created')]);
    expect(audited).toEqual(['order.created']);
    expect(registry.get('audit')).toBe(audit);
    expect(registry.names()).toEqual(['audit', 'app']);
    expect(() => registry.create({ name: 'app' })).toThrow(BusExistsError);
    expect(() => registry.register(new SignalBus({ name: 'app' }))).toThrow(BusExistsError);
    expect(registry.register(app)).toBe(app);
    await registry.closeAll();
    expect(registry.size).toBe(0);
    expect(app.closed && audit.closed).toBe(true);
  });

  it('an unknown bus name is a typed dispatch failure reported on errors$', async () => {
    const registry = new SignalBusRegistry();
    const app = registry.create({ name: 'app' });
    const errors = collectErrors(app);
    await app.subscribe('**', { dispatch: { adapter: 'bus', bus: 'missing' } });
    await app.publish(sig('x'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'subscriber_failed', reason: 'bus_not_found' });
    await registry.closeAll();
  });
});
