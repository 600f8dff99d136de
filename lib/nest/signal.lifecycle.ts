import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { JIDO_SIGNAL_RUNTIME } from './jido-signal.constants.js';
import { JidoSignalRuntime } from './jido-signal.runtime.js';
import { SignalProvidersLoader } from './signal-providers.loader.js';
import { SignalReadinessWatcher } from './signal-readiness.watcher.js';
import { SignalSubscribersLoader } from './signal-subscribers.loader.js';

/**
 * The application's signal lifecycle (the only provider of the module with Nest hooks):
 * - `onModuleInit`: the `named` adapter learns to resolve DI providers, injected buses are
 *   checked, adapters and middleware are registered;
 * - `onApplicationBootstrap`: every `@OnSignal` handler is subscribed, then the readiness
 *   watcher turns ready and held publishes are delivered;
 * - `beforeApplicationShutdown`: intake stops, in-flight deliveries drain (up to
 *   `shutdownTimeout`), buses, their owned stores and the dispatcher close.
 * @internal
 */
@Injectable()
export class SignalLifecycle
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  #removeResolver: (() => void) | undefined;

  constructor(
    @Inject(JIDO_SIGNAL_RUNTIME) private readonly runtime: JidoSignalRuntime,
    private readonly providers: SignalProvidersLoader,
    private readonly subscribers: SignalSubscribersLoader,
    private readonly readiness: SignalReadinessWatcher,
  ) {}

  /** Installs the `named` resolver; registers adapters and middleware. */
  onModuleInit(): void {
    this.#removeResolver = this.providers.installReceiverResolver();
    this.providers.checkInjectedBuses();
    if (!this.runtime.registerHandlers) return;
    this.providers.registerAdapters();
    this.providers.registerMiddleware();
  }

  /** Subscribes every handler, then releases held publishes. */
  async onApplicationBootstrap(): Promise<void> {
    this.readiness.setBootstrapping();
    try {
      if (this.runtime.registerHandlers) await this.subscribers.load();
      this.readiness.setReady();
    } catch (error) {
      this.readiness.setErrored(error);
      throw error;
    }
  }

  /** Stops intake, drains and closes the buses and the dispatcher. */
  async beforeApplicationShutdown(): Promise<void> {
    this.#removeResolver?.();
    this.#removeResolver = undefined;
    await this.runtime.close();
  }
}
