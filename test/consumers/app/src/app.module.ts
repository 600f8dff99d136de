import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JidoSignalModule } from 'nestjs-jido-signal';
import { SignalHealthIndicator } from 'nestjs-jido-signal/terminus';
import { AppController } from './app.controller.js';
import { HealthController } from './health.controller.js';
import { MailerService } from './mailer.service.js';
import { OrdersConsumer } from './orders.consumer.js';
import { UsersListener } from './users.listener.js';

/** Kept in a constant so tests can swap it for `JidoSignalTestingModule`. */
export const SignalsModule = JidoSignalModule.forRoot({ shutdownTimeout: 2_000 });

@Module({
  imports: [SignalsModule, TerminusModule.forRoot({ logger: false })],
  controllers: [AppController, HealthController],
  providers: [MailerService, UsersListener, OrdersConsumer, SignalHealthIndicator],
})
export class AppModule {}
