import 'reflect-metadata';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { SignalBus } from '../../lib/core/bus/signal-bus.js';
import type { SubscriptionDispatch } from '../../lib/core/bus/subscription.js';
import { AckTimeoutError } from '../../lib/core/errors/bus.error.js';
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
  DeliveryGuard,
  DeliveryInterceptor,
  DeliveryProbe,
  DenyGuard,
  GuardedExport,
  Ledger,
  OrdinaryExport,
  PinnedSettlement,
  PinnedTwice,
  ScopedExport,
  Settlement,
  Squatter,
  Taken,
  TimedExport,
  Vault,
  type SeenAttempt,
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
  jest.restoreAllMocks();
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

/**
 * Waits until a hung first attempt was aborted at its ackTimeout and the redelivery ran and
 * was acked; then checks what the handler saw of both attempts.
 */
async function expectAbortedThenRedelivered(
  bus: SignalBus,
  subscriptionId: string,
  seen: readonly SeenAttempt[],
): Promise<void> {
  const [recorded] = await bus.publish(createSignal('export.requested'));
  await eventually(async () => {
    const sub = (await bus.stats()).subscriptions.find((s) => s.id === subscriptionId);
    return sub?.persistence?.acked === 1;
  });
  expect(seen.map((s) => [s.signalId, s.delivery?.attempt])).toEqual([
    [recorded.signal.id, 1],
    [recorded.signal.id, 2],
  ]);
  const [first, second] = seen;
  // The first attempt's own abort listener fired while it was still running.
  expect(first.abort?.aborted).toBe(true);
  expect(first.abort?.reason).toBeInstanceOf(AckTimeoutError);
  expect(first.abort?.reason).toMatchObject({ subscriptionId, ackTimeout: 50 });
  expect(first.delivery?.signal.aborted).toBe(true);
  expect(first.delivery?.signal.reason).toBe(first.abort?.reason);
  expect(second.delivery?.signal.aborted).toBe(false);
  const sub = (await bus.stats()).subscriptions.find((s) => s.id === subscriptionId);
  expect(sub?.persistence).toMatchObject({ acked: 1, retried: 1, deadLettered: 0 });
}

describe("a persistent @OnSignal handler's DeliveryContext (e2e)", () => {
  it('is the third argument of a directly called handler: aborted at ackTimeout, then attempt 2', async () => {
    const { app, bus } = await boot([TimedExport]);
    expect(app.get(SignalHandlerRegistry).handlers()[0]?.invocation).toBe('direct');
    await expectAbortedThenRedelivered(bus, 'timed-export', app.get(TimedExport).seen);
  });

  it('@SignalDelivery() injects it through a guard, which sees it as getArgByIndex(2)', async () => {
    const { app, bus } = await boot([GuardedExport, DeliveryGuard, DeliveryProbe]);
    expect(app.get(SignalHandlerRegistry).handlers()[0]?.invocation).toBe('context');
    await expectAbortedThenRedelivered(bus, 'guarded-export', app.get(GuardedExport).seen);
    expect(app.get(DeliveryProbe).attempts).toEqual([1, 2]);
  });

  it('a global interceptor sees it as getArgByIndex(2); the handler still gets it positionally and by @SignalDelivery()', async () => {
    const { app, bus } = await boot([
      TimedExport,
      GuardedExport,
      DeliveryGuard,
      DeliveryProbe,
      DeliveryInterceptor,
      { provide: APP_INTERCEPTOR, useExisting: DeliveryInterceptor },
    ]);
    expect(
      app
        .get(SignalHandlerRegistry)
        .handlers()
        .map((h) => h.invocation),
    ).toEqual(['context', 'context']);
    const [recorded] = await bus.publish(createSignal('export.requested'));
    await eventually(async () =>
      (await bus.stats()).subscriptions.every((s) => s.persistence?.acked === 1),
    );
    for (const seen of [app.get(TimedExport).seen, app.get(GuardedExport).seen]) {
      expect(seen.map((s) => [s.signalId, s.delivery?.attempt])).toEqual([
        [recorded.signal.id, 1],
        [recorded.signal.id, 2],
      ]);
      expect(seen[0].abort?.reason).toBeInstanceOf(AckTimeoutError);
    }
    // Interceptor on both handlers and the guard on one, for each of the two attempts.
    expect([...app.get(DeliveryProbe).attempts].sort()).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('is undefined on ordinary subscriptions, whose bus handlers keep one parameter', async () => {
    const subscribe = jest.spyOn(SignalBus.prototype, 'subscribe');
    ScopedExport.seen.length = 0;
    const { app, bus } = await boot([OrdinaryExport, ScopedExport, TimedExport]);
    const arity = new Map(
      subscribe.mock.calls.map(([, options]) => {
        const { subscriptionId, dispatch } = options as {
          subscriptionId: string;
          dispatch: SubscriptionDispatch;
        };
        return [subscriptionId, typeof dispatch === 'function' ? dispatch.length : -1];
      }),
    );
    // The engine makes a DeliveryContext only for handlers declaring the second parameter.
    expect(Object.fromEntries(arity)).toEqual({
      'OrdinaryExport.direct': 1,
      'OrdinaryExport.viaParam': 1,
      'ScopedExport.run': 1,
      'timed-export': 2,
    });

    await bus.publish(createSignal('export.requested'));
    const ordinary = app.get(OrdinaryExport);
    expect(ordinary.positional).toEqual([{ args: 2, delivery: undefined }]);
    expect(ordinary.decorated).toEqual([undefined]);
    await eventually(() => ScopedExport.seen.length === 1);
    expect(ScopedExport.seen).toEqual([undefined]);
  });
});
