import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  UseFilters,
} from '@nestjs/common';
import { InventoryService } from './inventory.service.js';
import { OrdersService, type OrderInput, type OrderView } from './orders.service.js';
import { PartnerService } from './partner.service.js';
import { PaymentsService } from './payments.service.js';
import { SignalErrorFilter } from './signal-error.filter.js';
import { TraceService, type TraceView } from './trace.js';

/** The shop's HTTP side: placing orders publishes signals, the rest reads what handlers did. */
@Controller()
@UseFilters(SignalErrorFilter)
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly inventory: InventoryService,
    private readonly payments: PaymentsService,
    private readonly partner: PartnerService,
    private readonly traces: TraceService,
  ) {}

  /** Publishes `order.created`; invalid input is a 400 listing every failing field. */
  @Post('orders')
  @HttpCode(202)
  place(@Body() body: OrderInput): Promise<OrderView> {
    return this.orders.place(body);
  }

  @Get('orders')
  list(): OrderView[] {
    return this.orders.list();
  }

  @Get('orders/:id')
  get(@Param('id') id: string): OrderView {
    const order = this.orders.get(id);
    if (order === undefined) throw new NotFoundException(`No order ${id}`);
    return order;
  }

  /** The order's causality tree from the journal: `order.created` and everything it caused. */
  @Get('orders/:id/trace')
  trace(@Param('id') id: string): Promise<TraceView> {
    return this.traces.trace(this.get(id).signalId);
  }

  @Get('inventory')
  stock(): Record<string, number> {
    return this.inventory.levels();
  }

  /** The customer fixed the card: later charges (retries, a DLQ redrive) succeed. */
  @Post('payments/cards/:card/fix')
  @HttpCode(200)
  fixCard(@Param('card') card: string): { card: string; fixed: boolean; declined: string[] } {
    const fixed = this.payments.fixCard(card);
    return { card, fixed, declined: this.payments.declinedCards() };
  }

  /** What the partner received and verified (Standard Webhooks signatures). */
  @Get('partner/webhooks')
  partnerWebhooks() {
    return { received: this.partner.received, rejected: this.partner.rejected };
  }
}
