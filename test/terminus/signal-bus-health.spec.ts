import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import {
  CircuitBreaker,
  Dispatcher,
  MemoryStore,
  SignalBus,
  createSignal,
} from '../../lib/index.js';
import { JidoSignalModule, OnSignal, getSignalBusToken } from '../../lib/nest/index.js';
import { SignalHealthIndicator } from '../../lib/terminus/index.js';
import { standaloneIndicator, type StandaloneIndicator } from './helpers.js';

/** Resolves once the bus's DLQ holds `n` entries. */
async function dlqDepth(bus: SignalBus, n: number): Promise<void> {
  const end = Date.now() + 2000;
  while ((await bus.store.dlqSize(bus.name)) < n) {
    if (Date.now() > end) throw new Error('DLQ did not fill in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A bus whose persistent subscription dead-letters everything at the first failure. */
async function busWithDeadLetters(name: string, count: number): Promise<SignalBus> {
  const bus = new SignalBus({ name });
  await bus.subscribe('job.*', {
    persistent: true,
    subscriptionId: 'worker',
    maxAttempts: 1,
    dispatch: () => {
      throw new Error('always fails');
    },
  });
  for (let i = 0; i < count; i++) await bus.publish(createSignal('job.run', { i }));
  await dlqDepth(bus, count);
  return bus;
}

describe('SignalHealthIndicator.checkBus (standalone, real TerminusModule)', () => {
  let standalone: StandaloneIndicator;
  let health: HealthCheckService;
  let signals: SignalHealthIndicator;
  let dispatcher: Dispatcher;
  const buses: SignalBus[] = [];

  beforeAll(async () => {
    standalone = await standaloneIndicator();
    ({ health, signals, dispatcher } = standalone);
  });

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  afterAll(() => standalone.close());

  it('healthy → up, with the subscriptions and their counters', async () => {
    const bus = new SignalBus({ name: 'orders' });
    buses.push(bus);
    await bus.subscribe('order.*', { subscriptionId: 'billing', dispatch: () => undefined });
    await bus.publish(createSignal('order.created'));
    const result = await health.check([() => signals.checkBus('orders', bus, { maxDlqDepth: 0 })]);
    expect(result.status).toBe('ok');
    expect(result.info?.orders).toMatchObject({
      status: 'up',
      closed: false,
      problems: [],
      dlqDepth: 0,
      logSize: 1,
      published: 1,
      subscriptions: [
        {
          id: 'billing',
          pattern: 'order.*',
          kind: 'ordinary',
          persistent: false,
          delivered: 1,
          failed: 0,
        },
      ],
    });
  });

  it('closed bus → down', async () => {
    const bus = new SignalBus({ name: 'closed' });
    await bus.close();
    await expect(health.check([() => signals.checkBus('bus', bus)])).rejects.toMatchObject({
      response: {
        status: 'error',
        error: { bus: { status: 'down', closed: true, problems: ['bus closed'] } },
      },
    });
  });

  it('unreachable store → down (ping timeout), even with degradeOnly', async () => {
    const store = Object.assign(new MemoryStore(), {
      ping: () => new Promise<void>(() => undefined),
    });
    const bus = new SignalBus({ name: 'slow', store });
    buses.push(bus);
    const result = await signals.checkBus('slow', bus, { timeout: 20, degradeOnly: true });
    expect(result.slow).toMatchObject({
      status: 'down',
      problems: ['store unreachable'],
      store: { message: 'no answer within 20 ms' },
    });
    await store.close();
  });

  it('DLQ over maxDlqDepth → down, or degraded with degradeOnly (the check stays ok)', async () => {
    const bus = await busWithDeadLetters('jobs', 2);
    buses.push(bus);
    const within = await signals.checkBus('jobs', bus, { maxDlqDepth: 2 });
    expect(within.jobs).toMatchObject({ status: 'up', dlqDepth: 2 });

    await expect(
      health.check([() => signals.checkBus('jobs', bus, { maxDlqDepth: 1 })]),
    ).rejects.toMatchObject({
      response: { error: { jobs: { status: 'down', dlqDepth: 2, problems: ['DLQ depth 2 > 1'] } } },
    });

    const degraded = await health.check([
      () => signals.checkBus('jobs', bus, { maxDlqDepth: 1, degradeOnly: true }),
    ]);
    expect(degraded.status).toBe('degraded');
    expect(degraded.details.jobs).toMatchObject({ status: 'degraded', dlqDepth: 2 });
    const worker = (
      degraded.details.jobs as unknown as { subscriptions: Array<Record<string, unknown>> }
    ).subscriptions[0];
    expect(worker).toMatchObject({ id: 'worker', persistent: true, deadLettered: 2, acked: 0 });
  });

  it('open circuits over maxOpenCircuits and unhealthy targets count as problems', async () => {
    const bus = new SignalBus({ name: 'out', dispatcher });
    buses.push(bus);
    const breaker = new CircuitBreaker({ threshold: 1, windowMs: 10_000, halfOpenAfter: 60_000 });
    for (let i = 0; i < 2; i++) {
      await breaker.run('http:a', () => Promise.reject(new Error('boom'))).catch(() => undefined);
    }
    const one = await signals.checkBus('out', bus, {
      breaker,
      maxOpenCircuits: 1,
      targets: [{ adapter: 'probe', healthy: true }],
    });
    expect(one.out).toMatchObject({
      status: 'up',
      openCircuits: ['http:a'],
      targets: [{ adapter: 'probe', healthy: true, details: { probed: true } }],
    });
    const bad = await signals.checkBus('out', bus, {
      breaker,
      targets: [{ adapter: 'probe', healthy: false }, { adapter: 'no-such-adapter' }],
    });
    expect(bad.out).toMatchObject({
      status: 'down',
      problems: ['1 open circuits > 0', '2 unhealthy dispatch targets'],
    });
  });

  it('checkBuses without JidoSignalModule → down with a message', async () => {
    const result = await signals.checkBuses('signals');
    expect(result.signals).toMatchObject({ status: 'down' });
    expect(String(result.signals?.message)).toContain('JidoSignalModule');
  });

  it('without maxDlqDepth a non-empty DLQ degrades (Terminus 12) and stays up on Terminus 11', async () => {
    const bus = await busWithDeadLetters('defaults', 1);
    buses.push(bus);
    const result = await health.check([() => signals.checkBus('jobs', bus)]);
    expect(result.status).toBe('degraded');
    expect(result.details.jobs).toMatchObject({
      status: 'degraded',
      dlqDepth: 1,
      problems: ['DLQ depth 1 > 0'],
    });
    const terminus11 = {
      check: (key: string) => {
        const session = new HealthIndicatorService().check(key);
        return { up: session.up.bind(session), down: session.down.bind(session) };
      },
    } as unknown as HealthIndicatorService;
    const legacy = await new SignalHealthIndicator(terminus11).checkBus('jobs', bus);
    expect(legacy.jobs).toMatchObject({ status: 'up', problems: ['DLQ depth 1 > 0'] });
  });

  it('degradeOnly falls back to down on Terminus 11 (no degraded())', async () => {
    const terminus11 = {
      check: (key: string) => {
        const session = new HealthIndicatorService().check(key);
        return { up: session.up.bind(session), down: session.down.bind(session) };
      },
    } as unknown as HealthIndicatorService;
    const bus = await busWithDeadLetters('legacy', 1);
    buses.push(bus);
    const result = await new SignalHealthIndicator(terminus11).checkBus('legacy', bus, {
      maxDlqDepth: 0,
      degradeOnly: true,
    });
    expect(result.legacy?.status).toBe('down');
  });
});

@Injectable()
class Consumer {
  @OnSignal('order.*')
  handle(): void {}

  @OnSignal('audit.*', { bus: 'audit', persistent: { maxAttempts: 1 } })
  audit(): void {
    throw new Error('audit down');
  }
}

describe('SignalHealthIndicator.checkBuses (with JidoSignalModule)', () => {
  let app: TestingModule;

  beforeAll(async () => {
    app = await Test.createTestingModule({
      imports: [
        TerminusModule.forRoot({ logger: false }),
        JidoSignalModule.forRoot({ buses: [{ name: 'default' }, { name: 'audit' }] }),
      ],
      providers: [SignalHealthIndicator, Consumer],
    }).compile();
    app.useLogger(false);
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  it('checks every module bus under one key; the worst status wins', async () => {
    const health = app.get(HealthCheckService);
    const signals = app.get(SignalHealthIndicator);
    const ok = await health.check([() => signals.checkBuses('signals', { maxDlqDepth: 0 })]);
    expect(ok.status).toBe('ok');
    expect(ok.info?.signals).toMatchObject({
      status: 'up',
      buses: {
        default: {
          status: 'up',
          subscriptions: [
            { id: 'Consumer.handle', pattern: 'order.*', target: 'handler Consumer.handle' },
          ],
        },
        audit: {
          status: 'up',
          subscriptions: [
            { id: 'Consumer.audit', persistent: true, target: 'handler Consumer.audit' },
          ],
        },
      },
    });

    const audit = app.get<SignalBus>(getSignalBusToken('audit'));
    await audit.publish(createSignal('audit.login'));
    await dlqDepth(audit, 1);
    const degraded = await health.check([
      () => signals.checkBuses('signals', { maxDlqDepth: 0, degradeOnly: true }),
    ]);
    expect(degraded.status).toBe('degraded');
    expect(degraded.details.signals).toMatchObject({
      status: 'degraded',
      buses: {
        default: { status: 'up' },
        audit: { status: 'degraded', dlqDepth: 1 },
      },
    });

    // No options: the default matches the README (a non-empty DLQ is degraded).
    const byDefault = await health.check([() => signals.checkBuses('signals')]);
    expect(byDefault.status).toBe('degraded');
    expect(byDefault.details.signals).toMatchObject({
      status: 'degraded',
      buses: { default: { status: 'up' }, audit: { status: 'degraded', dlqDepth: 1 } },
    });
  });
});
