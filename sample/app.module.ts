import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import {
  JidoSignalModule,
  MemoryJournal,
  SignalJournal,
  type JidoSignalModuleOptions,
} from '../lib/index.js';
import { JetStreamJournal } from '../lib/jetstream/index.js';
import { RedisJournal } from '../lib/redis/index.js';
import { SignalHealthIndicator } from '../lib/terminus/index.js';
import { AdminController, HealthController } from './admin.controller.js';
import { AuditService } from './audit.service.js';
import { SampleBoardModule } from './board.js';
import { InventoryService } from './inventory.service.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';
import { PartnerService } from './partner.service.js';
import { PaymentsService } from './payments.service.js';
import { SignalsController } from './signals.controller.js';
import { TraceService } from './trace.js';

/** Where the sample keeps its signals. */
export interface SampleStoreOptions {
  /** NATS JetStream instead of memory: several sample processes then share one bus. */
  readonly jetstream?: { readonly servers: string; readonly prefix: string };
  /** Redis Streams instead of memory: several sample processes then share one bus. */
  readonly redis?: { readonly url: string; readonly prefix: string };
}

/**
 * The orders app. `AppModule.forRoot()` creates the causality journal of one application
 * (so several applications in one process — e.g. tests — share nothing) and hands it to the
 * `default` bus: every published signal is recorded with its cause, and signals published
 * inside a handler get `causationid`/`correlationid` automatically. By default the bus log
 * and the journal live in memory; with `jetstream` both live in NATS JetStream, with `redis`
 * in Redis.
 */
@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(private readonly journal: SignalJournal) {}

  static async forRoot(options: SampleStoreOptions = {}): Promise<DynamicModule> {
    const js = options.jetstream;
    const redis = options.redis;
    const journal = new SignalJournal({
      adapter:
        redis !== undefined
          ? await RedisJournal.open({ url: redis.url, name: `${redis.prefix}:journal` })
          : js === undefined
            ? new MemoryJournal()
            : await JetStreamJournal.open({
                servers: js.servers,
                stream: `${js.prefix.toUpperCase()}_JOURNAL`,
                subject: `${js.prefix}.journal`,
              }),
    });
    const shared = js !== undefined || redis !== undefined;
    const signals: JidoSignalModuleOptions = {
      buses: [{ name: 'default', journal, ...(shared ? { maxLogSize: Infinity } : {}) }],
      shutdownTimeout: 5_000,
      ...(js === undefined ? {} : { store: { type: 'jetstream', ...js } }),
      ...(redis === undefined ? {} : { store: { type: 'redis', ...redis } }),
    };
    return {
      module: AppModule,
      imports: [
        JidoSignalModule.forRoot(signals),
        TerminusModule.forRoot({ logger: false }),
        SampleBoardModule,
      ],
      controllers: [OrdersController, SignalsController, AdminController, HealthController],
      providers: [
        { provide: SignalJournal, useValue: journal },
        OrdersService,
        InventoryService,
        PaymentsService,
        AuditService,
        PartnerService,
        TraceService,
        SignalHealthIndicator,
      ],
    };
  }

  /** Runs after the module drained and closed the buses (`beforeApplicationShutdown`). */
  async onApplicationShutdown(): Promise<void> {
    await this.journal.close();
  }
}
