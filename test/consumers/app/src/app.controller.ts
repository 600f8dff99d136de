import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { createSignal, InjectSignalBus, type SignalBus } from 'nestjs-jido-signal';
import { OrdersConsumer } from './orders.consumer.js';
import { UsersListener } from './users.listener.js';

@Controller()
export class AppController {
  constructor(
    @InjectSignalBus() private readonly bus: SignalBus,
    private readonly users: UsersListener,
    private readonly orders: OrdersConsumer,
  ) {}

  @Post('users/:id')
  @HttpCode(202)
  async createUser(@Param('id') id: string): Promise<{ published: string }> {
    const [stored] = await this.bus.publish(createSignal('user.created', { id }));
    return { published: stored.signal.id };
  }

  @Post('orders/:id')
  @HttpCode(202)
  async placeOrder(@Param('id') orderId: string): Promise<{ published: string }> {
    const [stored] = await this.bus.publish(createSignal('order.placed', { orderId }));
    return { published: stored.signal.id };
  }

  @Get('seen')
  seen(): { users: string[]; orders: string[] } {
    return { users: this.users.seen, orders: this.orders.handled };
  }
}
