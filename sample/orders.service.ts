import { Injectable } from '@nestjs/common';
import { InjectSignalBus, OnSignal, type Signal, type SignalBus } from '../lib/index.js';
import {
  CATALOG,
  InventoryRejected,
  InventoryReserved,
  OrderCreated,
  PaymentCaptured,
  PaymentDeclined,
  type OrderCreatedData,
} from './signals.js';

/** Body of `POST /orders`. */
export interface OrderInput {
  sku?: unknown;
  quantity?: unknown;
  card?: unknown;
}

/** An order as `GET /orders/:id` shows it: the data plus what the other services reported. */
export interface OrderView extends OrderCreatedData {
  /** Id of the `order.created` signal (the root of the order's trace). */
  signalId: string;
  stock: 'pending' | 'reserved' | 'rejected';
  payment: 'pending' | 'declined' | 'captured';
  /** `payment.declined` signals seen so far. */
  declines: number;
}

/**
 * Orders: `place()` publishes `order.created`; the order views are a projection of the
 * inventory and payment signals (an `@OnSignal` handler with two patterns).
 */
@Injectable()
export class OrdersService {
  private readonly orders = new Map<string, OrderView>();
  private next = 1;

  constructor(@InjectSignalBus() private readonly bus: SignalBus) {}

  /** Validates the input (400 listing every failing field) and publishes `order.created`. */
  async place(input: OrderInput): Promise<OrderView> {
    const { sku, quantity, card = 'tok_visa' } = input ?? {};
    const price = typeof sku === 'string' && Object.hasOwn(CATALOG, sku) ? CATALOG[sku].price : 0;
    const amount = Number.isInteger(quantity) ? price * (quantity as number) : 0;
    const orderId = `o-${this.next}`;
    const signal = OrderCreated.create(
      { orderId, sku, quantity, amount, card } as OrderCreatedData,
      { subject: orderId },
    );
    this.next++;
    const view: OrderView = {
      ...signal.data,
      signalId: signal.id,
      stock: 'pending',
      payment: 'pending',
      declines: 0,
    };
    this.orders.set(orderId, view);
    await this.bus.publish(signal);
    return view;
  }

  get(orderId: string): OrderView | undefined {
    return this.orders.get(orderId);
  }

  list(): OrderView[] {
    return [...this.orders.values()];
  }

  @OnSignal(['inventory.*', 'payment.*'])
  project(signal: Signal): void {
    const order = this.orders.get((signal.data as { orderId?: string } | undefined)?.orderId ?? '');
    if (order === undefined) return;
    if (InventoryReserved.is(signal)) order.stock = 'reserved';
    else if (InventoryRejected.is(signal)) order.stock = 'rejected';
    else if (PaymentCaptured.is(signal)) order.payment = 'captured';
    else if (PaymentDeclined.is(signal)) {
      order.declines++;
      if (order.payment !== 'captured') order.payment = 'declined';
    }
  }
}
