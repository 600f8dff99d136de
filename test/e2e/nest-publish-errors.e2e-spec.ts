import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { PublishHandlersError } from '../../lib/core/errors/bus.error.js';
import { createSignal, type Signal } from '../../lib/core/signal/signal.js';
import {
  InjectSignalBus,
  JidoSignalModule,
  OnSignal,
  getSignalBusToken,
  type JidoSignalModuleOptions,
} from '../../lib/nest/index.js';
import { CapturingLogger } from './fixtures/recorder.js';

// `publish` rejects with the handlers' errors when asked to (issue 14, point 5) — what
// @nestjs/event-emitter's `suppressErrors: false` offers — in a real Nest application.

/** Two failing handlers (one of each onError mode) and one that succeeds. */
@Injectable()
class PaymentHandlers {
  readonly charged: number[] = [];

  @OnSignal('order.placed', { onError: 'rethrow' })
  reserveStock(signal: Signal<{ id: number }>): void {
    if (signal.data.id < 0) throw new Error(`out of stock for ${signal.data.id}`);
  }

  @OnSignal('order.placed')
  async charge(signal: Signal<{ id: number }>): Promise<void> {
    await Promise.resolve();
    if (signal.data.id < 0) throw new Error('card declined');
    this.charged.push(signal.data.id);
  }

  readonly audited: number[] = [];

  @OnSignal('order.placed')
  audit(signal: Signal<{ id: number }>): void {
    this.audited.push(signal.data.id);
  }
}

/** A unit of work that commits, or rolls back when the block throws. */
class FakeTransaction {
  readonly committed: number[] = [];
  readonly rolledBack: number[] = [];
  async run(id: number, block: () => Promise<void>): Promise<void> {
    try {
      await block();
      this.committed.push(id);
    } catch (error) {
      this.rolledBack.push(id);
      throw error;
    }
  }
}

/** The use case: place an order inside a transaction that a failing handler rolls back. */
@Injectable()
class OrderService {
  readonly tx = new FakeTransaction();
  constructor(@InjectSignalBus() private readonly bus: SignalBus) {}

  place(id: number): Promise<void> {
    return this.tx.run(id, async () => {
      await this.bus.publish(createSignal('order.placed', { id }), { handlerErrors: 'reject' });
    });
  }
}

const open: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()));
});

async function boot(options: JidoSignalModuleOptions, providers: Type[]) {
  @Module({ imports: [JidoSignalModule.forRoot(options)], providers })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: new CapturingLogger(),
  });
  open.push(app);
  return { app, bus: app.get<SignalBus>(getSignalBusToken(), { strict: false }) };
}

describe('Nest: publish rejects with the handlers errors when asked to', () => {
  it("publish(signal, { handlerErrors: 'reject' }) rejects with every failure (rethrow and log handlers), by subscription id", async () => {
    const { app, bus } = await boot({}, [PaymentHandlers]);
    const signal = createSignal('order.placed', { id: -1 });
    const error = await bus.publish(signal, { handlerErrors: 'reject' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PublishHandlersError);
    const failure = error as PublishHandlersError;
    expect(failure.code).toBe('handlers_failed');
    const byId = Object.fromEntries(
      failure.failures.map((f) => [f.subscriptionId, (f.cause as Error).message]),
    );
    expect(byId).toEqual({
      'PaymentHandlers.reserveStock': 'out of stock for -1',
      'PaymentHandlers.charge': 'card declined',
    });
    expect(failure.signalIds).toEqual([signal.id]);
    // The signal is recorded, and the healthy handler ran.
    expect((await bus.replay()).map((e) => e.signal.id)).toEqual([signal.id]);
    expect(app.get(PaymentHandlers).audited).toEqual([-1]);
  });

  it('by default publish resolves even though handlers failed (behaviour unchanged)', async () => {
    const { bus } = await boot({}, [PaymentHandlers]);
    await expect(bus.publish(createSignal('order.placed', { id: -2 }))).resolves.toHaveLength(1);
  });

  it("module option handlerErrors: 'reject' is every bus's default; a call may opt out", async () => {
    const { bus } = await boot({ handlerErrors: 'reject' }, [PaymentHandlers]);
    await expect(bus.publish(createSignal('order.placed', { id: -3 }))).rejects.toBeInstanceOf(
      PublishHandlersError,
    );
    await expect(
      bus.publish(createSignal('order.placed', { id: -3 }), { handlerErrors: 'report' }),
    ).resolves.toHaveLength(1);
    await expect(bus.publish(createSignal('order.placed', { id: 3 }))).resolves.toHaveLength(1);
  });

  it('rolls back the transaction when a handler fails, commits when all succeed', async () => {
    const { app } = await boot({}, [PaymentHandlers, OrderService]);
    const orders = app.get(OrderService);
    await orders.place(1);
    await expect(orders.place(-4)).rejects.toBeInstanceOf(PublishHandlersError);
    expect(orders.tx.committed).toEqual([1]);
    expect(orders.tx.rolledBack).toEqual([-4]);
  });
});
