import { Injectable, Logger } from '@nestjs/common';
import { InjectSignalBus, OnSignal, SignalData, type SignalBus } from '../lib/index.js';
import {
  OrderCreated,
  PaymentCaptured,
  PaymentDeclined,
  type OrderCreatedData,
} from './signals.js';

/** Id of the payments' persistent subscription (its DLQ is `/admin/dlq?subscription=payments`). */
export const PAYMENTS_SUBSCRIPTION = 'payments';

/** Card tokens the fake gateway declines until `POST /payments/cards/:card/fix`. */
export const DECLINED_CARDS: readonly string[] = ['tok_declined', 'tok_stolen'];

export class PaymentDeclinedError extends Error {
  override readonly name = 'PaymentDeclinedError';
}

/**
 * Payments: a persistent (at-least-once) `@OnSignal` handler. Resolving acks the signal;
 * throwing nacks it: it is retried after 100 ms, then 200 ms, and dead-lettered after the
 * third failed attempt. A dead-lettered order is charged again by `POST /admin/dlq/redrive`.
 */
@Injectable()
export class PaymentsService {
  private readonly logger = new Logger('Payments');
  private readonly declined = new Set(DECLINED_CARDS);
  private readonly attempts = new Map<string, number>();
  private readonly captured = new Set<string>();

  constructor(@InjectSignalBus() private readonly bus: SignalBus) {}

  @OnSignal(OrderCreated.type, {
    persistent: { subscriptionId: PAYMENTS_SUBSCRIPTION, maxAttempts: 3, backoff: [100, 200] },
  })
  async charge(@SignalData() order: OrderCreatedData): Promise<void> {
    const { orderId, card, amount } = order;
    // At-least-once: a redelivery of an order that is paid already is simply acked.
    if (this.captured.has(orderId)) return;
    const attempt = (this.attempts.get(orderId) ?? 0) + 1;
    this.attempts.set(orderId, attempt);
    if (this.declined.has(card)) {
      const reason = `card ${card} declined`;
      await this.bus.publish(PaymentDeclined.create({ orderId, card, attempt, reason }));
      throw new PaymentDeclinedError(`${orderId}: ${reason} (attempt ${attempt})`);
    }
    this.captured.add(orderId);
    this.logger.log(`${orderId}: captured ${amount} cents on ${card} (attempt ${attempt})`);
    await this.bus.publish(PaymentCaptured.create({ orderId, amount, card, attempt }));
  }

  /** The customer fixed the card: later attempts succeed. `false` when it was not declined. */
  fixCard(card: string): boolean {
    return this.declined.delete(card);
  }

  declinedCards(): string[] {
    return [...this.declined];
  }
}
