import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, describe } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal, type Signal } from '../../lib/core/signal/signal.js';
import { JetStreamStore } from '../../lib/core/store/jetstream/jetstream.store.js';
import {
  JidoSignalModule,
  OnSignal,
  getSignalBusToken,
  type JidoSignalModuleOptions,
} from '../../lib/nest/index.js';
import { SignalHealthIndicator } from '../../lib/terminus/index.js';
import { rejection } from '../helpers/errors.js';
import {
  NATS_URL,
  deleteTestStreams,
  freePort,
  startServer,
  stopServer,
  testPrefix,
} from '../helpers/nats.js';
import { eventually } from './fixtures/recorder.js';

/** Everything the handlers of all app instances saw, by instance. */
const seen = new Map<string, { ordinary: string[]; persistent: string[] }>();

@Injectable()
class OrderConsumer {
  readonly instance = `app-${seen.size}`;

  constructor() {
    seen.set(this.instance, { ordinary: [], persistent: [] });
  }

  @OnSignal('order.*')
  cache(signal: Signal): void {
    seen.get(this.instance)!.ordinary.push(signal.id);
  }

  @OnSignal('order.created', {
    persistent: { subscriptionId: 'nest-payments', startFrom: 'origin', ackTimeout: 5_000 },
  })
  charge(signal: Signal): void {
    seen.get(this.instance)!.persistent.push(signal.id);
  }
}

describe('JidoSignalModule with store { type: "jetstream" }', () => {
  const prefix = testPrefix('nest');
  const apps: TestingModule[] = [];

  const start = async (options: JidoSignalModuleOptions): Promise<TestingModule> => {
    const app = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot(options), TerminusModule.forRoot({ logger: false })],
      providers: [OrderConsumer, SignalHealthIndicator],
    }).compile();
    await app.init();
    apps.push(app);
    return app;
  };

  afterAll(async () => {
    for (const app of apps) await app.close();
    await deleteTestStreams(prefix);
  }, 30_000);

  it('two app instances share the bus: fan-out to both, each persistent signal handled once', async () => {
    const options: JidoSignalModuleOptions = {
      store: { type: 'jetstream', servers: NATS_URL, prefix },
      buses: [{ name: 'default', maxLogSize: Infinity }],
    };
    const a = await start(options);
    await start(options);
    const bus = a.get<SignalBus>(getSignalBusToken('default'));
    expect(bus.store).toBeInstanceOf(JetStreamStore);
    const published = await bus.publish(
      Array.from({ length: 20 }, (_, i) => createSignal('order.created', { i })),
    );
    const ids = published.map((e) => e.signal.id).sort();
    const handled = () => [...seen.values()].flatMap((s) => s.persistent);
    await eventually(
      () =>
        [...seen.values()].every((s) => s.ordinary.length === ids.length) &&
        handled().length >= ids.length,
      15_000,
    );
    expect(seen.size).toBe(2);
    for (const { ordinary } of seen.values()) expect([...ordinary].sort()).toEqual(ids);
    expect(handled().sort()).toEqual(ids);
  }, 30_000);

  it('rejects an unknown store type with a typed error', async () => {
    const error = await rejection(
      start({ store: { type: 'postgres' } as unknown as JidoSignalModuleOptions['store'] }),
    );
    expect(error).toMatchObject({ code: 'invalid_option' });
    expect(error.message).toContain('"store"');
  });

  it('fails the bootstrap with store_unavailable when NATS is unreachable', async () => {
    const port = await freePort();
    const error = await rejection(
      start({
        store: {
          type: 'jetstream',
          servers: `nats://user:s3cret@127.0.0.1:${port}`,
          connectTimeout: 300,
        },
      }),
    );
    expect(error).toMatchObject({ code: 'store_unavailable' });
    expect(JSON.stringify(error)).not.toContain('s3cret');
  });

  it('health turns down while the server is gone and up again after it is back', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'jido-nest-nats-'));
    let server = await startServer(port, dir);
    try {
      const app = await start({
        store: {
          type: 'jetstream',
          servers: `nats://127.0.0.1:${port}`,
          prefix: 'health',
          reconnectTimeWait: 100,
          disconnectedWait: 200,
        },
      });
      const health = app.get(HealthCheckService);
      const signals = app.get(SignalHealthIndicator);
      const check = () => health.check([() => signals.checkBuses('signals')]);
      const isUp = () =>
        check().then(
          () => true,
          () => false,
        );
      await expect(check()).resolves.toMatchObject({ status: 'ok' });
      await stopServer(server);
      await eventually(async () => !(await isUp()), 10_000);
      await expect(check()).rejects.toMatchObject({
        response: { status: 'error', error: { signals: { status: 'down' } } },
      });
      const bus = app.get<SignalBus>(getSignalBusToken('default'));
      expect((await rejection(bus.publish(createSignal('order.created')))).code).toBe(
        'store_unavailable',
      );
      server = await startServer(port, dir);
      await eventually(isUp, 15_000);
      await bus.publish(createSignal('order.created'));
    } finally {
      await stopServer(server);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 45_000);
});

/** What the settlement handlers of every instance saw (type per attempt). */
const settled: string[] = [];

@Injectable()
class JetStreamSettlement {
  @OnSignal(['payment.*', 'refund.*'], {
    persistent: {
      subscriptionId: 'js-settlement',
      startFrom: 'origin',
      maxAttempts: 2,
      backoff: [10],
      ackTimeout: 5_000,
    },
  })
  settle(signal: Signal): void {
    settled.push(signal.type);
    if (signal.type === 'refund.failed') throw new Error('refund rejected');
  }
}

describe('persistent @OnSignal with a pattern list on JetStream', () => {
  const prefix = testPrefix('nest-list');
  const apps: TestingModule[] = [];

  afterAll(async () => {
    for (const app of apps) await app.close();
    await deleteTestStreams(prefix);
  }, 30_000);

  it('one durable consumer over both patterns, shared by two instances; failures dead-lettered', async () => {
    for (let i = 0; i < 2; i++) {
      const app = await Test.createTestingModule({
        imports: [
          JidoSignalModule.forRoot({ store: { type: 'jetstream', servers: NATS_URL, prefix } }),
        ],
        providers: [JetStreamSettlement],
      }).compile();
      app.useLogger(false);
      await app.init();
      apps.push(app);
    }
    const bus = apps[0].get<SignalBus>(getSignalBusToken('default'));
    await bus.publish([
      createSignal('payment.captured'),
      createSignal('order.created'),
      createSignal('refund.issued'),
      createSignal('refund.failed'),
    ]);
    await eventually(async () => (await bus.dlq.list('js-settlement')).length === 1, 15_000);
    expect((await bus.dlq.list('js-settlement')).map((e) => e.signal.type)).toEqual([
      'refund.failed',
    ]);
    expect([...settled].sort()).toEqual([
      'payment.captured',
      'refund.failed',
      'refund.failed',
      'refund.issued',
    ]);
  }, 30_000);
});
