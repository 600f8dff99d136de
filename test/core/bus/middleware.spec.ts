import { describe, expect, it } from '@jest/globals';
import type { BusMiddleware, DeliveryResult } from '../../../lib/core/bus/middleware.interface.js';
import { LoggingMiddleware, type BusLogger } from '../../../lib/core/bus/logging.middleware.js';
import {
  MiddlewareError,
  MiddlewareHaltError,
  SubscriberError,
} from '../../../lib/core/errors/bus.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { busFactory, collectErrors, listen, sig, sleep } from './helpers.js';

const newBus = busFactory('mw');

function recorder(name: string, calls: string[]): BusMiddleware {
  return {
    name,
    beforePublish: () => void calls.push(`${name}.beforePublish`),
    afterPublish: () => void calls.push(`${name}.afterPublish`),
    beforeDispatch: () => void calls.push(`${name}.beforeDispatch`),
    afterDispatch: (_s, _sub, result) => void calls.push(`${name}.afterDispatch:${result.status}`),
  };
}

describe('bus middleware', () => {
  it('runs every hook in configuration order (after-hooks not reversed)', async () => {
    const calls: string[] = [];
    const bus = newBus({ middleware: [recorder('A', calls), recorder('B', calls)] });
    await bus.subscribe('t', () => void calls.push('handler'));
    await bus.publish(sig('t'));
    expect(calls).toEqual([
      'A.beforePublish',
      'B.beforePublish',
      'A.beforeDispatch',
      'B.beforeDispatch',
      'handler',
      'A.afterDispatch:ok',
      'B.afterDispatch:ok',
      'A.afterPublish',
      'B.afterPublish',
    ]);
    expect(bus.middleware).toEqual(['A', 'B']);
  });

  it('names unnamed middleware by class or position', () => {
    class Audit implements BusMiddleware {
      beforePublish(): void {}
    }
    const bus = newBus({ middleware: [new Audit(), {}], partitionCount: 1 });
    expect(bus.middleware).toEqual(['Audit', 'middleware#1']);
  });

  describe('beforePublish', () => {
    it('continue with signals replaces what is recorded and delivered; the next middleware sees it', async () => {
      const seenByB: string[] = [];
      const bus = newBus({
        middleware: [
          {
            name: 'A',
            beforePublish: (signals) => ({
              action: 'continue',
              signals: signals.map((s) => s.with({ data: 'changed' })),
            }),
          },
          {
            name: 'B',
            beforePublish: (signals) => void seenByB.push(...signals.map((s) => String(s.data))),
          },
        ],
      });
      const got: unknown[] = [];
      await bus.subscribe('t', (s) => got.push(s.data));
      const [entry] = await bus.publish(sig('t', 'original'));
      expect(entry.signal.data).toBe('changed');
      expect(seenByB).toEqual(['changed']);
      expect(got).toEqual(['changed']);
    });

    it('may drop every signal (publish resolves to [])', async () => {
      const bus = newBus({
        middleware: [{ beforePublish: () => ({ action: 'continue', signals: [] }) }],
      });
      await expect(bus.publish(sig('t'))).resolves.toEqual([]);
      expect((await bus.stats()).logSize).toBe(0);
    });

    it('halt rejects the publish with a typed error; nothing is recorded or delivered; later middleware skipped', async () => {
      const calls: string[] = [];
      const bus = newBus({
        middleware: [
          { name: 'gate', beforePublish: () => ({ action: 'halt', reason: 'maintenance' }) },
          recorder('later', calls),
        ],
      });
      await bus.subscribe('**', () => void calls.push('handler'));
      const error = await bus.publish(sig('t')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MiddlewareHaltError);
      expect(error).toMatchObject({
        code: 'halted',
        middleware: 'gate',
        hook: 'beforePublish',
        reason: 'maintenance',
        bus: bus.name,
      });
      expect(calls).toEqual([]);
      expect((await bus.stats()).logSize).toBe(0);
    });

    it('a throw, an invalid outcome or a timeout rejects with MiddlewareError naming the middleware', async () => {
      const thrower = newBus({
        middleware: [
          {
            name: 'explodes',
            beforePublish: () => {
              throw new Error('kaput');
            },
          },
        ],
      });
      const e1 = await thrower.publish(sig('t')).catch((e: unknown) => e);
      expect(e1).toBeInstanceOf(MiddlewareError);
      expect(e1).toMatchObject({
        code: 'middleware_error',
        middleware: 'explodes',
        hook: 'beforePublish',
      });
      expect((e1 as Error).cause).toBeInstanceOf(Error);

      const invalid = newBus({
        middleware: [{ name: 'odd', beforePublish: () => ({ action: 'skip' }) as never }],
      });
      await expect(invalid.publish(sig('t'))).rejects.toMatchObject({
        code: 'middleware_error',
        middleware: 'odd',
      });
      const notSignals = newBus({
        middleware: [
          { name: 'odd', beforePublish: () => ({ action: 'continue', signals: [1] }) as never },
        ],
      });
      await expect(notSignals.publish(sig('t'))).rejects.toMatchObject({
        code: 'middleware_error',
      });

      const slow = newBus({
        middlewareTimeout: 20,
        middleware: [{ name: 'sloth', beforePublish: () => sleep(200) }],
      });
      const started = Date.now();
      const e2 = await slow.publish(sig('t')).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(150);
      expect(e2).toBeInstanceOf(MiddlewareError);
      expect(e2).toMatchObject({
        code: 'timeout',
        middleware: 'sloth',
        hook: 'beforePublish',
        details: { timeoutMs: 20 },
      });
      expect((await slow.stats()).logSize).toBe(0);
      // A later publish still goes through.
      const ok = newBus({
        middlewareTimeout: 200,
        middleware: [{ beforePublish: () => sleep(5) }],
      });
      await expect(ok.publish(sig('t'))).resolves.toHaveLength(1);
    });
  });

  describe('beforeDispatch', () => {
    it('skip withholds that delivery only; counted and reported on the skip channel, not as an error', async () => {
      const bus = newBus({
        middleware: [
          {
            name: 'picky',
            beforeDispatch: (_s, sub) =>
              sub.id === 'skipped' ? { action: 'skip', reason: 'not you' } : undefined,
          },
        ],
      });
      const errors = collectErrors(bus);
      const skips = listen<{ subscriptionId: string; middleware: string; reason: string }>(
        TelemetryChannel.BusDispatchSkipped,
      );
      const got: string[] = [];
      await bus.subscribe('t', { dispatch: () => got.push('skipped'), subscriptionId: 'skipped' });
      await bus.subscribe('t', { dispatch: () => got.push('kept'), subscriptionId: 'kept' });
      await bus.publish(sig('t'));
      skips.stop();
      expect(got).toEqual(['kept']);
      expect(errors).toEqual([]);
      expect(skips.messages).toMatchObject([
        { subscriptionId: 'skipped', middleware: 'picky', reason: 'not you' },
      ]);
      const stats = await bus.stats();
      expect(stats.subscriptions.find((s) => s.id === 'skipped')).toMatchObject({
        skipped: 1,
        delivered: 0,
        failed: 0,
      });
    });

    it('halt withholds that delivery, reports MiddlewareHaltError on errors$, and the publish still succeeds', async () => {
      const calls: string[] = [];
      const bus = newBus({
        middleware: [
          {
            name: 'stopper',
            beforeDispatch: (s) =>
              s.type === 'bad' ? { action: 'halt', reason: 'blocked' } : undefined,
          },
          recorder('R', calls),
        ],
      });
      const errors = collectErrors(bus);
      const got: string[] = [];
      await bus.subscribe('*', { dispatch: (s) => got.push(s.type), subscriptionId: 's' });
      const entries = await bus.publish([sig('bad'), sig('good')]);
      expect(got).toEqual(['good']);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(MiddlewareHaltError);
      expect(errors[0]).toMatchObject({
        code: 'halted',
        hook: 'beforeDispatch',
        middleware: 'stopper',
        subscriptionId: 's',
        signalId: entries[0].signal.id,
      });
      expect(calls).toContain('R.afterPublish');
      expect((await bus.stats()).subscriptions[0]).toMatchObject({ failed: 1, delivered: 1 });
    });

    it('continue with a signal transforms what is delivered and what the next middleware sees', async () => {
      const seen: unknown[] = [];
      const bus = newBus({
        middleware: [
          {
            beforeDispatch: (s) => ({
              action: 'continue',
              signal: s.with({ data: { n: (s.data as { n: number }).n + 1 } }),
            }),
          },
          { beforeDispatch: (s) => void seen.push(s.data) },
        ],
      });
      const got: unknown[] = [];
      await bus.subscribe('t', (s) => got.push(s.data));
      const [entry] = await bus.publish(sig('t', { n: 1 }));
      expect(seen).toEqual([{ n: 2 }]);
      expect(got).toEqual([{ n: 2 }]);
      expect(entry.signal.data).toEqual({ n: 1 });
    });

    it('a throw or a timeout withholds that delivery and reports MiddlewareError', async () => {
      const bus = newBus({
        middlewareTimeout: 20,
        middleware: [
          {
            name: 'flaky',
            beforeDispatch: (s) => {
              if (s.type === 'throw') throw new Error('bad');
              if (s.type === 'slow') return sleep(200).then(() => undefined);
              return undefined;
            },
          },
        ],
      });
      const errors = collectErrors(bus);
      const got: string[] = [];
      await bus.subscribe('*', { dispatch: (s) => got.push(s.type), subscriptionId: 'x' });
      await bus.publish([sig('throw'), sig('slow'), sig('fine')]);
      expect(got).toEqual(['fine']);
      expect(
        errors.map((e) => [
          e.constructor.name,
          e.code,
          (e as MiddlewareError).middleware,
          e.subscriptionId,
        ]),
      ).toEqual([
        ['MiddlewareError', 'middleware_error', 'flaky', 'x'],
        ['MiddlewareError', 'timeout', 'flaky', 'x'],
      ]);
    });

    it('asynchronous hooks keep delivery order', async () => {
      const bus = newBus({
        middleware: [
          {
            beforeDispatch: async (s) => {
              await sleep((s.data as number) % 2 === 0 ? 8 : 1);
            },
          },
        ],
      });
      const got: number[] = [];
      await bus.subscribe('n', (s) => got.push(s.data as number));
      await Promise.all([
        bus.publish([sig('n', 0), sig('n', 1)]),
        bus.publish([sig('n', 2), sig('n', 3)]),
      ]);
      expect(got).toEqual([0, 1, 2, 3]);
    });
  });

  describe('after hooks', () => {
    it('afterDispatch sees ok and error results; after-hook failures are only reported', async () => {
      const results: DeliveryResult[] = [];
      const bus = newBus({
        middlewareTimeout: 20,
        middleware: [
          { name: 'observer', afterDispatch: (_s, _sub, r) => void results.push(r) },
          {
            name: 'broken',
            afterDispatch: () => {
              throw new Error('after boom');
            },
            afterPublish: () => sleep(200),
          },
        ],
      });
      const errors = collectErrors(bus);
      await bus.subscribe('t', { dispatch: () => {}, subscriptionId: 'good' });
      await bus.subscribe('t', {
        dispatch: () => {
          throw new Error('handler boom');
        },
        subscriptionId: 'bad',
      });
      await expect(bus.publish(sig('t'))).resolves.toHaveLength(1);
      expect(results.map((r) => r.status)).toEqual(['ok', 'error']);
      const failure = results[1] as Extract<DeliveryResult, { status: 'error' }>;
      expect(failure.error).toBeInstanceOf(SubscriberError);
      expect(
        errors.map((e) => `${e.constructor.name}:${e.code}:${(e as MiddlewareError).hook ?? ''}`),
      ).toEqual([
        'MiddlewareError:middleware_error:afterDispatch',
        'SubscriberError:subscriber_failed:',
        'MiddlewareError:middleware_error:afterDispatch',
        'MiddlewareError:timeout:afterPublish',
      ]);
    });

    it('shares a context (bus, publishedAt, metadata) across the hooks of one publish', async () => {
      const seen: unknown[] = [];
      const bus = newBus({
        middleware: [
          {
            beforePublish: (_signals, ctx) => void ctx.metadata.set('trace', 'abc'),
            beforeDispatch: (_s, _sub, ctx) =>
              void seen.push([ctx.bus, ctx.metadata.get('trace'), typeof ctx.logId, ctx.partition]),
            afterPublish: (entries, ctx) =>
              void seen.push([entries.length, ctx.metadata.get('trace'), typeof ctx.publishedAt]),
          },
        ],
      });
      await bus.subscribe('t', () => {});
      await bus.publish(sig('t'));
      expect(seen).toEqual([
        [bus.name, 'abc', 'string', 0],
        [1, 'abc', 'number'],
      ]);
    });
  });

  it('use() appends middleware for later publishes', async () => {
    const bus = newBus();
    const calls: string[] = [];
    await bus.publish(sig('t'));
    bus.use(recorder('late', calls));
    await bus.publish(sig('t'));
    expect(calls).toEqual(['late.beforePublish', 'late.afterPublish']);
    expect(() => bus.use({ beforePublish: 'nope' } as never)).toThrow(
      /beforePublish must be a function/,
    );
  });

  it('runs dispatch hooks in partitions too', async () => {
    const bus = newBus({
      partitionCount: 4,
      middleware: [{ beforeDispatch: (s) => (s.data === 'skip' ? { action: 'skip' } : undefined) }],
    });
    const got: unknown[] = [];
    await bus.subscribe('t', (s) => got.push(s.data));
    await bus.publish([sig('t', 'skip'), sig('t', 'keep')]);
    await sleep(10);
    expect(got).toEqual(['keep']);
  });
});

describe('LoggingMiddleware', () => {
  function capture(): { logger: BusLogger; lines: string[] } {
    const lines: string[] = [];
    const at = (level: string) => (message: string, context?: string) =>
      void lines.push(`${level}|${context}|${message}`);
    return {
      lines,
      logger: {
        log: at('log'),
        error: at('error'),
        warn: at('warn'),
        debug: at('debug'),
        verbose: at('verbose'),
      },
    };
  }

  it('logs publishes and deliveries in jido format, failures at error level', async () => {
    const { logger, lines } = capture();
    const bus = newBus({ name: 'logged', middleware: [new LoggingMiddleware({ logger })] });
    await bus.subscribe('a.*', { dispatch: function onA() {}, subscriptionId: 'sub-a' });
    await bus.subscribe('a.*', {
      dispatch: () => {
        throw new Error('it broke');
      },
      subscriptionId: 'sub-b',
    });
    const [entry] = await bus.publish(sig('a.b'));
    const id = entry.signal.id;
    expect(lines).toEqual([
      'log|SignalBus|Bus logged: publishing 1 signal(s) types=[a.b]',
      `log|SignalBus|Bus logged: dispatching signal id=${id} type=a.b subscription=sub-a pattern=a.* target=handler onA`,
      `log|SignalBus|Bus logged: dispatched signal id=${id} type=a.b subscription=sub-a`,
      `log|SignalBus|Bus logged: dispatching signal id=${id} type=a.b subscription=sub-b pattern=a.* target=handler dispatch`,
      `error|SignalBus|Bus logged: failed dispatch signal id=${id} type=a.b subscription=sub-b reason=dispatch_error: it broke`,
      'log|SignalBus|Bus logged: published 1 signal(s)',
    ]);
  });

  it('includes bounded, sanitized data only when asked; honours level and switches', async () => {
    const { logger, lines } = capture();
    const bus = newBus({
      name: 'quiet',
      middleware: [
        new LoggingMiddleware({
          logger,
          level: 'debug',
          includeData: true,
          maxDataLength: 60,
          logDispatch: false,
          logErrors: false,
          context: 'Audit',
        }),
      ],
    });
    await bus.subscribe('**', () => {
      throw new Error('ignored');
    });
    await bus.publish(sig('login', { user: 'ann', password: 'hunter2', note: 'x'.repeat(200) }));
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.startsWith('debug|Audit|'))).toBe(true);
    expect(lines[1]).toContain('"password":"[REDACTED]"');
    expect(lines[1]).not.toContain('hunter2');
    expect(lines[1].split('data=')[1].length).toBeLessThanOrEqual(60);
  });

  it('never changes signals or flow', async () => {
    const { logger } = capture();
    const bus = newBus({ middleware: [new LoggingMiddleware({ logger, logPublish: false })] });
    const got: Signal[] = [];
    await bus.subscribe('t', (s) => got.push(s));
    const [entry] = await bus.publish(sig('t', 1));
    expect(got).toEqual([entry.signal]);
  });
});
