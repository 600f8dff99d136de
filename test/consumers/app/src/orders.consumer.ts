import { Injectable } from '@nestjs/common';
import { OnSignal, SignalData } from 'nestjs-jido-signal';
import { MailerService } from './mailer.service.js';

/** A persistent (at-least-once) handler: acked when it resolves, retried when it throws. */
@Injectable()
export class OrdersConsumer {
  readonly handled: string[] = [];

  constructor(private readonly mailer: MailerService) {}

  @OnSignal('order.placed', { persistent: { subscriptionId: 'orders', maxAttempts: 3 } })
  async onOrder(@SignalData('orderId') orderId: string): Promise<void> {
    await this.mailer.send(orderId);
    this.handled.push(orderId);
  }
}
