import { Injectable, Logger } from '@nestjs/common';
import { InjectSignalBus, OnSignal, SignalData, type SignalBus } from '../lib/index.js';
import {
  CATALOG,
  InventoryRejected,
  InventoryReserved,
  OrderCreated,
  type OrderCreatedData,
} from './signals.js';

/**
 * Inventory: an ordinary `@OnSignal` handler. It reserves stock for each `order.created` and
 * publishes `inventory.reserved` (or `inventory.rejected`) from inside the handler, so the
 * bus links the new signal to the order (`causationid`, `correlationid`).
 */
@Injectable()
export class InventoryService {
  private readonly logger = new Logger('Inventory');
  private readonly stock = new Map(Object.entries(CATALOG).map(([sku, c]) => [sku, c.stock]));

  constructor(@InjectSignalBus() private readonly bus: SignalBus) {}

  levels(): Record<string, number> {
    return Object.fromEntries(this.stock);
  }

  @OnSignal(OrderCreated.type)
  async reserve(@SignalData() order: OrderCreatedData): Promise<void> {
    const available = this.stock.get(order.sku) ?? 0;
    const { orderId, sku, quantity } = order;
    if (available < quantity) {
      this.logger.warn(`${orderId}: only ${available} × ${sku} left, ${quantity} wanted`);
      await this.bus.publish(InventoryRejected.create({ orderId, sku, quantity, available }));
      return;
    }
    const remaining = available - quantity;
    this.stock.set(sku, remaining);
    this.logger.log(`${orderId}: reserved ${quantity} × ${sku}, ${remaining} left`);
    await this.bus.publish(InventoryReserved.create({ orderId, sku, quantity, remaining }));
  }
}
