import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type {
  DeliveryContext,
  DispatchAdapter,
  DispatchConfig,
} from '../../../lib/core/dispatch/adapter.interface.js';
import { AdapterRegistry } from '../../../lib/core/dispatch/adapter-registry.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { FAILURE_EXTENSIONS } from '../../../lib/core/dispatch/dispatcher-options.js';
import {
  DispatchAggregateError,
  DispatchConfigError,
  DispatchError,
  DispatchTimeoutError,
} from '../../../lib/core/errors/dispatch.error.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';
import { rejection, thrown } from '../../helpers/errors.js';

const signal = createSignal('order.created', { orderId: 'o-1' }, { source: '/orders' });

/** An adapter that records deliveries and waits `delay` ms (`0` = synchronous). */
class SlowAdapter implements DispatchAdapter<{ delay: number; fail?: unknown }> {
  readonly name = 'slow';
  readonly delivered: Signal[] = [];
  readonly contexts: DeliveryContext[] = [];
  validations = 0;
  active = 0;
  maxActive = 0;

  validateOptions(options: Readonly<Record<string, unknown>>): { delay: number; fail?: unknown } {
    this.validations++;
    const delay = options.delay ?? 0;
    if (typeof delay !== 'number' || delay < 0) {
      throw new DispatchConfigError(this.name, 'delay', '"delay" must be a non-negative number');
    }
    return { delay, fail: options.fail };
  }

  async deliver(
    s: Signal,
    options: { delay: number; fail?: unknown },
    ctx: DeliveryContext,
  ): Promise<void> {
    this.contexts.push(ctx);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (options.delay > 0) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, options.delay);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(ctx.signal.reason as Error);
          });
        });
      }
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the test throws non-Error values on purpose
      if (options.fail !== undefined) throw options.fail;
      this.delivered.push(s);
    } finally {
      this.active--;
    }
  }

  describeTarget(options: { delay: number }): string {
    return `slow ${options.delay}ms`;
  }
}

const dispatchers: Dispatcher[] = [];
function make(...adapters: DispatchAdapter<unknown>[]): Dispatcher {
  const d = new Dispatcher({ adapters });
  dispatchers.push(d);
  return d;
}

afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.close()));
});

describe('Dispatcher: adapter resolution', () => {
  it('registers the built-in adapters by name', () => {
    const d = make();
    expect(d.adapters.names()).toEqual(
      expect.arrayContaining(['pid', 'named', 'pubsub', 'bus', 'logger', 'console', 'noop']),
    );
    expect(new Dispatcher({ builtInAdapters: false }).adapters.names()).toEqual([]);
  });

  it('delivers through a registered custom adapter, a config-held object and a class', async () => {
    const registered = new SlowAdapter();
    const d = make(registered);
    await d.dispatch(signal, { adapter: 'slow' });
    expect(registered.delivered).toEqual([signal]);

    const inline = new SlowAdapter();
    await d.dispatch(signal, { adapter: inline });
    expect(inline.delivered).toEqual([signal]);

    const seen: Signal[] = [];
    class Recording implements DispatchAdapter<Record<string, unknown>> {
      readonly name = 'recording';
      validateOptions(o: Readonly<Record<string, unknown>>) {
        return { ...o };
      }
      deliver(s: Signal) {
        seen.push(s);
      }
    }
    await d.dispatch(signal, { adapter: Recording });
    await d.dispatch(signal, { adapter: Recording });
    expect(seen).toHaveLength(2);
  });

  it('rejects an unknown adapter name with a DispatchConfigError listing the registered names', async () => {
    const d = make();
    const error = await rejection(d.dispatch(signal, { adapter: 'carrier-pigeon' }));
    expect(error).toBeInstanceOf(DispatchConfigError);
    expect(error.code).toBe('invalid_dispatch_config');
    expect((error as DispatchConfigError).field).toBe('adapter');
    expect(error.message).toContain('carrier-pigeon');
    expect(error.message).toContain('pid, named, pubsub, bus, logger, console, noop');
    expect(error.details.registered).toEqual(d.adapters.names());
  });

  it('rejects adapter objects and classes that lack the contract', async () => {
    const d = make();
    const noDeliver = await rejection(
      d.dispatch(signal, { adapter: { name: 'x', validateOptions: () => ({}) } as never }),
    );
    expect(noDeliver).toBeInstanceOf(DispatchConfigError);
    expect(noDeliver.message).toContain('deliver()');
    expect(noDeliver.message).toContain('Registered adapters: pid');

    class Empty {}
    const emptyClass = await rejection(d.dispatch(signal, { adapter: Empty as never }));
    expect(emptyClass.message).toContain('lacks validateOptions(), deliver()');
    const emptyName = await rejection(
      d.dispatch(signal, {
        adapter: { name: '', validateOptions: () => ({}), deliver: () => undefined } as never,
      }),
    );
    expect(emptyName.message).toContain('lacks name');

    const arrow = await rejection(d.dispatch(signal, { adapter: (() => 1) as never }));
    expect(arrow).toBeInstanceOf(DispatchConfigError);

    for (const bad of [undefined, null, 42]) {
      const e = await rejection(d.dispatch(signal, { adapter: bad as never }));
      expect(e).toBeInstanceOf(DispatchConfigError);
    }
    const notObject = await rejection(d.dispatch(signal, 'noop' as never));
    expect(notObject).toBeInstanceOf(DispatchConfigError);
  });

  it('accepts an adapter object without a name (DESIGN §4), named custom or after its class', async () => {
    const d = make();
    const got: string[] = [];
    const inline = { validateOptions: () => ({}), deliver: (s: Signal) => void got.push(s.type) };
    await d.dispatch(signal, { adapter: inline });
    expect(got).toEqual([signal.type]);
    expect(d.validate({ adapter: inline })).toMatchObject({ adapter: 'custom' });
    class Mailer {
      validateOptions(): Record<string, never> {
        return {};
      }
      deliver(): void {}
    }
    expect(d.validate({ adapter: new Mailer() })).toMatchObject({ adapter: 'Mailer' });
  });

  it('lets a registration replace a built-in and re-validates cached configs', async () => {
    const d = make();
    const config: DispatchConfig = { adapter: 'noop' };
    await d.dispatch(signal, config);
    const fake = new SlowAdapter();
    d.adapters.register({ ...fakeAs('noop', fake) });
    await d.dispatch(signal, config);
    expect(fake.delivered).toEqual([signal]);
    expect(d.adapters.unregister('noop')).toBe(true);
    expect((await rejection(d.dispatch(signal, config))).message).toContain(
      '"noop" is not registered',
    );
  });

  it('AdapterRegistry.register rejects non-adapters', () => {
    const registry = new AdapterRegistry();
    expect(() => registry.register({} as never)).toThrow(DispatchConfigError);
    expect(registry.names()).toEqual([]);
  });

  it('rejects a non-Signal and a closed dispatcher with typed errors', async () => {
    const d = make();
    expect((await rejection(d.dispatch({ type: 'x' } as never, { adapter: 'noop' }))).code).toBe(
      'invalid_signal',
    );
    await d.close();
    await d.close();
    expect((await rejection(d.dispatch(signal, { adapter: 'noop' }))).code).toBe('closed');
    expect((await rejection(d.dispatchBatch(signal, []))).code).toBe('closed');
  });

  it('validates its own options', () => {
    expect(() => new Dispatcher({ maxConcurrency: 0 })).toThrow(DispatchConfigError);
    expect(() => new Dispatcher({ timeout: -1 })).toThrow(DispatchConfigError);
  });
});

function fakeAs(name: string, inner: SlowAdapter): DispatchAdapter<unknown> {
  return {
    name,
    validateOptions: () => ({ delay: 0 }),
    deliver: (s, o, ctx) => inner.deliver(s, o as { delay: number }, ctx),
  };
}

describe('Dispatcher: options validation', () => {
  it('validates options once per config object, not per delivery', async () => {
    const adapter = new SlowAdapter();
    const d = make(adapter);
    const config = { adapter: 'slow', delay: 0 };
    for (let i = 0; i < 5; i++) await d.dispatch(signal, config);
    await d.dispatch(signal, [config, config]);
    await d.dispatchBatch(signal, [config, config, config]);
    expect(adapter.validations).toBe(1);
    expect(adapter.delivered).toHaveLength(10);
    // A different object with the same content is validated on its own.
    await d.dispatch(signal, { adapter: 'slow', delay: 0 });
    expect(adapter.validations).toBe(2);
  });

  it('validate() returns the normalized config and caches it for dispatch', async () => {
    const adapter = new SlowAdapter();
    const d = make(adapter);
    const config = { adapter: 'slow', delay: 1, onFailure: { adapter: 'noop' } };
    const validated = d.validate(config);
    expect(validated).toEqual({
      adapter: 'slow',
      target: 'slow 1ms',
      options: { delay: 1, fail: undefined },
      onFailure: [{ adapter: 'noop', target: 'noop', options: {}, onFailure: [] }],
    });
    await d.dispatch(signal, config);
    expect(adapter.validations).toBe(1);
  });

  it('validate() of a list throws one aggregate listing each invalid index', () => {
    const d = make(new SlowAdapter());
    const error = thrown(() =>
      d.validate([{ adapter: 'noop' }, { adapter: 'slow', delay: -1 }, { adapter: 'nope' }]),
    ) as DispatchAggregateError;
    expect(error).toBeInstanceOf(DispatchAggregateError);
    expect(error.failures.map((f) => [f.index, f.adapter, f.error.code])).toEqual([
      [1, 'slow', 'invalid_dispatch_config'],
      [2, 'unknown', 'invalid_dispatch_config'],
    ]);
  });

  it('wraps whatever validateOptions throws into a DispatchConfigError', async () => {
    const d = make();
    const adapter = {
      name: 'throwing',
      validateOptions: () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- validateOptions may throw anything
        throw 'not an error';
      },
      deliver: () => {},
    };
    const error = await rejection(d.dispatch(signal, { adapter }));
    expect(error).toBeInstanceOf(DispatchConfigError);
    expect((error as DispatchConfigError).adapter).toBe('throwing');
    expect(error.message).toContain('not an error');
  });

  it('names the onFailure path of an invalid fallback', async () => {
    const d = make();
    const error = (await rejection(
      d.dispatch(signal, { adapter: 'noop', onFailure: [{ adapter: 'noop' }, { adapter: 'pid' }] }),
    )) as DispatchConfigError;
    expect(error.field).toBe('onFailure[1].target');
  });
});

describe('Dispatcher: adapter failures become typed errors', () => {
  const failures: [string, unknown][] = [
    ['an Error', new Error('boom')],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['an object', { reason: 'boom' }],
  ];

  it.each(failures)(
    'a synchronous throw of %s → DispatchError dispatch_error',
    async (_label, value) => {
      const d = make();
      const adapter = {
        name: 'thrower',
        validateOptions: () => ({}),
        deliver: () => {
          throw value;
        },
      };
      const error = await rejection(d.dispatch(signal, { adapter }));
      expect(error).toBeInstanceOf(DispatchError);
      expect(error.code).toBe('dispatch_error');
      expect((error as DispatchError).adapter).toBe('thrower');
      expect(error.cause).toBe(value);
    },
  );

  it.each(failures)('a rejection with %s → DispatchError dispatch_error', async (_label, value) => {
    const d = make();
    class Rejecting implements DispatchAdapter<unknown> {
      readonly name = 'rejecting';
      validateOptions() {
        return {};
      }
      deliver() {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- adapters may reject with anything
        return Promise.reject(value);
      }
    }
    const error = await rejection(d.dispatch(signal, { adapter: Rejecting }));
    expect(error.code).toBe('dispatch_error');
    expect(error.cause).toBe(value);
  });

  it('keeps library errors as they are', async () => {
    const d = make();
    const own = new DispatchError('process_not_found', 'custom', 'gone');
    const adapter = {
      name: 'custom',
      validateOptions: () => ({}),
      deliver: () => Promise.reject(own),
    };
    expect(await rejection(d.dispatch(signal, { adapter }))).toBe(own);
  });

  it('never produces an unhandled rejection, whatever the adapter does', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const d = make();
      const adapters = [
        { name: 'a', validateOptions: () => ({}), deliver: () => Promise.reject(new Error('x')) },
        {
          name: 'b',
          validateOptions: () => ({}),
          deliver: () => {
            throw new Error('y');
          },
        },
        {
          name: 'c',
          validateOptions: () => ({}),
          deliver: () =>
            ({
              then: () => {
                throw new Error('bad thenable');
              },
            }) as unknown as Promise<void>,
        },
      ];
      const configs = adapters.map((adapter) => ({ adapter }));
      const batch = await d.dispatchBatch(signal, configs);
      expect(batch.failed.map((f) => f.error.code)).toEqual([
        'dispatch_error',
        'dispatch_error',
        'dispatch_error',
      ]);
      await rejection(d.dispatch(signal, configs));
      const handle = d.dispatchAsync(signal, configs);
      handle.cancel();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('Dispatcher: list dispatch', () => {
  it('resolves when every target succeeds; an empty list resolves', async () => {
    const d = make();
    const seen: string[] = [];
    await d.dispatch(signal, [
      { adapter: 'pid', target: () => seen.push('a'), deliveryMode: 'sync' },
      { adapter: 'pid', target: () => seen.push('b'), deliveryMode: 'sync' },
    ]);
    expect(seen.sort()).toEqual(['a', 'b']);
    await expect(d.dispatch(signal, [])).resolves.toBeUndefined();
  });

  it('rejects with one aggregate listing each failed index, adapter and reason; the rest is delivered', async () => {
    const adapter = new SlowAdapter();
    const d = make(adapter);
    const error = (await rejection(
      d.dispatch(signal, [
        { adapter: 'slow', delay: 5 },
        { adapter: 'slow', fail: new Error('refused') },
        { adapter: 'nope' },
        { adapter: 'slow', delay: 1 },
        { adapter: 'named', name: 'missing' },
      ]),
    )) as DispatchAggregateError;
    expect(error).toBeInstanceOf(DispatchAggregateError);
    expect(error.code).toBe('dispatch_failed');
    expect(error.failures.map((f) => [f.index, f.adapter, f.error.code])).toEqual([
      [1, 'slow', 'dispatch_error'],
      [2, 'unknown', 'invalid_dispatch_config'],
      [4, 'named', 'process_not_found'],
    ]);
    expect(error.message).toContain('3 of 5 dispatch targets failed');
    expect(adapter.delivered).toHaveLength(2);
  });

  it('runs the targets in parallel: 10 × 100 ms finishes well under 1 s', async () => {
    const adapter = new SlowAdapter();
    const d = make(adapter);
    const configs = Array.from({ length: 10 }, () => ({ adapter: 'slow', delay: 100 }));
    const started = performance.now();
    await d.dispatch(signal, configs);
    expect(performance.now() - started).toBeLessThan(600);
    expect(adapter.maxActive).toBe(10);
  });

  it('never runs more than maxConcurrency deliveries at once', async () => {
    const adapter = new SlowAdapter();
    const d = new Dispatcher({ adapters: [adapter], maxConcurrency: 3 });
    dispatchers.push(d);
    await d.dispatch(
      signal,
      Array.from({ length: 10 }, () => ({ adapter: 'slow', delay: 5 })),
    );
    expect(adapter.maxActive).toBe(3);
    expect(adapter.delivered).toHaveLength(10);
  });
});

describe('Dispatcher: dispatchBatch', () => {
  it('never rejects for failures and reports { delivered, failed } including invalid configs', async () => {
    const adapter = new SlowAdapter();
    const d = make(adapter);
    const result = await d.dispatchBatch(signal, [
      { adapter: 'slow', delay: 2 },
      { adapter: 'slow', delay: -5 },
      { adapter: 'slow', fail: 'nope' },
      { adapter: 'noop' },
      null as never,
    ]);
    expect(result.delivered).toBe(2);
    expect(result.failed.map((f) => [f.index, f.adapter, f.error.code])).toEqual([
      [1, 'slow', 'invalid_dispatch_config'],
      [2, 'slow', 'dispatch_error'],
      [4, 'unknown', 'invalid_dispatch_config'],
    ]);
  });

  it('honours its own maxConcurrency and an empty list', async () => {
    const adapter = new SlowAdapter();
    const d = make(adapter);
    const configs = Array.from({ length: 8 }, () => ({ adapter: 'slow', delay: 5 }));
    expect(await d.dispatchBatch(signal, configs, { maxConcurrency: 2 })).toEqual({
      delivered: 8,
      failed: [],
    });
    expect(adapter.maxActive).toBe(2);
    expect(await d.dispatchBatch(signal, [])).toEqual({ delivered: 0, failed: [] });
    expect((await rejection(d.dispatchBatch(signal, configs, { maxConcurrency: 0 }))).code).toBe(
      'invalid_dispatch_config',
    );
  });

  it('reports unfinished targets as cancelled when its signal aborts, and still resolves', async () => {
    const adapter = new SlowAdapter();
    const d = new Dispatcher({ adapters: [adapter], maxConcurrency: 2 });
    dispatchers.push(d);
    const controller = new AbortController();
    const configs = [
      { adapter: 'noop' },
      { adapter: 'slow', delay: 10_000 },
      { adapter: 'slow', delay: 10_000 },
      { adapter: 'slow', delay: 10_000 },
    ];
    const pending = d.dispatchBatch(signal, configs, { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    const result = await pending;
    expect(result.delivered).toBe(1);
    expect(result.failed.map((f) => [f.index, f.error.code])).toEqual([
      [1, 'cancelled'],
      [2, 'cancelled'],
      [3, 'cancelled'],
    ]);
    expect(adapter.contexts.every((c) => c.signal.aborted)).toBe(true);
  });
});

describe('Dispatcher: dispatchAsync', () => {
  it('returns a handle whose result resolves after delivery', async () => {
    const adapter = new SlowAdapter();
    const d = make(adapter);
    const handle = d.dispatchAsync(signal, { adapter: 'slow', delay: 5 });
    await handle.result;
    expect(adapter.delivered).toEqual([signal]);
    handle.cancel(); // no-op after completion
    await expect(handle.result).resolves.toBeUndefined();
  });

  it('cancel() aborts the AbortSignal the adapter got and rejects with code cancelled', async () => {
    const adapter = new SlowAdapter();
    const d = make(adapter);
    const handle = d.dispatchAsync(signal, { adapter: 'slow', delay: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    handle.cancel('user left');
    const error = await rejection(handle.result);
    expect(error.code).toBe('cancelled');
    expect(error.message).toContain('user left');
    expect(adapter.contexts[0].signal.aborted).toBe(true);
    expect(adapter.contexts[0].signal.reason).toBe(error);
  });

  it('cancels every target of a list', async () => {
    const adapter = new SlowAdapter();
    const d = make(adapter);
    const handle = d.dispatchAsync(signal, [
      { adapter: 'slow', delay: 10_000 },
      { adapter: 'slow', delay: 10_000 },
    ]);
    handle.cancel();
    expect((await rejection(handle.result)).code).toBe('cancelled');
    expect(adapter.contexts.map((c) => c.signal.aborted)).toEqual([true, true]);
  });

  it('times out with a DispatchTimeoutError and aborts the delivery', async () => {
    jest.useFakeTimers();
    try {
      const adapter = new SlowAdapter();
      const d = make(adapter);
      const handle = d.dispatchAsync(signal, { adapter: 'slow', delay: 10_000 }, { timeout: 50 });
      jest.advanceTimersByTime(50);
      const error = await rejection(handle.result);
      expect(error).toBeInstanceOf(DispatchTimeoutError);
      expect(error.code).toBe('timeout');
      expect((error as DispatchTimeoutError).timeout).toBe(50);
      expect(adapter.contexts[0].signal.aborted).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('throws synchronously for invalid configs, before starting anything', () => {
    const adapter = new SlowAdapter();
    const d = make(adapter);
    expect(() => d.dispatchAsync(signal, { adapter: 'slow', delay: -1 })).toThrow(
      DispatchConfigError,
    );
    expect(() => d.dispatchAsync(signal, [{ adapter: 'slow' }, { adapter: 'x' }])).toThrow(
      DispatchAggregateError,
    );
    expect(adapter.contexts).toHaveLength(0);
  });

  it('leaves no unhandled rejection when the result is never awaited', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const d = make(new SlowAdapter());
      d.dispatchAsync(signal, { adapter: 'slow', delay: 10_000 }).cancel();
      d.dispatchAsync(signal, { adapter: 'slow', fail: new Error('x') });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('Dispatcher: timeouts and cancellation of dispatch()', () => {
  it('fails a delivery that exceeds the dispatcher timeout and aborts its signal', async () => {
    const adapter = new SlowAdapter();
    const d = new Dispatcher({ adapters: [adapter], timeout: 20 });
    dispatchers.push(d);
    const error = await rejection(d.dispatch(signal, { adapter: 'slow', delay: 10_000 }));
    expect(error).toBeInstanceOf(DispatchTimeoutError);
    expect(error.details).toMatchObject({ adapter: 'slow', timeout: 20, target: 'slow 10000ms' });
    expect(adapter.contexts[0].signal.aborted).toBe(true);
  });

  it('accepts an external AbortSignal (already aborted or aborted later)', async () => {
    const adapter = new SlowAdapter();
    const d = make(adapter);
    const error = await rejection(
      d.dispatch(signal, { adapter: 'slow', delay: 1 }, { signal: AbortSignal.abort('stop') }),
    );
    expect(error.code).toBe('cancelled');
    expect(adapter.contexts).toHaveLength(0);

    const controller = new AbortController();
    const pending = d.dispatch(
      signal,
      { adapter: 'slow', delay: 10_000 },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 5);
    expect((await rejection(pending)).code).toBe('cancelled');
    expect(adapter.contexts[0].signal.aborted).toBe(true);
  });

  it('a per-call timeout rejects with DispatchTimeoutError', async () => {
    const d = make(new SlowAdapter());
    const error = await rejection(
      d.dispatch(signal, [{ adapter: 'slow', delay: 10_000 }], { timeout: 10 }),
    );
    expect(error).toBeInstanceOf(DispatchTimeoutError);
  });

  it('gives each delivery a context: attempt 1, no failure, a live AbortSignal', async () => {
    const d = make();
    let ctx: DeliveryContext | undefined;
    const adapter = {
      name: 'peek',
      validateOptions: () => ({}),
      deliver: (_s: Signal, _o: unknown, c: DeliveryContext) => {
        ctx = c;
      },
    };
    await d.dispatch(signal, { adapter });
    expect(ctx!.attempt).toBe(1);
    expect(ctx!.failure).toBeUndefined();
    expect(ctx!.signal.aborted).toBe(false);
  });
});

describe('Dispatcher: onFailure fallbacks', () => {
  it('fires the fallback only when the primary fails, and still reports the primary error', async () => {
    const d = make(new SlowAdapter());
    const dead: Signal[] = [];
    const fallback = { adapter: 'pid', target: (s: Signal) => dead.push(s), deliveryMode: 'sync' };

    await d.dispatch(signal, { adapter: 'slow', delay: 1, onFailure: fallback });
    expect(dead).toHaveLength(0);

    const error = await rejection(
      d.dispatch(signal, { adapter: 'slow', fail: new Error('down'), onFailure: fallback }),
    );
    expect(error.code).toBe('dispatch_error');
    expect(dead).toHaveLength(1);
    expect(dead[0].id).toBe(signal.id);
    expect(dead[0].data).toEqual(signal.data);
    expect(dead[0].extensions).toMatchObject({
      [FAILURE_EXTENSIONS.code]: 'dispatch_error',
      [FAILURE_EXTENSIONS.adapter]: 'slow',
      [FAILURE_EXTENSIONS.target]: 'slow 0ms',
    });
  });

  it('gives fallback adapters the failure in their context, fires every fallback of a list', async () => {
    const contexts: DeliveryContext[] = [];
    const recorder = {
      name: 'recorder',
      validateOptions: () => ({}),
      deliver: (_s: Signal, _o: unknown, ctx: DeliveryContext) => {
        contexts.push(ctx);
      },
    };
    const d = make();
    const result = await d.dispatchBatch(signal, [
      { adapter: 'named', name: 'gone', onFailure: [{ adapter: recorder }, { adapter: recorder }] },
    ]);
    expect(result.failed[0].error.code).toBe('process_not_found');
    expect(contexts).toHaveLength(2);
    expect(contexts[0].failure).toMatchObject({ adapter: 'named', target: 'gone' });
    expect(contexts[0].failure!.error).toBe(result.failed[0].error);
  });

  it('does not fire fallbacks after a cancel', async () => {
    const d = make(new SlowAdapter());
    const dead: Signal[] = [];
    const handle = d.dispatchAsync(signal, {
      adapter: 'slow',
      delay: 10_000,
      onFailure: { adapter: 'pid', target: (s: Signal) => dead.push(s), deliveryMode: 'sync' },
    });
    handle.cancel();
    await rejection(handle.result);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(dead).toHaveLength(0);
  });
});

describe('Dispatcher: healthCheck and close', () => {
  it('asks the adapter, reports adapters without a check as healthy and unchecked', async () => {
    const d = make();
    expect(await d.healthCheck({ adapter: 'pid', target: () => {} })).toMatchObject({
      healthy: true,
      adapter: 'pid',
      target: 'function target',
    });
    expect(await d.healthCheck({ adapter: 'noop' })).toMatchObject({
      healthy: true,
      details: { checked: false },
    });
    expect(await d.healthCheck({ adapter: 'named', name: 'nobody' })).toMatchObject({
      healthy: false,
    });
    const throwing = {
      name: 'sick',
      validateOptions: () => ({}),
      deliver: () => {},
      healthCheck: () => Promise.reject(new Error('unreachable')),
    };
    expect(await d.healthCheck({ adapter: throwing })).toMatchObject({
      healthy: false,
      details: { code: 'dispatch_error' },
    });
    await expect(d.healthCheck({ adapter: 'nope' })).rejects.toBeInstanceOf(DispatchConfigError);
  });

  it('closes registered adapters and class-instantiated ones', async () => {
    const closed: string[] = [];
    class Closable implements DispatchAdapter<unknown> {
      readonly name = 'closable';
      validateOptions() {
        return {};
      }
      deliver() {}
      close() {
        closed.push('class');
      }
    }
    const registered = {
      name: 'registered',
      validateOptions: () => ({}),
      deliver: () => {},
      close: () => {
        closed.push('registered');
      },
    };
    const d = new Dispatcher({ adapters: [registered] });
    await d.dispatch(signal, { adapter: Closable });
    await d.close();
    expect(closed.sort()).toEqual(['class', 'registered']);
  });
});
