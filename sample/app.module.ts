import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JidoSignalModule, MemoryJournal, SignalJournal } from '../lib/index.js';
import { SignalHealthIndicator } from '../lib/terminus/index.js';
import { AdminController, HealthController } from './admin.controller.js';
import { AuditService } from './audit.service.js';
import { InventoryService } from './inventory.service.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';
import { PartnerService } from './partner.service.js';
import { PaymentsService } from './payments.service.js';
import { SignalsController } from './signals.controller.js';
import { TraceService } from './trace.js';

/**
 * The orders app. `AppModule.forRoot()` creates the causality journal of one application
 * (so several applications in one process — e.g. tests — share nothing) and hands it to the
 * `default` bus: every published signal is recorded with its cause, and signals published
 * inside a handler get `causationid`/`correlationid` automatically. The bus keeps its log in
 * the in-memory default store.
 */
@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(private readonly journal: SignalJournal) {}

  static forRoot(): DynamicModule {
    const journal = new SignalJournal({ adapter: new MemoryJournal() });
    return {
      module: AppModule,
      imports: [
        JidoSignalModule.forRoot({ buses: [{ name: 'default', journal }], shutdownTimeout: 5_000 }),
        TerminusModule.forRoot({ logger: false }),
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
