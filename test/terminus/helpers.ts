import 'reflect-metadata';
import { Test, type TestingModule } from '@nestjs/testing';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Dispatcher, type DispatchAdapter } from '../../lib/index.js';
import { SignalHealthIndicator } from '../../lib/terminus/index.js';

/** An adapter whose health check reports the `healthy` option it was given. */
export const probe: DispatchAdapter<{ healthy: boolean }> = {
  name: 'probe',
  validateOptions: (o) => ({ healthy: o.healthy === true }),
  deliver: () => undefined,
  healthCheck: (o) => ({ healthy: o.healthy, details: { probed: true } }),
};

/** The indicator in a real `TerminusModule`, without `JidoSignalModule`. */
export interface StandaloneIndicator {
  readonly moduleRef: TestingModule;
  readonly health: HealthCheckService;
  readonly signals: SignalHealthIndicator;
  /** A dispatcher that knows the {@link probe} adapter. */
  readonly dispatcher: Dispatcher;
  /** Closes the dispatcher and the module. */
  close(): Promise<void>;
}

export async function standaloneIndicator(): Promise<StandaloneIndicator> {
  const moduleRef = await Test.createTestingModule({
    imports: [TerminusModule.forRoot({ logger: false })],
    providers: [SignalHealthIndicator],
  }).compile();
  const dispatcher = new Dispatcher({ adapters: [probe] });
  return {
    moduleRef,
    health: moduleRef.get(HealthCheckService),
    signals: moduleRef.get(SignalHealthIndicator),
    dispatcher,
    close: async () => {
      await dispatcher.close();
      await moduleRef.close();
    },
  };
}
