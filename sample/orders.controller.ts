import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Dispatcher, MemoryStore, type SignalBus } from '../lib/index.js';
import { SignalHealthIndicator } from '../lib/terminus/index.js';
import { OrdersService, type OrderInput } from './orders.service.js';
import { ORDERS_BUS } from './signals.module.js';

@Controller()
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    @Inject(ORDERS_BUS) private readonly bus: SignalBus,
    private readonly store: MemoryStore,
    private readonly dispatcher: Dispatcher,
    private readonly health: HealthCheckService,
    private readonly signals: SignalHealthIndicator,
  ) {}

  /** Publishes `order.created`; invalid input is a 400 listing every failing field. */
  @Post('orders')
  @HttpCode(202)
  async place(@Body() body: OrderInput) {
    const signal = await this.orders.place(body);
    return { id: signal.id, type: signal.type, data: signal.data };
  }

  @Get('stock')
  stock() {
    return Object.fromEntries(this.orders.stock);
  }

  /** Replays the log: `/signals?pattern=order.**&limit=10`. */
  @Get('signals')
  async signalsLog(@Query('pattern') pattern = '**', @Query('limit') limit?: string) {
    const entries = await this.bus.replay(pattern, {
      limit: limit === undefined ? undefined : Number(limit),
    });
    return entries.map((e) => ({ logId: e.logId, signal: e.signal }));
  }

  @Get('stats')
  stats() {
    return this.bus.stats();
  }

  @Get('partner')
  partner() {
    return this.orders.partner.received;
  }

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.signals.checkStore('signal-store', this.store),
      () =>
        this.signals.checkDispatchTargets('audit-logger', this.dispatcher, [{ adapter: 'logger' }]),
    ]);
  }
}
