// The sample's typed signals. `create()` validates the data and lists every failing field;
// each definition sets the `source` of the service that emits it.
import { defineSignal, type ValidationIssue } from '../lib/index.js';

/** Price (cents) and opening stock per SKU. */
export const CATALOG: Readonly<Record<string, { price: number; stock: number }>> = {
  book: { price: 1250, stock: 10 },
  pen: { price: 120, stock: 100 },
  mug: { price: 800, stock: 3 },
};

export interface OrderCreatedData {
  orderId: string;
  sku: string;
  quantity: number;
  /** Total in cents. */
  amount: number;
  /** Payment token, e.g. `tok_visa` (`tok_declined` is declined until fixed). */
  card: string;
}

export const OrderCreated = defineSignal<'order.created', OrderCreatedData>({
  type: 'order.created',
  source: '/sample/orders',
  schema: (d: unknown) => {
    const o = (d ?? {}) as Partial<Record<keyof OrderCreatedData, unknown>>;
    const issues: ValidationIssue[] = [];
    if (typeof o.orderId !== 'string')
      issues.push({ path: 'orderId', message: 'must be a string' });
    if (typeof o.sku !== 'string' || !Object.hasOwn(CATALOG, o.sku)) {
      issues.push({ path: 'sku', message: `must be one of ${Object.keys(CATALOG).join(', ')}` });
    }
    if (!Number.isInteger(o.quantity) || (o.quantity as number) < 1) {
      issues.push({ path: 'quantity', message: 'must be a positive integer' });
    }
    if (!Number.isInteger(o.amount) || (o.amount as number) < 0) {
      issues.push({ path: 'amount', message: 'must be a non-negative integer (cents)' });
    }
    if (typeof o.card !== 'string' || !/^tok_[a-z0-9_]+$/.test(o.card)) {
      issues.push({ path: 'card', message: 'must be a card token like tok_visa' });
    }
    return issues.length > 0 ? { issues } : { value: o as OrderCreatedData };
  },
});

export interface InventoryReservedData {
  orderId: string;
  sku: string;
  quantity: number;
  /** Stock left after the reservation. */
  remaining: number;
}

export const InventoryReserved = defineSignal<'inventory.reserved', InventoryReservedData>({
  type: 'inventory.reserved',
  source: '/sample/inventory',
});

export interface InventoryRejectedData {
  orderId: string;
  sku: string;
  quantity: number;
  available: number;
}

export const InventoryRejected = defineSignal<'inventory.rejected', InventoryRejectedData>({
  type: 'inventory.rejected',
  source: '/sample/inventory',
});

export interface PaymentCapturedData {
  orderId: string;
  amount: number;
  card: string;
  /** Charge attempts for this order so far, this one included (1 = first try). */
  attempt: number;
}

export const PaymentCaptured = defineSignal<'payment.captured', PaymentCapturedData>({
  type: 'payment.captured',
  source: '/sample/payments',
});

export interface PaymentDeclinedData {
  orderId: string;
  card: string;
  attempt: number;
  reason: string;
}

export const PaymentDeclined = defineSignal<'payment.declined', PaymentDeclinedData>({
  type: 'payment.declined',
  source: '/sample/payments',
});
