import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Provider, Type } from '@nestjs/common';
import { ContextIdFactory, type ContextIdStrategy } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { SignalBusRegistry } from '../../lib/core/bus/bus-registry.js';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import type { SubscriberError } from '../../lib/core/errors/bus.error.js';
import { Dispatcher } from '../../lib/core/dispatch/dispatcher.js';
import { SignalFactory, createSignal } from '../../lib/core/signal/signal.js';
import {
  JidoSignalModule,
  SignalReadinessWatcher,
  SignalRegistrationError,
  SignalHandlerRegistry,
  getSignalBusToken,
  type JidoSignalModuleOptions,
} from '../../lib/nest/index.js';
import {
  AliasedConsumer,
  AuditConsumer,
  AuditFeatureModule,
  BadPatternConsumer,
  DurableTenantConsumer,
  PersistentRequestScopedConsumer,
  TenantContextStrategy,
  EarlyConsumer,
  EarlyPublisher,
  PersistentConsumer,
  ReportsConsumer,
  RequestScopedConsumer,
  SignalConfigModule,
  SignalConfigService,
  SignalController,
  SlowConsumer,
  StackedConsumer,
} from './fixtures/module.fixtures.js';
import { CapturingLogger, Recorder, eventually } from './fixtures/recorder.js';

const open: TestingModule[] = [];

async function boot(
  providers: Provider[],
  options: { root?: JidoSignalModuleOptions; imports?: Type[]; controllers?: Type[] } = {},
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [JidoSignalModule.forRoot(options.root ?? {}), ...(options.imports ?? [])],
    controllers: options.controllers ?? [],
    providers: [Recorder, ...providers],
  }).compile();
  moduleRef.useLogger(new CapturingLogger());
  open.push(moduleRef);
  await moduleRef.init();
  return moduleRef;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

describe('JidoSignalModule (e2e)', () => {
  it('provides the default bus, the registry, the dispatcher and the factory', async () => {
    const app = await boot([]);
    const bus = app.get<SignalBus>(getSignalBusToken());
    const registry = app.get(SignalBusRegistry);
    expect(registry.get('default')).toBe(bus);
    expect(bus.dispatcher).toBe(app.get(Dispatcher));
    expect(app.get(SignalFactory).source).toBe('/app');
    expect(app.get(SignalReadinessWatcher).isReady).toBe(true);
  });

  it('stacked @OnSignal decorators each subscribe (metadata is appended)', async () => {
    const app = await boot([StackedConsumer]);
    const bus = app.get<SignalBus>(getSignalBusToken());
    await bus.publish([
      createSignal('order.created'),
      createSignal('order.updated'),
      createSignal('order.deleted'),
    ]);
    expect(app.get(Recorder).of('stacked')).toEqual([
      'order.created@StackedConsumer.handle',
      'order.updated@StackedConsumer.handle#2',
      'order.deleted@StackedConsumer.handle#3',
    ]);
    const infos = app.get(SignalHandlerRegistry).handlers();
    expect(infos.map((h) => [h.pattern, h.invocation])).toEqual([
      ['order.created', 'direct'],
      ['order.updated', 'direct'],
      ['order.deleted', 'direct'],
    ]);
    expect(bus.subscriptions().find((s) => s.pattern === 'order.updated')?.priority).toBe(5);
  });

  it('alias providers are not registered twice', async () => {
    const app = await boot([AliasedConsumer, { provide: 'ALIAS', useExisting: AliasedConsumer }]);
    await app.get<SignalBus>(getSignalBusToken()).publish(createSignal('alias.ping'));
    expect(app.get(Recorder).of('aliased')).toHaveLength(1);
  });

  it('controllers get @OnSignal with @SignalData(path) and @SignalPayload', async () => {
    const app = await boot([], { controllers: [SignalController] });
    await app
      .get<SignalBus>(getSignalBusToken())
      .publish(createSignal('order.created', { customer: { id: 'c-7' } }));
    expect(app.get(Recorder).of('controller')).toEqual(['c-7:order.created']);
    expect(app.get(SignalHandlerRegistry).handlers()[0]?.invocation).toBe('context');
  });

  it('two applications in one process are independent', async () => {
    const a = await boot([StackedConsumer]);
    const b = await boot([StackedConsumer]);
    const busA = a.get<SignalBus>(getSignalBusToken());
    const busB = b.get<SignalBus>(getSignalBusToken());
    expect(busA).not.toBe(busB);
    expect(a.get(Dispatcher)).not.toBe(b.get(Dispatcher));
    await busA.publish(createSignal('order.created'));
    expect(a.get(Recorder).of('stacked')).toHaveLength(1);
    expect(b.get(Recorder).of('stacked')).toHaveLength(0);
    await a.close();
    open.splice(open.indexOf(a), 1);
    await busB.publish(createSignal('order.created'));
    expect(b.get(Recorder).of('stacked')).toHaveLength(1);
  });

  it('a signal published during onModuleInit is held and delivered after bootstrap', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot()],
      providers: [Recorder, EarlyPublisher, EarlyConsumer],
    }).compile();
    open.push(moduleRef);
    const recorder = moduleRef.get(Recorder);
    await moduleRef.init();
    const publisher = moduleRef.get(EarlyPublisher);
    const entries = (await publisher.published) as unknown[];
    expect(entries).toHaveLength(1);
    expect(recorder.of('early')).toEqual([{ n: 1 }]);
  });

  it('shutdown drains a handler in flight before close resolves', async () => {
    const app = await boot([SlowConsumer]);
    const bus = app.get<SignalBus>(getSignalBusToken());
    const slow = app.get(SlowConsumer);
    const publishing = bus.publish(createSignal('slow.job'));
    await eventually(() => slow.started === 1);
    open.splice(open.indexOf(app), 1);
    await app.close();
    expect(slow.finished).toBe(1);
    await publishing;
    expect(bus.closed).toBe(true);
    await expect(bus.publish(createSignal('slow.job'))).rejects.toMatchObject({ code: 'closed' });
  });

  it('request-scoped providers get a new instance per signal, with the signal as REQUEST', async () => {
    const app = await boot([RequestScopedConsumer]);
    const bus = app.get<SignalBus>(getSignalBusToken());
    await bus.publish([createSignal('scoped.a'), createSignal('scoped.b')]);
    const seen = app.get(Recorder).of('scoped') as Array<{ same: boolean; instance: object }>;
    expect(seen).toHaveLength(2);
    expect(seen.every((s) => s.same)).toBe(true);
    expect(seen[0]?.instance).not.toBe(seen[1]?.instance);
    expect(app.get(SignalHandlerRegistry).handlers()[0]?.invocation).toBe('request');
  });

  it('durable providers: a ContextIdStrategy maps signals to long-lived sub-trees', async () => {
    ContextIdFactory.apply(new TenantContextStrategy());
    try {
      const app = await boot([DurableTenantConsumer]);
      const bus = app.get<SignalBus>(getSignalBusToken());
      await bus.publish([
        createSignal('tenant.a', 1, { extensions: { tenant: 'acme' } }),
        createSignal('tenant.b', 2, { extensions: { tenant: 'globex' } }),
        createSignal('tenant.c', 3, { extensions: { tenant: 'acme' } }),
      ]);
      const seen = app.get(Recorder).of('tenant') as Array<{
        tenant: string;
        type: string;
        instance: object;
      }>;
      // Handlers of different signals may finish in any order: look them up by type.
      const by = new Map(seen.map((s) => [s.type, s] as const));
      expect([...by.keys()].sort()).toEqual(['tenant.a', 'tenant.b', 'tenant.c']);
      expect([
        by.get('tenant.a')?.tenant,
        by.get('tenant.b')?.tenant,
        by.get('tenant.c')?.tenant,
      ]).toEqual(['acme', 'globex', 'acme']);
      expect(by.get('tenant.a')?.instance).toBe(by.get('tenant.c')?.instance); // same tenant, same durable instance
      expect(by.get('tenant.a')?.instance).not.toBe(by.get('tenant.b')?.instance);
    } finally {
      // Nest keeps the strategy in a static; restore the default for the other tests.
      (ContextIdFactory as unknown as { strategy?: ContextIdStrategy }).strategy = undefined;
    }
  });

  it('a persistent handler on a request-scoped provider fails the bootstrap clearly', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot()],
      providers: [PersistentRequestScopedConsumer],
    }).compile();
    open.push(moduleRef);
    const error = await moduleRef.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SignalRegistrationError);
    expect((error as Error).message).toContain('PersistentRequestScopedConsumer.handle');
    expect((error as Error).message).toContain('request-scoped');
  });

  it('forFeature adds named buses, injectable with @InjectSignalBus(name)', async () => {
    const app = await boot([AuditConsumer], { imports: [AuditFeatureModule] });
    const audit = app.get<SignalBus>(getSignalBusToken('audit'));
    expect(app.get(AuditConsumer).audit).toBe(audit);
    expect(app.get(SignalBusRegistry).names()).toEqual(['default', 'audit']);
    // The shared dispatcher forwards between buses by name.
    const main = app.get<SignalBus>(getSignalBusToken());
    await main.subscribe('order.**', { dispatch: { adapter: 'bus', bus: 'audit' } });
    await main.publish(createSignal('order.shipped'));
    await eventually(() => app.get(Recorder).of('audit').length === 1);
    expect(app.get(Recorder).of('audit')).toEqual(['order.shipped']);
  });

  it('forRootAsync with a config service', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        JidoSignalModule.forRootAsync({
          imports: [SignalConfigModule],
          inject: [SignalConfigService],
          useFactory: (config: SignalConfigService) => config.options(),
          busNames: ['default', 'reports'],
        }),
      ],
      providers: [Recorder, ReportsConsumer],
    }).compile();
    open.push(moduleRef);
    await moduleRef.init();
    const factory = moduleRef.get(SignalFactory);
    const reports = moduleRef.get<SignalBus>(getSignalBusToken('reports'));
    await reports.publish(factory.create('report.ready'));
    expect(moduleRef.get(Recorder).of('reports')).toEqual(['/config-service']);
  });

  it('a bad pattern fails the bootstrap with a message naming class and method', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot()],
      providers: [BadPatternConsumer],
    }).compile();
    open.push(moduleRef);
    const error = await moduleRef.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SignalRegistrationError);
    expect((error as SignalRegistrationError).code).toBe('invalid_pattern');
    expect((error as Error).message).toContain('BadPatternConsumer.handle');
    expect((error as Error).message).toContain('order..created');
  });

  it('an unknown bus fails the bootstrap', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot()],
      providers: [Recorder, ReportsConsumer],
    }).compile();
    open.push(moduleRef);
    await expect(moduleRef.init()).rejects.toThrow(
      /ReportsConsumer\.handle names bus "reports", which is not registered/,
    );
  });

  it('registerHandlers: false gives an API-only instance', async () => {
    const app = await boot([StackedConsumer], { root: { registerHandlers: false } });
    await app.get<SignalBus>(getSignalBusToken()).publish(createSignal('order.created'));
    expect(app.get(Recorder).of('stacked')).toEqual([]);
    expect(app.get(SignalReadinessWatcher).isReady).toBe(true);
  });

  it('persistent handlers: a throw retries with backoff, then dead-letters; redrive delivers', async () => {
    const app = await boot([PersistentConsumer]);
    const bus = app.get<SignalBus>(getSignalBusToken());
    const consumer = app.get(PersistentConsumer);
    const id = 'PersistentConsumer.handle';
    const errors: SubscriberError[] = [];
    bus.errors$.subscribe((e) => errors.push(e as SubscriberError));
    const [entry] = await bus.publish(createSignal('invoice.created'));
    await eventually(async () => (await bus.dlq.list(id)).length === 1);
    expect(consumer.attempts).toBe(3);
    expect(errors.some((e) => e.subscriptionId === id)).toBe(true);
    const [dead] = await bus.dlq.list(id);
    expect(dead?.signal.id).toBe(entry?.signal.id);
    expect(dead?.lastError.message).toContain('cannot book');

    consumer.failing = false;
    await bus.dlq.redrive(id);
    await eventually(async () => (await bus.dlq.list(id)).length === 0);
    expect(consumer.handled).toEqual([entry?.signal.id]);

    await bus.publish(createSignal('invoice.paid'));
    await eventually(() => consumer.handled.length === 2);
    const stats = await bus.stats();
    const sub = stats.subscriptions.find((s) => s.id === id);
    await eventually(async () => {
      const s = (await bus.stats()).subscriptions.find((x) => x.id === id);
      return s?.persistence?.acked === 2;
    });
    expect(sub?.persistent).toBe(true);
  });
});
