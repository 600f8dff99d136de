import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { CircuitState } from 'cockatiel';
import {
  CircuitBreaker,
  WindowBreaker,
  resolveCircuitBreakerSettings,
  type CircuitTelemetryMessage,
} from '../../../lib/core/dispatch/circuit-breaker.js';
import {
  CircuitOpenError,
  DispatchConfigError,
  DispatchError,
} from '../../../lib/core/errors/dispatch.error.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

function record(): { events: [string, CircuitTelemetryMessage][]; stop: () => void } {
  const events: [string, CircuitTelemetryMessage][] = [];
  const names = {
    [TelemetryChannel.CircuitOpen]: 'open',
    [TelemetryChannel.CircuitHalfOpen]: 'half_open',
    [TelemetryChannel.CircuitClose]: 'close',
    [TelemetryChannel.CircuitRejected]: 'rejected',
  } as const;
  const fns = Object.entries(names).map(([channel, name]) => {
    const fn = (m: unknown): void => {
      events.push([name, m as CircuitTelemetryMessage]);
    };
    subscribe(channel, fn);
    return () => unsubscribe(channel, fn);
  });
  return { events, stop: () => fns.forEach((f) => f()) };
}

describe('CircuitBreaker', () => {
  // Only Date is faked: cockatiel and the window read Date.now().
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  const advance = (ms: number): void => {
    jest.setSystemTime(Date.now() + ms);
  };

  it('walks closed → open → half-open → closed, with telemetry at each step', async () => {
    const breaker = new CircuitBreaker({
      name: 'test',
      threshold: 3,
      windowMs: 10_000,
      halfOpenAfter: 30_000,
    });
    const t = record();
    try {
      for (let i = 0; i < 2; i++) await expect(breaker.run('k', boom)).rejects.toThrow('boom');
      expect(breaker.state('k')).toBe('closed');
      expect(breaker.snapshot('k')).toEqual({ key: 'k', state: 'closed', failures: 2 });
      await expect(breaker.run('k', boom)).rejects.toThrow('boom');
      expect(breaker.state('k')).toBe('open');
      expect(breaker.snapshot('k')).toMatchObject({
        state: 'open',
        openedAt: 1_000_000,
        retryAt: 1_030_000,
      });

      const fn = jest.fn(ok);
      const err = await breaker.run('k', fn).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CircuitOpenError);
      expect(err).toMatchObject({
        code: 'circuit_open',
        key: 'k',
        adapter: 'test',
        retryable: true,
      });
      expect(fn).not.toHaveBeenCalled();

      advance(29_999);
      await expect(breaker.run('k', fn)).rejects.toBeInstanceOf(CircuitOpenError);
      advance(1);
      await expect(breaker.run('k', fn)).resolves.toBe('ok');
      expect(fn).toHaveBeenCalledTimes(1);
      expect(breaker.state('k')).toBe('closed');
      expect(breaker.snapshot('k').failures).toBe(0);

      expect(t.events.map(([name]) => name)).toEqual([
        'open',
        'rejected',
        'rejected',
        'half_open',
        'close',
      ]);
      expect(t.events[0][1]).toEqual({
        adapter: 'test',
        key: 'k',
        state: 'open',
        failures: 3,
        error: 'Error',
      });
      expect(t.events[1][1]).toEqual({ adapter: 'test', key: 'k', state: 'open' });
    } finally {
      t.stop();
    }
  });

  it('goes half-open → open again when the probe fails, and waits halfOpenAfter again', async () => {
    const breaker = new CircuitBreaker({ threshold: 1, halfOpenAfter: 1000 });
    await expect(breaker.run('k', boom)).rejects.toThrow('boom');
    expect(breaker.state('k')).toBe('open');
    advance(1000);
    await expect(breaker.run('k', boom)).rejects.toThrow('boom');
    expect(breaker.state('k')).toBe('open');
    advance(999);
    await expect(breaker.run('k', ok)).rejects.toBeInstanceOf(CircuitOpenError);
    advance(1);
    await expect(breaker.run('k', ok)).resolves.toBe('ok');
    expect(breaker.state('k')).toBe('closed');
  });

  it('lets exactly one probe through while half-open; concurrent calls are rejected', async () => {
    const breaker = new CircuitBreaker({ threshold: 1, halfOpenAfter: 10 });
    await expect(breaker.run('k', boom)).rejects.toThrow();
    advance(10);
    let release!: () => void;
    const probe = breaker.run(
      'k',
      () => new Promise<string>((resolve) => (release = () => resolve('probe'))),
    );
    expect(breaker.state('k')).toBe('half_open');
    const other = jest.fn(ok);
    await expect(breaker.run('k', other)).rejects.toMatchObject({
      code: 'circuit_open',
      details: { state: 'half_open' },
    });
    expect(other).not.toHaveBeenCalled();
    release();
    await expect(probe).resolves.toBe('probe');
    expect(breaker.state('k')).toBe('closed');
  });

  it('re-opens when the half-open probe is cancelled', async () => {
    const breaker = new CircuitBreaker({ threshold: 1, halfOpenAfter: 10 });
    await expect(breaker.run('k', boom)).rejects.toThrow();
    advance(10);
    const cancelled = new DispatchError('cancelled', 'test', 'cancelled');
    await expect(breaker.run('k', () => Promise.reject(cancelled))).rejects.toBe(cancelled);
    expect(breaker.state('k')).toBe('open');
  });

  it('counts failures in a sliding window (old failures age out; successes do not reset)', async () => {
    const breaker = new CircuitBreaker({ threshold: 3, windowMs: 1000 });
    await expect(breaker.run('k', boom)).rejects.toThrow();
    advance(600);
    await expect(breaker.run('k', boom)).rejects.toThrow();
    await breaker.run('k', ok);
    advance(500); // the first failure is now 1100 ms old
    await expect(breaker.run('k', boom)).rejects.toThrow();
    expect(breaker.state('k')).toBe('closed');
    expect(breaker.snapshot('k').failures).toBe(2);
    await expect(breaker.run('k', boom)).rejects.toThrow();
    expect(breaker.state('k')).toBe('open');
  });

  it('ignores non-failures (isFailure) and cancellations by default', async () => {
    const breaker = new CircuitBreaker({
      threshold: 1,
      isFailure: (e) => !(e instanceof Error && e.message === 'client'),
    });
    await expect(breaker.run('k', () => Promise.reject(new Error('client')))).rejects.toThrow(
      'client',
    );
    expect(breaker.state('k')).toBe('closed');
    const plain = new CircuitBreaker({ threshold: 1 });
    await expect(
      plain.run('k', () => Promise.reject(new DispatchError('cancelled', 'x', 'c'))),
    ).rejects.toThrow();
    await expect(
      plain.run('k', () => Promise.reject(new DOMException('aborted', 'AbortError'))),
    ).rejects.toThrow();
    expect(plain.state('k')).toBe('closed');
  });

  it('keeps circuits independent per key and lists them for health checks', async () => {
    const breaker = new CircuitBreaker({ threshold: 1 });
    await expect(breaker.run('a', boom)).rejects.toThrow();
    await breaker.run('b', ok);
    expect(breaker.state('a')).toBe('open');
    expect(breaker.state('b')).toBe('closed');
    expect(breaker.state('never-used')).toBe('closed');
    expect(breaker.states().map((s) => [s.key, s.state])).toEqual([
      ['a', 'open'],
      ['b', 'closed'],
    ]);
  });

  it('reset(key) closes one circuit and reset() closes all', async () => {
    const breaker = new CircuitBreaker({ threshold: 1 });
    const t = record();
    try {
      await expect(breaker.run('a', boom)).rejects.toThrow();
      await expect(breaker.run('b', boom)).rejects.toThrow();
      breaker.reset('a');
      expect(breaker.state('a')).toBe('closed');
      expect(breaker.state('b')).toBe('open');
      await expect(breaker.run('a', ok)).resolves.toBe('ok');
      breaker.reset();
      expect(breaker.state('b')).toBe('closed');
      expect(t.events.filter(([n]) => n === 'close').map(([, m]) => m.key)).toEqual(['a', 'b']);
    } finally {
      t.stop();
    }
  });

  it('applies the latest settings to a shared key', async () => {
    const breaker = new CircuitBreaker();
    const strict = { threshold: 1, windowMs: 1000, halfOpenAfter: 5 };
    await expect(breaker.run('k', boom, strict)).rejects.toThrow();
    expect(breaker.state('k')).toBe('open');
    advance(5);
    await expect(breaker.run('k', ok, strict)).resolves.toBe('ok');
  });

  it('runs synchronous functions and returns their value', async () => {
    const breaker = new CircuitBreaker();
    await expect(breaker.run('k', () => 7)).resolves.toBe(7);
  });

  it('validates its options', () => {
    expect(() => new CircuitBreaker({ threshold: 0 })).toThrow(DispatchConfigError);
    expect(() => new CircuitBreaker({ windowMs: 1.5 })).toThrow(DispatchConfigError);
    expect(() => new CircuitBreaker({ halfOpenAfter: -1 })).toThrow(DispatchConfigError);
    expect(resolveCircuitBreakerSettings('http', undefined)).toEqual({
      threshold: 5,
      windowMs: 10_000,
      halfOpenAfter: 30_000,
    });
    expect(resolveCircuitBreakerSettings('http', false)).toBe(false);
    expect(resolveCircuitBreakerSettings('http', { threshold: 2 })).toEqual({
      threshold: 2,
      windowMs: 10_000,
      halfOpenAfter: 30_000,
    });
  });
});

describe('WindowBreaker', () => {
  it('implements cockatiel IBreaker with serializable state', () => {
    const b = new WindowBreaker(2, 60_000);
    expect(b.failure(CircuitState.Closed)).toBe(false);
    expect(b.failure(CircuitState.Closed)).toBe(true);
    const copy = new WindowBreaker(2, 60_000);
    copy.state = b.state;
    expect(copy.count()).toBe(2);
    copy.success(CircuitState.HalfOpen);
    expect(copy.count()).toBe(0);
    copy.state = 'garbage';
    expect(copy.count()).toBe(0);
  });
});
