import { Module } from '@nestjs/common';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';
import { SignalsModule } from './signals.module.js';
import { SignalErrorFilter } from './signal-error.filter.js';
import { APP_FILTER } from '@nestjs/core';

@Module({
  imports: [SignalsModule],
  controllers: [OrdersController],
  providers: [OrdersService, { provide: APP_FILTER, useClass: SignalErrorFilter }],
})
export class AppModule {}
