import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { DynamicModule, Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import type { DispatchAdapter } from '../../lib/core/dispatch/adapter.interface.js';
import { createSignal, type Signal } from '../../lib/core/signal/signal.js';
import {
  DEFAULT_SIGNAL_BUS_TOKEN,
  JidoSignalModule,
  SignalBusNotReadyError,
  SignalRegistrationError,
  getSignalBusToken,
} from '../../lib/nest/index.js';
import {
  AwaitingPublisher,
  BootConsumer,
  BootstrapPublisher,
  DetachedPublisher,
  LedgerAuditor,
  LedgerConfig,
  LedgerConfigModule,
  OrdersOnDefaultBus,
} from './fixtures/module-options.fixtures.js';
import { CapturingLogger } from './fixtures/recorder.js';

const open: TestingModule[] = [];

async function compile(root: DynamicModule, providers: Provider[]): Promise<TestingModule> {
  const app = await Test.createTestingModule({ imports: [root], providers }).compile();
  app.useLogger(new CapturingLogger());
  open.push(app);
  return app;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

describe('forRootAsync without busNames (e2e)', () => {
  const asyncRoot = (): DynamicModule =>
    JidoSignalModule.forRootAsync({
      imports: [LedgerConfigModule],
      inject: [LedgerConfig],
      useFactory: (config: LedgerConfig) => config.options(),
    });

  it('injects a bus the factory configures, by its @InjectSignalBus name', async () => {
    const app = await compile(asyncRoot(), [LedgerAuditor]);
    await app.init();
    const audit = app.get(LedgerAuditor).audit;
    expect(audit.name).toBe('ledger-audit');
    expect(app.get(getSignalBusToken('ledger-audit'))).toBe(audit);
  });

  it('a bus the factory does not configure fails the bootstrap with a message naming busNames', async () => {
    const root = JidoSignalModule.forRootAsync({
      useFactory: () => ({ buses: [{ name: 'default' }] }),
    });
    const app = await compile(root, [LedgerAuditor]);
    const error = await failure(app.init());
    expect(error).toBeInstanceOf(SignalRegistrationError);
    const message = (error as Error).message;
    expect(message).toContain('LedgerAuditor injects signal bus "ledger-audit"');
    expect(message).toContain("busNames: ['default', 'ledger-audit']");
    expect(message).toContain('forFeature');
  });

  it("a test's own provider for the bus token is left alone", async () => {
    const mock = { name: 'ledger-audit-mock' };
    const root = JidoSignalModule.forRootAsync({ useFactory: () => ({}) });
    const app = await compile(root, [
      LedgerAuditor,
      { provide: getSignalBusToken('ledger-audit'), useValue: mock },
    ]);
    await app.init();
    expect(app.get(LedgerAuditor).audit).toBe(mock);
  });
});

describe('defaultBus (e2e)', () => {
  it('@OnSignal without bus and @InjectSignalBus() without name use it', async () => {
    const app = await compile(
      JidoSignalModule.forRoot({ buses: [{ name: 'orders' }], defaultBus: 'orders' }),
      [OrdersOnDefaultBus],
    );
    await app.init();
    const consumer = app.get(OrdersOnDefaultBus);
    expect(consumer.bus.name).toBe('orders');
    expect(app.get(DEFAULT_SIGNAL_BUS_TOKEN)).toBe(app.get(getSignalBusToken('orders')));
    await consumer.bus.publish(createSignal('order.created'));
    expect(consumer.seen).toEqual(['order.created@orders']);
  });

  it('with forRoot, the default token aliases the named one: overriding it reaches @InjectSignalBus()', async () => {
    const fake = { name: 'fake' };
    const app = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot()],
      providers: [OrdersOnDefaultBus],
    })
      .overrideProvider(getSignalBusToken())
      .useValue(fake)
      .compile();
    open.push(app);
    expect(app.get(OrdersOnDefaultBus).bus).toBe(fake);
  });

  it('naming a bus the module does not have fails with a message naming defaultBus', async () => {
    const error = await failure(
      compile(JidoSignalModule.forRoot({ buses: [{ name: 'orders' }], defaultBus: 'order' }), []),
    );
    expect(error).toMatchObject({ code: 'invalid_option' });
    expect((error as Error).message).toContain('"defaultBus" names bus "order"');
  });
});

describe('publishing before bootstrap (e2e)', () => {
  it('awaiting a publish in onModuleInit fails fast with not_ready instead of hanging; close() returns', async () => {
    const app = await compile(JidoSignalModule.forRoot(), [AwaitingPublisher, BootConsumer]);
    const error = await failure(app.init());
    expect(error).toBeInstanceOf(SignalBusNotReadyError);
    expect(error).toMatchObject({ code: 'not_ready', details: { bus: 'default' } });
    expect((error as Error).message).toContain('onApplicationBootstrap');
    await app.close();
    expect(app.get(BootConsumer).seen).toEqual([]);
  });

  it('a publish awaited by a detached helper in onModuleInit is delivered once ready, never dropped', async () => {
    const app = await compile(JidoSignalModule.forRoot(), [DetachedPublisher, BootConsumer]);
    await app.init();
    const publisher = app.get(DetachedPublisher);
    for (let i = 0; i < 50 && publisher.outcome === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(publisher.outcome).toBe('resolved');
    expect(app.get(BootConsumer).seen).toEqual(['boot.detached']);
  });

  it('publishing in onApplicationBootstrap reaches the handlers', async () => {
    const app = await compile(JidoSignalModule.forRoot(), [BootstrapPublisher, BootConsumer]);
    await app.init();
    expect(app.get(BootConsumer).seen).toEqual(['boot.ready']);
  });
});

describe('a nameless inline adapter object (e2e)', () => {
  it('is accepted, named custom (or after its class) in stats', async () => {
    const app = await compile(JidoSignalModule.forRoot(), []);
    await app.init();
    const bus = app.get<SignalBus>(getSignalBusToken());
    const got: string[] = [];
    const inline = {
      validateOptions: (options: Readonly<Record<string, unknown>>) => ({
        prefix: String(options.prefix),
      }),
      deliver: (signal: Signal, options: { prefix: string }) => {
        got.push(`${options.prefix}${signal.type}`);
      },
    };
    class Outbox implements Omit<DispatchAdapter<unknown>, 'name'> {
      validateOptions(): unknown {
        return {};
      }
      deliver(signal: Signal): void {
        got.push(`outbox:${signal.type}`);
      }
    }
    await bus.subscribe('note.*', {
      subscriptionId: 'inline',
      dispatch: { adapter: inline, prefix: '>' },
    });
    await bus.subscribe('note.*', {
      subscriptionId: 'classy',
      dispatch: { adapter: new Outbox() },
    });
    await bus.publish(createSignal('note.added'));
    expect(got.sort()).toEqual(['>note.added', 'outbox:note.added']);
    const targets = (await bus.stats()).subscriptions.map((s) => [s.id, s.target]);
    expect(targets).toEqual([
      ['inline', 'custom'],
      ['classy', 'Outbox'],
    ]);
  });
});
