// The jido_signal telemetry we used to lack: per-middleware start/stop/skip events with
// durations, an exception event when a middleware throws or times out (beforePublish:
// before anything is recorded), and one circuit-breaker event per counted failure.
import { afterEach, describe, expect, it } from '@jest/globals';
import type {
  MiddlewareExceptionMessage,
  MiddlewareSkipMessage,
  MiddlewareStopMessage,
  MiddlewareCallMessage,
} from '../../../lib/core/bus/middleware-telemetry.js';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import {
  CircuitBreaker,
  type CircuitTelemetryMessage,
} from '../../../lib/core/dispatch/circuit-breaker.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { listen, sig, sleep } from '../bus/helpers.js';

const stops: (() => void)[] = [];
const buses: SignalBus[] = [];

function on<T>(name: string): T[] {
  const l = listen<T>(name);
  stops.push(l.stop);
  return l.messages;
}

afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

describe('middleware telemetry', () => {
  it('start/stop for every hook with durations, skip for a skipping beforeDispatch', async () => {
    const started = on<MiddlewareCallMessage>(TelemetryChannel.MiddlewareStart);
    const stopped = on<MiddlewareStopMessage>(TelemetryChannel.MiddlewareStop);
    const skipped = on<MiddlewareSkipMessage>(TelemetryChannel.MiddlewareSkip);
    const bus = new SignalBus({
      name: 'mw',
      middleware: [
        {
          name: 'slow',
          beforePublish: async () => {
            await sleep(15);
          },
          afterPublish: () => undefined,
          afterDispatch: () => undefined,
        },
        {
          name: 'gate',
          beforeDispatch: (_s, sub) =>
            sub.id === 'blocked' ? { action: 'skip', reason: 'not for you' } : undefined,
        },
      ],
    });
    buses.push(bus);
    await bus.subscribe('**', { subscriptionId: 'open', dispatch: () => undefined });
    await bus.subscribe('**', { subscriptionId: 'blocked', dispatch: () => undefined });
    const signal = sig('a');
    await bus.publish(signal);

    expect(started.map((m) => `${m.middleware}:${m.hook}`).sort()).toEqual(
      [
        'gate:beforeDispatch',
        'gate:beforeDispatch',
        'slow:afterDispatch',
        'slow:afterPublish',
        'slow:beforePublish',
      ].sort(),
    );
    const before = stopped.find((m) => m.hook === 'beforePublish')!;
    expect(before).toMatchObject({
      bus: 'mw',
      middleware: 'slow',
      outcome: 'continue',
      signalCount: 1,
    });
    expect(before.durationMs).toBeGreaterThanOrEqual(10);
    expect(stopped.filter((m) => m.hook === 'beforeDispatch')).toEqual([
      expect.objectContaining({ subscriptionId: 'open', signalId: signal.id, outcome: 'continue' }),
    ]);
    expect(skipped).toEqual([
      expect.objectContaining({
        middleware: 'gate',
        subscriptionId: 'blocked',
        reason: 'not for you',
        durationMs: expect.any(Number),
      }),
    ]);
  });

  it('a beforePublish that times out or throws publishes an exception event before the publish rejects', async () => {
    const failed = on<MiddlewareExceptionMessage>(TelemetryChannel.MiddlewareException);
    const hang = new SignalBus({
      name: 'hang',
      middlewareTimeout: 20,
      middleware: [{ name: 'stuck', beforePublish: () => new Promise<void>(() => undefined) }],
    });
    const boom = new SignalBus({
      name: 'boom',
      middleware: [
        {
          name: 'thrower',
          beforePublish: () => {
            throw new Error('nope');
          },
        },
      ],
    });
    buses.push(hang, boom);
    await expect(hang.publish(sig('a'))).rejects.toMatchObject({ code: 'timeout' });
    await expect(boom.publish(sig('a'))).rejects.toMatchObject({ code: 'middleware_error' });
    expect(failed).toEqual([
      expect.objectContaining({
        bus: 'hang',
        middleware: 'stuck',
        timedOut: true,
        hook: 'beforePublish',
      }),
      expect.objectContaining({ bus: 'boom', middleware: 'thrower', timedOut: false }),
    ]);
    expect(failed[0].durationMs).toBeGreaterThanOrEqual(15);
    expect(failed[1].error.code).toBe('middleware_error');
    expect(await hang.replay()).toEqual([]);
  });

  it('a halting beforeDispatch ends with outcome halt', async () => {
    const stopped = on<MiddlewareStopMessage>(TelemetryChannel.MiddlewareStop);
    const bus = new SignalBus({
      name: 'halt',
      middleware: [{ name: 'wall', beforeDispatch: () => ({ action: 'halt', reason: 'x' }) }],
    });
    buses.push(bus);
    bus.errors$.subscribe(() => undefined);
    await bus.subscribe('**', { dispatch: () => undefined });
    await bus.publish(sig('a'));
    expect(stopped).toEqual([expect.objectContaining({ middleware: 'wall', outcome: 'halt' })]);
  });
});

describe('circuit-breaker failure events', () => {
  it('one event per counted failure, with the count and the state after it; none for non-failures', async () => {
    const failures = on<CircuitTelemetryMessage>(TelemetryChannel.CircuitFailure);
    const breaker = new CircuitBreaker({
      name: 'svc',
      threshold: 3,
      windowMs: 10_000,
      halfOpenAfter: 60_000,
      isFailure: (e) => (e as Error).message !== 'ignored',
    });
    const fail = (message: string) => () => Promise.reject(new Error(message));
    await expect(breaker.run('k', fail('ignored'))).rejects.toThrow('ignored');
    for (let i = 0; i < 3; i++) await expect(breaker.run('k', fail('down'))).rejects.toThrow();
    expect(failures.map((f) => [f.adapter, f.key, f.failures, f.state, f.error])).toEqual([
      ['svc', 'k', 1, 'closed', 'Error'],
      ['svc', 'k', 2, 'closed', 'Error'],
      ['svc', 'k', 3, 'open', 'Error'],
    ]);
  });
});
