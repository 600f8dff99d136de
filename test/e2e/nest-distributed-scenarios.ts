// JidoSignalModule over a distributed store, the scenarios every engine passes (JetStream,
// Redis): two app instances share the bus; an unknown store type and an unreachable server fail
// the bootstrap with typed, secret-free errors; Terminus reports the bus and the store down
// while a private server is gone and up after it is back; a persistent @OnSignal with a
// pattern list is one durable consumer shared by two instances. Used by
// nest-jetstream.e2e-spec.ts and nest-redis.e2e-spec.ts.
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
import type { SignalStore } from '../../lib/core/store/signal-store.interface.js';
import {
  JidoSignalModule,
  OnSignal,
  getSignalBusToken,
  type JidoSignalModuleOptions,
} from '../../lib/nest/index.js';
import { SignalHealthIndicator } from '../../lib/terminus/index.js';
import { rejection } from '../helpers/errors.js';
import { eventually } from './fixtures/recorder.js';

type StoreOption = NonNullable<JidoSignalModuleOptions['store']>;
/** The store option of a distributed engine. */
type EngineStoreOption = Extract<StoreOption, { type: 'jetstream' | 'redis' }>;

/** A test server the scenario stops and starts again. */
export interface PrivateServer {
  /** Its URL. */
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A {@link PrivateServer} from a server start function (`start` resolves once the server
 * accepts connections) and its stop function.
 */
export async function privateServer<P>(
  url: string,
  start: () => Promise<P>,
  stop: (process: P) => Promise<void>,
): Promise<PrivateServer> {
  let server = await start();
  return {
    url,
    stop: () => stop(server),
    start: async () => {
      server = await start();
    },
  };
}

/** What the Nest scenarios need from an engine. */
export interface NestEngine {
  /** The `store.type` of the engine (also the key of its health indicator). */
  readonly type: 'jetstream' | 'redis';
  /** The store class the module creates. */
  readonly storeClass: { readonly prototype: SignalStore };
  /** A new prefix for this run's streams / keys (`tag` names the scenario). */
  prefix(tag: string): string;
  /** Store options of the server at `url` (default: the shared test server) under `prefix`. */
  store(prefix: string, url?: string): EngineStoreOption;
  /** Remove everything stored under `prefix` (afterAll). */
  cleanup(prefix: string): Promise<unknown>;
  /** The URL of a server nothing answers on, with the password `s3cret`. */
  unreachableUrl(): Promise<string>;
  /** `reconnectTimeWait` of the health scenario, in ms. */
  readonly reconnectTimeWait: number;
  /** Start a private server with its data in `dir`. */
  privateServer(dir: string): Promise<PrivateServer>;
}

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

/** What the settlement handlers of every instance saw (type per attempt). */
const settled: string[] = [];

@Injectable()
class Settlement {
  @OnSignal(['payment.*', 'refund.*'], {
    persistent: {
      subscriptionId: 'settlement',
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

/** Register the scenarios for `engine`. */
export function describeNestEngine(engine: NestEngine): void {
  describe(`JidoSignalModule with store { type: "${engine.type}" }`, () => {
    const prefix = engine.prefix('nest');
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
      await engine.cleanup(prefix);
    }, 30_000);

    it('two app instances share the bus: fan-out to both, each persistent signal handled once', async () => {
      const options: JidoSignalModuleOptions = {
        store: engine.store(prefix),
        buses: [{ name: 'default', maxLogSize: Infinity }],
      };
      const a = await start(options);
      await start(options);
      const bus = a.get<SignalBus>(getSignalBusToken('default'));
      expect(bus.store).toBeInstanceOf(engine.storeClass);
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
        start({ store: { type: 'postgres' } as unknown as StoreOption }),
      );
      expect(error).toMatchObject({ code: 'invalid_option' });
      expect(error.message).toContain('"store"');
    });

    it('fails the bootstrap with store_unavailable when the server is unreachable (no secret shown)', async () => {
      const store = engine.store(prefix, await engine.unreachableUrl());
      const error = await rejection(start({ store: { ...store, connectTimeout: 300 } }));
      expect(error).toMatchObject({ code: 'store_unavailable' });
      expect(JSON.stringify(error) + error.message).not.toContain('s3cret');
    });

    it('health turns down while the server is gone and up again after it is back', async () => {
      const dir = mkdtempSync(join(tmpdir(), `jido-nest-${engine.type}-`));
      const server = await engine.privateServer(dir);
      try {
        const app = await start({
          store: {
            ...engine.store('health', server.url),
            reconnectTimeWait: engine.reconnectTimeWait,
            disconnectedWait: 200,
          },
        });
        const health = app.get(HealthCheckService);
        const signals = app.get(SignalHealthIndicator);
        const bus = app.get<SignalBus>(getSignalBusToken('default'));
        const check = () =>
          health.check([
            () => signals.checkBuses('signals'),
            () => signals.checkStore(engine.type, bus.store),
          ]);
        const isUp = () =>
          check().then(
            () => true,
            () => false,
          );
        await expect(check()).resolves.toMatchObject({ status: 'ok' });
        await server.stop();
        await eventually(async () => !(await isUp()), 10_000);
        await expect(check()).rejects.toMatchObject({
          response: {
            status: 'error',
            error: { signals: { status: 'down' }, [engine.type]: { status: 'down' } },
          },
        });
        const down = await rejection(bus.publish(createSignal('order.created')));
        expect(down.code).toBe('store_unavailable');
        await server.start();
        await eventually(isUp, 15_000);
        await bus.publish(createSignal('order.created'));
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 45_000);
  });

  describe(`persistent @OnSignal with a pattern list on ${engine.type}`, () => {
    const prefix = engine.prefix('nest-list');
    const apps: TestingModule[] = [];

    afterAll(async () => {
      for (const app of apps) await app.close();
      await engine.cleanup(prefix);
    }, 30_000);

    it('one durable consumer over both patterns, shared by two instances; failures dead-lettered', async () => {
      for (let i = 0; i < 2; i++) {
        const app = await Test.createTestingModule({
          imports: [JidoSignalModule.forRoot({ store: engine.store(prefix) })],
          providers: [Settlement],
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
      await eventually(async () => (await bus.dlq.list('settlement')).length === 1, 15_000);
      expect((await bus.dlq.list('settlement')).map((e) => e.signal.type)).toEqual([
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
}
