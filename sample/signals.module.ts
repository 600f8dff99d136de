import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Dispatcher, MemoryStore, SignalBus, configureSignals } from '../lib/index.js';
import { SignalHealthIndicator } from '../lib/terminus/index.js';

// The sample wires the core by hand; JidoSignalModule (forRoot, @OnSignal) replaces this
// file once the Nest layer lands.
configureSignals({ source: '/sample-orders' });

export const ORDERS_BUS = Symbol('ORDERS_BUS');

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  providers: [
    { provide: MemoryStore, useFactory: () => new MemoryStore() },
    { provide: Dispatcher, useFactory: () => new Dispatcher() },
    {
      provide: ORDERS_BUS,
      inject: [MemoryStore, Dispatcher],
      useFactory: (store: MemoryStore, dispatcher: Dispatcher) =>
        new SignalBus({ name: 'orders', store, dispatcher }),
    },
    SignalHealthIndicator,
  ],
  exports: [TerminusModule, MemoryStore, Dispatcher, ORDERS_BUS, SignalHealthIndicator],
})
export class SignalsModule implements OnApplicationShutdown {
  constructor(
    @Inject(ORDERS_BUS) private readonly bus: SignalBus,
    private readonly dispatcher: Dispatcher,
    private readonly store: MemoryStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    await this.dispatcher.close();
    await this.store.close();
  }
}
