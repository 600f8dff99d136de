import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HealthCheckService } from '@nestjs/terminus';
import { CircuitBreaker, type Dispatcher, MemoryStore } from '../../lib/index.js';
import type { SignalHealthIndicator } from '../../lib/terminus/index.js';
import { standaloneIndicator, type StandaloneIndicator } from './helpers.js';

describe('SignalHealthIndicator', () => {
  let standalone: StandaloneIndicator;
  let health: HealthCheckService;
  let signals: SignalHealthIndicator;
  let dispatcher: Dispatcher;

  beforeAll(async () => {
    standalone = await standaloneIndicator();
    ({ health, signals, dispatcher } = standalone);
  });

  afterAll(() => standalone.close());

  it('store: up while reachable, down (with the error code) once closed', async () => {
    const store = new MemoryStore();
    const up = await health.check([() => signals.checkStore('store', store)]);
    expect(up.status).toBe('ok');
    expect(up.info?.store?.status).toBe('up');
    await store.close();
    await expect(health.check([() => signals.checkStore('store', store)])).rejects.toMatchObject({
      response: { status: 'error', error: { store: { status: 'down', code: 'closed' } } },
    });
  });

  it('store: a store that never answers is down after the timeout', async () => {
    const store = Object.assign(new MemoryStore(), {
      ping: () => new Promise<void>(() => undefined),
    });
    const result = await signals.checkStore('slow', store, { timeout: 20 });
    expect(result.slow).toMatchObject({ status: 'down', message: 'no answer within 20 ms' });
  });

  it('circuits: down while a circuit is open, naming it', async () => {
    const breaker = new CircuitBreaker({ threshold: 1, windowMs: 10_000, halfOpenAfter: 60_000 });
    expect(signals.checkCircuits('circuits', breaker).circuits?.status).toBe('up');
    await breaker
      .run('http:127.0.0.1:9', () => Promise.reject(new Error('boom')))
      .catch(() => undefined);
    await breaker
      .run('http:127.0.0.1:9', () => Promise.reject(new Error('boom')))
      .catch(() => undefined);
    const result = signals.checkCircuits('circuits', breaker);
    expect(result.circuits).toMatchObject({ status: 'down', open: ['http:127.0.0.1:9'] });
  });

  it('dispatch targets: down when one target is unhealthy or invalid', async () => {
    const ok = await signals.checkDispatchTargets('targets', dispatcher, [
      { adapter: 'probe', healthy: true },
    ]);
    expect(ok.targets).toMatchObject({
      status: 'up',
      targets: [{ adapter: 'probe', healthy: true }],
    });
    const bad = await signals.checkDispatchTargets('targets', dispatcher, [
      { adapter: 'probe', healthy: true },
      { adapter: 'probe', healthy: false },
      { adapter: 'no-such-adapter' },
    ]);
    expect(bad.targets?.status).toBe('down');
    expect(
      (bad.targets as unknown as { targets: Array<{ healthy: boolean }> }).targets.map(
        (t) => t.healthy,
      ),
    ).toEqual([true, false, false]);
  });
});
