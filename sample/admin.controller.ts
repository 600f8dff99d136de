import { Controller, Delete, Get, HttpCode, Post, Query, UseFilters } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import {
  InjectSignalBus,
  SignalJournal,
  SignalHandlerRegistry,
  type SignalBus,
} from '../lib/index.js';
import { SignalHealthIndicator } from '../lib/terminus/index.js';
import { PartnerService } from './partner.service.js';
import { PAYMENTS_SUBSCRIPTION } from './payments.service.js';
import { SignalErrorFilter } from './signal-error.filter.js';

/** Operations: bus statistics and the dead-letter queues of the persistent subscriptions. */
@Controller('admin')
@UseFilters(SignalErrorFilter)
export class AdminController {
  constructor(
    @InjectSignalBus() private readonly bus: SignalBus,
    private readonly signalHandlers: SignalHandlerRegistry,
    private readonly journal: SignalJournal,
  ) {}

  /** Bus counters per subscription (persistent ones with acked/retried/dead-lettered), the
   * `@OnSignal` handlers the module subscribed, and the journal size. */
  @Get('stats')
  async stats() {
    return {
      bus: await this.bus.stats(),
      handlers: this.signalHandlers.handlers(),
      journal: { size: await this.journal.size() },
    };
  }

  /** DLQ entries of one persistent subscription, or of all of them. */
  @Get('dlq')
  async dlq(@Query('subscription') subscription?: string) {
    const ids =
      subscription === undefined
        ? this.bus
            .subscriptions()
            .filter((s) => s.persistent)
            .map((s) => s.id)
        : [subscription];
    const lists = await Promise.all(ids.map((id) => this.bus.dlq.list(id)));
    return lists.flat().map((e) => ({
      id: e.id,
      subscriptionId: e.subscriptionId,
      signal: {
        id: e.signal.id,
        type: e.signal.type,
        subject: e.signal.subject,
        data: e.signal.data,
      },
      attempts: e.attempts,
      lastError: e.lastError,
      firstAttemptAt: new Date(e.firstAttemptAt).toISOString(),
      lastAttemptAt: new Date(e.lastAttemptAt).toISOString(),
    }));
  }

  /** Sends the DLQ back through the subscription (attempts start over). */
  @Post('dlq/redrive')
  @HttpCode(200)
  async redrive(@Query('subscription') subscription: string = PAYMENTS_SUBSCRIPTION) {
    const { redriven, failed } = await this.bus.dlq.redrive(subscription);
    return { subscriptionId: subscription, redriven, failed };
  }

  /** Drops the DLQ of a subscription. */
  @Delete('dlq')
  async clear(@Query('subscription') subscription: string = PAYMENTS_SUBSCRIPTION) {
    return { subscriptionId: subscription, cleared: await this.bus.dlq.clear(subscription) };
  }
}

/**
 * Terminus health: every bus of the module (store reachable, subscriptions, DLQ depth, the
 * partner webhook target). A non-empty DLQ is `degraded` (HTTP 200), a closed bus or an
 * unreachable store `down` (HTTP 503).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly signals: SignalHealthIndicator,
    private readonly partner: PartnerService,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () =>
        this.signals.checkBuses('signals', {
          maxDlqDepth: 0,
          degradeOnly: true,
          targets: [this.partner.target],
        }),
    ]);
  }
}
