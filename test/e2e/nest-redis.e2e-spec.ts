// JidoSignalModule with store { type: 'redis' } against the local Redis (127.0.0.1:6379):
// two app instances share the bus; an unreachable server fails the bootstrap with a typed,
// secret-free error; Terminus reports the Redis connection (a private server on port 16382).
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal, type Signal } from '../../lib/core/signal/signal.js';
import { RedisStore } from '../../lib/core/store/redis/redis.store.js';
import {
  JidoSignalModule,
  OnSignal,
  getSignalBusToken,
  type JidoSignalModuleOptions,
} from '../../lib/nest/index.js';
import { SignalHealthIndicator } from '../../lib/terminus/index.js';
import { rejection } from '../helpers/errors.js';
import {
  deleteRedisKeys,
  REDIS_URL,
  redisTestPrefix,
  startRedisServer,
  stopRedisServer,
} from '../helpers/redis.js';
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

describe('JidoSignalModule with store { type: "redis" }', () => {
  const prefix = redisTestPrefix('nest');
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
    await deleteRedisKeys(prefix);
  }, 30_000);

  it('two app instances share the bus: fan-out to both, each persistent signal handled once', async () => {
    const options: JidoSignalModuleOptions = {
      store: { type: 'redis', url: REDIS_URL, prefix },
      buses: [{ name: 'default', maxLogSize: Infinity }],
    };
    const a = await start(options);
    await start(options);
    const bus = a.get<SignalBus>(getSignalBusToken('default'));
    expect(bus.store).toBeInstanceOf(RedisStore);
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

  it('fails the bootstrap with store_unavailable when Redis is unreachable (no secret shown)', async () => {
    const error = await rejection(
      start({
        store: { type: 'redis', url: 'redis://user:s3cret@127.0.0.1:16396', connectTimeout: 300 },
      }),
    );
    expect(error).toMatchObject({ code: 'store_unavailable' });
    expect(JSON.stringify(error) + error.message).not.toContain('s3cret');
  });

  it('health turns down while the server is gone and up again after it is back', async () => {
    const port = 16382;
    const dir = mkdtempSync(join(tmpdir(), 'jido-nest-redis-'));
    let server = await startRedisServer(port, dir);
    try {
      const app = await start({
        store: {
          type: 'redis',
          url: `redis://127.0.0.1:${port}`,
          prefix: 'health',
          reconnectTimeWait: 50,
          disconnectedWait: 200,
        },
      });
      const health = app.get(HealthCheckService);
      const signals = app.get(SignalHealthIndicator);
      const bus = app.get<SignalBus>(getSignalBusToken('default'));
      const check = () =>
        health.check([
          () => signals.checkBuses('signals'),
          () => signals.checkStore('redis', bus.store),
        ]);
      const isUp = () =>
        check().then(
          () => true,
          () => false,
        );
      await expect(check()).resolves.toMatchObject({ status: 'ok' });
      await stopRedisServer(server);
      await eventually(async () => !(await isUp()), 10_000);
      await expect(check()).rejects.toMatchObject({
        response: {
          status: 'error',
          error: { signals: { status: 'down' }, redis: { status: 'down' } },
        },
      });
      const down = await rejection(bus.publish(createSignal('order.created')));
      expect(down.code).toBe('store_unavailable');
      server = await startRedisServer(port, dir);
      await eventually(isUp, 15_000);
      await bus.publish(createSignal('order.created'));
    } finally {
      await stopRedisServer(server);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 45_000);
});
