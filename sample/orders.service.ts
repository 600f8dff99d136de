import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { defineSignal, type Signal, type SignalBus } from '../lib/index.js';
import { ORDERS_BUS } from './signals.module.js';
import { WebhookReceiver } from './webhook-receiver.js';

export interface OrderInput {
  sku: string;
  quantity: number;
}

/** Typed signal: `create()` validates the data and lists every failing field. */
export const OrderCreated = defineSignal({
  type: 'order.created',
  schema: (d: unknown) => {
    const o = d as Partial<OrderInput & { orderId: string }> | null;
    const issues = [];
    if (typeof o?.orderId !== 'string')
      issues.push({ path: 'orderId', message: 'must be a string' });
    if (typeof o?.sku !== 'string' || o.sku === '')
      issues.push({ path: 'sku', message: 'must be a non-empty string' });
    if (!Number.isInteger(o?.quantity) || (o?.quantity ?? 0) < 1) {
      issues.push({ path: 'quantity', message: 'must be a positive integer' });
    }
    return issues.length > 0 ? { issues } : { value: o as OrderInput & { orderId: string } };
  },
});

// Standard Webhooks secret shared with the partner ("whsec_" + base64 key).
const WEBHOOK_SECRET = 'whsec_c2FtcGxlLXNlY3JldC1mb3ItdGhlLW9yZGVycy1hcHA=';

@Injectable()
export class OrdersService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Orders');
  readonly partner = new WebhookReceiver(WEBHOOK_SECRET);
  readonly stock = new Map<string, number>([
    ['book', 10],
    ['pen', 100],
  ]);
  private next = 1;

  constructor(@Inject(ORDERS_BUS) private readonly bus: SignalBus) {}

  async onModuleInit(): Promise<void> {
    const partnerUrl = await this.partner.start();
    // Inventory: an ordinary in-process handler.
    await this.bus.subscribe('order.created', {
      subscriptionId: 'inventory',
      dispatch: (signal: Signal) => this.reserve(signal as Signal<OrderInput>),
    });
    // Audit: sees everything (`**` matches any type, including single-segment ones).
    await this.bus.subscribe('**', {
      subscriptionId: 'audit',
      priority: -10,
      dispatch: { adapter: 'logger', format: '$type from $source ($id)', includeData: false },
    });
    // Partner webhook, signed with Standard Webhooks.
    await this.bus.subscribe('order.*', {
      subscriptionId: 'partner-webhook',
      dispatch: { adapter: 'webhook', url: partnerUrl, secret: WEBHOOK_SECRET },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.partner.stop();
  }

  async place(input: OrderInput): Promise<Signal> {
    const signal = OrderCreated.create(
      { orderId: `o-${this.next++}`, ...input },
      { subject: input.sku },
    );
    await this.bus.publish(signal);
    return signal;
  }

  private reserve(signal: Signal<OrderInput>): void {
    const left = (this.stock.get(signal.data.sku) ?? 0) - signal.data.quantity;
    this.stock.set(signal.data.sku, left);
    this.logger.log(`reserved ${signal.data.quantity} × ${signal.data.sku}, ${left} left`);
  }
}
