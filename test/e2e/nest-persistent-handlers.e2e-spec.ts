import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal } from '../../lib/core/signal/signal.js';
import {
  JidoSignalModule,
  SignalRegistrationError,
  SignalHandlerRegistry,
  getSignalBusToken,
} from '../../lib/nest/index.js';
import { JidoSignalTestingModule, SignalSpy } from '../../lib/testing/index.js';
import {
  AllowGuard,
  DenyGuard,
  Ledger,
  PinnedSettlement,
  PinnedTwice,
  Settlement,
  Squatter,
  Taken,
  Vault,
} from './fixtures/persistent-handler.fixtures.js';
import { CapturingLogger, eventually } from './fixtures/recorder.js';

const open: TestingModule[] = [];

async function compile(providers: Provider[], testing = false): Promise<TestingModule> {
  const app = await Test.createTestingModule({
    imports: [testing ? JidoSignalTestingModule.forRoot() : JidoSignalModule.forRoot()],
    providers,
  }).compile();
  open.push(app);
  return app;
}

async function boot(
  providers: Provider[],
  testing = false,
): Promise<{ app: TestingModule; bus: SignalBus; logger: CapturingLogger }> {
  const app = await compile(providers, testing);
  const logger = new CapturingLogger();
  app.useLogger(logger);
  await app.init();
  return { app, bus: app.get<SignalBus>(getSignalBusToken()), logger };
}

async function dlqTypes(bus: SignalBus, subscriptionId: string): Promise<string[]> {
  return (await bus.dlq.list(subscriptionId)).map((e) => e.signal.type);
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

describe('persistent @OnSignal with a pattern list (e2e)', () => {
  it('is one durable subscription Class.method over every pattern, shown as Class.method', async () => {
    const { app, bus } = await boot([Settlement]);
    const handlers = app.get(SignalHandlerRegistry).handlers();
    expect(handlers).toEqual([
      expect.objectContaining({
        subscriptionId: 'Settlement.settle',
        patterns: ['payment.*', 'refund.*'],
        persistent: true,
      }),
    ]);
    const stats = await bus.stats();
    expect(stats.subscriptions).toEqual([
      expect.objectContaining({
        id: 'Settlement.settle',
        persistent: true,
        target: 'handler Settlement.settle',
      }),
    ]);

    await bus.publish([
      createSignal('payment.captured'),
      createSignal('order.created'),
      createSignal('refund.issued'),
    ]);
    const settlement = app.get(Settlement);
    await eventually(() => settlement.calls.length === 2);
    expect(settlement.calls.map((c) => [c.type, c.subscriptionId])).toEqual([
      ['payment.captured', 'Settlement.settle'],
      ['refund.issued', 'Settlement.settle'],
    ]);
  });

  it('retries a failing signal maxAttempts times, then dead-letters it; the others are acked', async () => {
    const { app, bus } = await boot([Settlement]);
    const settlement = app.get(Settlement);
    settlement.failing.add('refund.issued');
    await bus.publish([createSignal('refund.issued'), createSignal('payment.captured')]);
    await eventually(async () => (await dlqTypes(bus, 'Settlement.settle')).length === 1);
    expect(await dlqTypes(bus, 'Settlement.settle')).toEqual(['refund.issued']);
    expect(settlement.calls.filter((c) => c.type === 'refund.issued')).toHaveLength(3);
    const [sub] = (await bus.stats()).subscriptions;
    expect(sub.persistence).toMatchObject({ acked: 1, deadLettered: 1, pending: 0 });
  });

  it('warns at bootstrap that the derived id ties the stored state to the class name', async () => {
    const { logger } = await boot([Settlement, PinnedSettlement]);
    const warnings = logger.warnings.filter((w) => w.includes('derived id'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Settlement.settle');
    expect(warnings[0]).toContain("subscriptionId: 'Settlement.settle'");
  });
});

describe('stacked persistent @OnSignal decorators (e2e)', () => {
  it('each decorator is its own durable subscription: Class.method, then #2 in source order', async () => {
    const { app, bus, logger } = await boot([Ledger]);
    expect(
      app
        .get(SignalHandlerRegistry)
        .handlers()
        .map((h) => [h.subscriptionId, h.patterns]),
    ).toEqual([
      ['Ledger.post', ['ledger.credit']],
      ['Ledger.post#2', ['ledger.debit', 'ledger.fee']],
    ]);
    expect(logger.warnings.filter((w) => w.includes('derived id'))).toHaveLength(2);

    const ledger = app.get(Ledger);
    ledger.failing.add('ledger.fee');
    ledger.failing.add('ledger.credit');
    await bus.publish([
      createSignal('ledger.credit'),
      createSignal('ledger.debit'),
      createSignal('ledger.fee'),
    ]);
    await eventually(
      async () =>
        (await dlqTypes(bus, 'Ledger.post')).length === 1 &&
        (await dlqTypes(bus, 'Ledger.post#2')).length === 1,
    );
    expect(await dlqTypes(bus, 'Ledger.post')).toEqual(['ledger.credit']);
    expect(await dlqTypes(bus, 'Ledger.post#2')).toEqual(['ledger.fee']);
    const attempts = (type: string): number => ledger.calls.filter((c) => c.type === type).length;
    expect([attempts('ledger.credit'), attempts('ledger.debit'), attempts('ledger.fee')]).toEqual([
      3, 1, 2,
    ]);
  });
});

describe('subscription id clashes (e2e)', () => {
  it('two handlers pinning one id fail the bootstrap with a message suggesting subscriptionId', async () => {
    const app = await compile([PinnedSettlement, PinnedTwice]);
    app.useLogger(false);
    const error = await app.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SignalRegistrationError);
    expect(error).toMatchObject({ code: 'subscription_exists' });
    const message = (error as Error).message;
    expect(message).toContain('"invoicing"');
    expect(message).toContain('PinnedSettlement.handle');
    expect(message).toContain('PinnedTwice.handle');
    expect(message).toContain('subscriptionId');
  });

  it("an id already taken on the bus fails with the bus's error as cause and suggests subscriptionId", async () => {
    const app = await compile([Squatter, Taken]);
    app.useLogger(false);
    const error = await app.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'subscription_exists' });
    expect((error as Error).message).toContain('Taken.handle');
    expect((error as Error).message).toContain('subscriptionId');
    expect((error as Error).cause).toMatchObject({ code: 'subscription_exists' });
  });
});

describe("a handler's own ForbiddenException (e2e)", () => {
  it('is a handler error (retried, dead-lettered), while a guard rejection acks without running', async () => {
    const { app, bus, logger } = await boot([Vault, AllowGuard, DenyGuard]);
    const vault = app.get(Vault);
    await bus.publish([createSignal('vault.open'), createSignal('vault.peek')]);
    await eventually(async () => (await dlqTypes(bus, 'Vault.open')).length === 1);
    expect(vault.opened).toBe(2);
    const [entry] = await bus.dlq.list('Vault.open');
    expect(entry.lastError.message).toContain('Forbidden resource');
    expect(logger.errors.some((e) => e.message.includes('Vault.open failed on vault.open'))).toBe(
      true,
    );

    const peek = (await bus.stats()).subscriptions.find((s) => s.id === 'Vault.peek');
    expect(peek?.persistence).toMatchObject({ acked: 1, deadLettered: 0, retried: 0 });
    expect(vault.denied).toBe(0);
    expect(await dlqTypes(bus, 'Vault.peek')).toEqual([]);
  });
});

describe('SignalSpy on persistent deliveries (e2e, JidoSignalTestingModule)', () => {
  it('records them and waitFor resolves on dispatched, optionally for one subscription', async () => {
    const { app, bus } = await boot([Settlement, Ledger], true);
    const spy = app.get(SignalSpy);
    app.get(Settlement).failing.add('refund.issued');
    await bus.publish(createSignal('payment.captured', { amount: 5 }));

    const dispatched = await spy.waitFor('payment.*', { on: 'dispatched', timeout: 2000 });
    expect(dispatched.data).toEqual({ amount: 5 });
    await expect(
      spy.waitFor('payment.*', { subscriptionId: 'Settlement.settle', timeout: 2000 }),
    ).resolves.toBe(dispatched);
    expect(spy.deliveries).toEqual([
      expect.objectContaining({ subscriptionId: 'Settlement.settle', outcome: 'ok' }),
    ]);

    // Another subscription's delivery does not satisfy the filter.
    const credit = spy.waitFor('ledger.*', { subscriptionId: 'Ledger.post#2', timeout: 100 });
    await bus.publish(createSignal('ledger.credit'));
    await expect(credit).rejects.toMatchObject({ code: 'timeout' });
    await expect(
      spy.waitFor('ledger.credit', { subscriptionId: 'Ledger.post', timeout: 2000 }),
    ).resolves.toMatchObject({ type: 'ledger.credit' });

    // Failed attempts are recorded as errors, one per attempt.
    await bus.publish(createSignal('refund.issued'));
    await eventually(async () => (await dlqTypes(bus, 'Settlement.settle')).length === 1);
    const refunds = spy.deliveries.filter((d) => d.signal.type === 'refund.issued');
    expect(refunds.map((d) => d.outcome)).toEqual(['error', 'error', 'error']);
  });

  it('subscriptionId with on: "published" is refused', async () => {
    const { app } = await boot([], true);
    await expect(
      app.get(SignalSpy).waitFor('x.*', { on: 'published', subscriptionId: 'a' }),
    ).rejects.toMatchObject({ code: 'invalid_option' });
  });
});
