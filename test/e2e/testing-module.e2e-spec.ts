import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import type { BusError, SubscriberError } from '../../lib/core/errors/bus.error.js';
import { Dispatcher } from '../../lib/core/dispatch/dispatcher.js';
import { SignalFactory } from '../../lib/core/signal/signal.js';
import { MemoryStore } from '../../lib/core/store/memory.store.js';
import { getSignalBusToken } from '../../lib/nest/index.js';
import {
  FakeAdapter,
  FakeAdapters,
  JidoSignalTestingModule,
  SignalSpy,
  TestClock,
  type JidoSignalTestingModuleOptions,
} from '../../lib/testing/index.js';
import {
  AuditLogAdapter,
  BillingConsumer,
  InvoiceRouting,
  OrderService,
  ShopModule,
  SignalsModule,
} from './fixtures/testing.fixtures.js';

const open: TestingModule[] = [];

/** The application under test with its signal module swapped for the testing module. */
async function bootShop(
  options: JidoSignalTestingModuleOptions = { fakeAdapters: ['mailer', 'audit-log'] },
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({ imports: [ShopModule] })
    .overrideModule(SignalsModule)
    .useModule(JidoSignalTestingModule.forRoot(options))
    .compile();
  moduleRef.useLogger(false);
  open.push(moduleRef);
  await moduleRef.init();
  return moduleRef;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

describe('JidoSignalTestingModule (e2e)', () => {
  it('deterministic ids and times from a controllable clock', async () => {
    const app = await bootShop();
    const factory = app.get(SignalFactory);
    const clock = app.get(TestClock);
    const first = factory.create('a');
    const second = factory.create('b');
    expect(first.id).toBe('019b76da-a800-7000-8000-000000000000');
    expect(first.time).toBe('2026-01-01T00:00:00.000Z');
    expect(second.time).toBe('2026-01-01T00:00:00.001Z');
    expect(first.source).toBe('/test');
    clock.advance(60_000);
    expect(factory.create('c').time).toBe('2026-01-01T00:01:00.002Z');
    expect(() => clock.set(0)).toThrow(RangeError);
  });

  it('every application gets its own clock, fakes, spy and buses', async () => {
    const a = await bootShop();
    const b = await bootShop();
    expect(a.get(SignalFactory).create('x').id).toBe(b.get(SignalFactory).create('x').id);
    expect(a.get(FakeAdapters).get('mailer')).not.toBe(b.get(FakeAdapters).get('mailer'));
    expect(a.get(SignalSpy)).not.toBe(b.get(SignalSpy));
    expect(a.get(getSignalBusToken())).not.toBe(b.get(getSignalBusToken()));
  });

  it('the spy awaits asynchronous follow-ups; fake adapters record deliveries', async () => {
    const app = await bootShop();
    const spy = app.get(SignalSpy);
    const mailer = app.get(FakeAdapters).get('mailer');
    await app.get(OrderService).place('book');
    expect(app.get(BillingConsumer).billed).toEqual(['book']);
    expect(spy.published.map((s) => s.type)).toEqual(['order.placed']);

    const invoice = await spy.waitFor('invoice.*', { on: 'dispatched' });
    expect(invoice.data).toEqual({ sku: 'book' });
    expect(mailer.delivered).toEqual([invoice]);
    expect(mailer.deliveries[0]?.options).toEqual({ to: 'billing@example.com' });
    // The production mailer was replaced by the fake of the same name.
    expect(app.get(FakeAdapters).names()).toEqual(['mailer', 'audit-log']);
  });

  it('a fake adapter configured to fail: the delivery fails onto errors$ and the spy', async () => {
    const app = await bootShop();
    const bus = app.get<SignalBus>(getSignalBusToken());
    const errors: BusError[] = [];
    bus.errors$.subscribe((e) => errors.push(e));
    const mailer = app.get(FakeAdapters).get('mailer');
    mailer.failWith(new Error('smtp down'), 1);

    await app.get(OrderService).place('pen');
    await app.get(SignalSpy).waitFor('invoice.created', { on: 'dispatched' }); // audit-log ok
    const failed = app
      .get(SignalSpy)
      .deliveries.filter((d) => d.outcome === 'error')
      .map((d) => d.subscriptionId);
    expect(failed).toEqual(['invoice-mail']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as SubscriberError).subscriptionId).toBe('invoice-mail');
    expect(mailer.deliveries.map((d) => d.failed)).toEqual([true]);

    await app.get(OrderService).place('ink'); // failed only once
    await expect(app.get(SignalSpy).waitFor('invoice.*', { timeout: 1000 })).resolves.toBeDefined();
    await new Promise((r) => setTimeout(r, 30));
    expect(mailer.delivered.map((s) => s.data)).toEqual([{ sku: 'ink' }]);
    expect(await app.get(Dispatcher).healthCheck({ adapter: 'mailer' })).toMatchObject({
      healthy: true,
      target: 'fake mailer',
    });
  });

  it('overrideProvider() replaces an @SignalAdapter provider (its name is kept)', async () => {
    const audit = new FakeAdapter('audit-log');
    const moduleRef = await Test.createTestingModule({ imports: [ShopModule] })
      .overrideModule(SignalsModule)
      .useModule(JidoSignalTestingModule.forRoot({ fakeAdapters: ['mailer'] }))
      .overrideProvider(AuditLogAdapter)
      .useValue(audit)
      .compile();
    moduleRef.useLogger(false);
    open.push(moduleRef);
    await moduleRef.init();
    await moduleRef.get(OrderService).place('mug');
    await moduleRef.get(SignalSpy).waitFor('invoice.created', { on: 'dispatched' });
    await new Promise((r) => setTimeout(r, 20));
    expect(audit.delivered.map((s) => s.type)).toEqual(['invoice.created']);
  });

  it('swapping the store: every bus logs into the given store', async () => {
    const store = new MemoryStore();
    const app = await bootShop({ fakeAdapters: ['mailer', 'audit-log'], store: () => store });
    const placed = await app.get(OrderService).place('lamp');
    const [entry] = await store.read('default');
    expect(entry?.signal.id).toBe(placed.id);
    await app.close();
    open.splice(open.indexOf(app), 1);
    await expect(store.ping()).resolves.toBeUndefined(); // yours to close
    await store.close();
  });

  it('closes cleanly: the spy detaches and pending waits reject', async () => {
    const app = await bootShop();
    const spy = app.get(SignalSpy);
    const pending = spy.waitFor('never.happens', { timeout: 60_000 });
    await app.close();
    open.splice(open.indexOf(app), 1);
    expect(spy.attached).toBe(false);
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    expect(app.get<SignalBus>(getSignalBusToken()).closed).toBe(true);
  });

  it('works without overrides, as a plain import next to the providers', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JidoSignalTestingModule.forRoot({ fakeAdapters: ['mailer', 'audit-log'] })],
      providers: [OrderService, BillingConsumer, InvoiceRouting],
    }).compile();
    moduleRef.useLogger(false);
    open.push(moduleRef);
    await moduleRef.init();
    await moduleRef.get(OrderService).place('cup');
    await moduleRef.get(SignalSpy).waitFor('invoice.created', { on: 'dispatched' });
    expect(moduleRef.get(BillingConsumer).billed).toEqual(['cup']);
  });
});
