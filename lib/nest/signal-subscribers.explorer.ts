import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, ExternalContextCreator, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { BusMiddleware } from '../core/bus/middleware.interface.js';
import type { DispatchAdapter } from '../core/dispatch/adapter.interface.js';
import { receiverKind, type SignalReceiver } from '../core/dispatch/receiver.js';
import { SubscriptionExistsError } from '../core/errors/bus.error.js';
import {
  DEFAULT_SIGNAL_BUS_TOKEN,
  JIDO_SIGNAL_RUNTIME,
  getSignalBusToken,
} from './jido-signal.constants.js';
import { JidoSignalMessages } from './jido-signal.messages.js';
import { SignalRegistrationError } from './jido-signal-nest.error.js';
import { JidoSignalRuntime } from './jido-signal.runtime.js';
import type { SignalHandlerContext } from './signal-context.js';
import { SignalHandlerInvoker, type SignalHandlerInvocation } from './signal-handler.invoker.js';
import { SignalHandlerPlanner, classNameOf, type Wrapper } from './signal-handler.planner.js';
import { SignalMetadataAccessor } from './signal-metadata.accessor.js';
import { SignalReadinessWatcher } from './signal-readiness.watcher.js';

export type { SignalHandlerInvocation } from './signal-handler.invoker.js';

/** One subscription made for an `@OnSignal` method (see {@link SignalSubscribersExplorer.handlers}). */
export interface SignalHandlerInfo {
  /** Class of the provider or controller. */
  readonly className: string;
  /** Method name. */
  readonly methodName: string;
  /** Bus subscribed on. */
  readonly bus: string;
  /** The patterns joined with `, ` (one pattern for an ordinary subscription). */
  readonly pattern: string;
  /** The patterns: one for an ordinary subscription, all of the decorator's when persistent. */
  readonly patterns: readonly string[];
  /** Subscription id on the bus. */
  readonly subscriptionId: string;
  /** Whether the subscription is persistent. */
  readonly persistent: boolean;
  /** How the method is invoked. */
  readonly invocation: SignalHandlerInvocation;
}

/**
 * Discovers `@OnSignal` methods, `@SignalAdapter` and `@SignalMiddleware` providers, and
 * owns the application's signal lifecycle:
 * - `onModuleInit`: adapters and middleware are registered, and the `named` adapter learns
 *   to resolve DI providers;
 * - `onApplicationBootstrap`: every handler is subscribed, then the readiness watcher turns
 *   ready and held publishes are delivered;
 * - `beforeApplicationShutdown`: intake stops, in-flight deliveries drain (up to
 *   `shutdownTimeout`), buses, their owned stores and the dispatcher close.
 */
@Injectable()
export class SignalSubscribersExplorer
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  readonly #logger = new Logger('JidoSignal');
  readonly #handlers: SignalHandlerInfo[] = [];
  readonly #receivers = new Map<string, SignalReceiver | null>();
  #removeResolver: (() => void) | undefined;

  constructor(
    @Inject(JIDO_SIGNAL_RUNTIME) private readonly runtime: JidoSignalRuntime,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: SignalMetadataAccessor,
    private readonly contextCreator: ExternalContextCreator,
    private readonly moduleRef: ModuleRef,
    private readonly readiness: SignalReadinessWatcher,
  ) {}

  /** The subscriptions made for `@OnSignal` methods, in registration order. */
  handlers(): readonly SignalHandlerInfo[] {
    return [...this.#handlers];
  }

  /** Registers adapters and middleware; installs the `named` resolver. @internal */
  onModuleInit(): void {
    this.#removeResolver = this.runtime.dispatcher.receivers.addResolver((name) =>
      this.#resolveReceiver(name),
    );
    this.#checkInjectedBuses();
    if (!this.runtime.registerHandlers) return;
    this.#registerAdapters();
    this.#registerMiddleware();
  }

  /** Subscribes every handler, then releases held publishes. @internal */
  async onApplicationBootstrap(): Promise<void> {
    this.readiness.setBootstrapping();
    try {
      if (this.runtime.registerHandlers) await this.#subscribeHandlers();
      this.readiness.setReady();
    } catch (error) {
      this.readiness.setErrored(error);
      throw error;
    }
  }

  /** Stops intake, drains and closes the buses and the dispatcher. @internal */
  async beforeApplicationShutdown(): Promise<void> {
    this.#removeResolver?.();
    this.#removeResolver = undefined;
    await this.runtime.close();
  }

  // ── discovery ──────────────────────────────────────────────────────────────

  #wrappers(includeControllers: boolean): Wrapper[] {
    const all = includeControllers
      ? [...this.discovery.getProviders(), ...this.discovery.getControllers()]
      : this.discovery.getProviders();
    return all.filter((w) => !w.isAlias && typeof w.instance === 'object' && w.instance !== null);
  }

  /** Metadata lookups go through the token first so `overrideProvider().useValue()` keeps them. */
  #classCandidates(wrapper: Wrapper): unknown[] {
    return [wrapper.token, wrapper.metatype, (wrapper.instance as object).constructor];
  }

  #registerAdapters(): void {
    for (const wrapper of this.#wrappers(false)) {
      const name = this.#classCandidates(wrapper)
        .map((c) => this.accessor.getAdapterName(c))
        .find((n) => n !== undefined);
      if (name === undefined) continue;
      const instance = wrapper.instance as Partial<DispatchAdapter<unknown>>;
      const className = classNameOf(wrapper, instance);
      if (name.length === 0) {
        throw new SignalRegistrationError(
          'invalid_option',
          JidoSignalMessages.adapterName(className),
        );
      }
      if (!wrapper.isDependencyTreeStatic()) {
        throw new SignalRegistrationError(
          'invalid_option',
          JidoSignalMessages.adapterInvalid(className, name, 'adapters must not be request-scoped'),
        );
      }
      if (
        typeof instance.validateOptions !== 'function' ||
        typeof instance.deliver !== 'function'
      ) {
        throw new SignalRegistrationError(
          'invalid_option',
          JidoSignalMessages.adapterInvalid(
            className,
            name,
            'the class must implement validateOptions() and deliver()',
          ),
        );
      }
      // A view under the decorator's name; the instance's own close() stays Nest's business.
      const adapter: DispatchAdapter<unknown> = {
        name,
        validateOptions: (options) => instance.validateOptions!(options),
        deliver: (signal, options, context) => instance.deliver!(signal, options, context),
        ...(typeof instance.healthCheck === 'function'
          ? { healthCheck: (options: unknown) => instance.healthCheck!(options) }
          : {}),
        ...(typeof instance.describeTarget === 'function'
          ? { describeTarget: (options: unknown) => instance.describeTarget!(options) }
          : {}),
      };
      this.runtime.dispatcher.adapters.register(adapter);
    }
  }

  #registerMiddleware(): void {
    const found: {
      instance: BusMiddleware;
      bus: string | undefined;
      order: number;
      className: string;
    }[] = [];
    for (const wrapper of this.#wrappers(false)) {
      const options = this.#classCandidates(wrapper)
        .map((c) => this.accessor.getMiddlewareOptions(c))
        .find((o) => o !== undefined);
      if (options === undefined) continue;
      const instance = wrapper.instance as BusMiddleware;
      const className = classNameOf(wrapper, instance);
      if (!wrapper.isDependencyTreeStatic()) {
        throw new SignalRegistrationError(
          'invalid_option',
          JidoSignalMessages.middlewareInvalid(className, 'middleware must not be request-scoped'),
        );
      }
      found.push({ instance, bus: options.bus, order: options.order ?? 0, className });
    }
    found.sort((a, b) => a.order - b.order);
    const buses = this.runtime.registry.list();
    for (const { instance, bus, className } of found) {
      if (bus !== undefined && !this.runtime.registry.has(bus)) {
        throw new SignalRegistrationError(
          'invalid_option',
          JidoSignalMessages.middlewareUnknownBus(className, bus, this.runtime.registry.names()),
        );
      }
      for (const target of bus === undefined ? buses : [this.runtime.registry.get(bus)!]) {
        try {
          target.use(instance);
        } catch (cause) {
          throw new SignalRegistrationError(
            'invalid_option',
            JidoSignalMessages.middlewareInvalid(
              className,
              cause instanceof Error ? cause.message : String(cause),
            ),
            { cause },
          );
        }
      }
    }
  }

  #resolveReceiver(name: string): SignalReceiver | undefined {
    const cached = this.#receivers.get(name);
    if (cached !== undefined) return cached ?? undefined;
    let found: unknown;
    try {
      found = this.moduleRef.get(name, { strict: false });
    } catch {
      // Not a string token: try providers whose class has that name.
      found = this.discovery
        .getProviders()
        .find(
          (w) =>
            !w.isAlias &&
            typeof w.token === 'function' &&
            w.token.name === name &&
            w.isDependencyTreeStatic(),
        )?.instance;
    }
    const receiver = receiverKind(found) === undefined ? undefined : (found as SignalReceiver);
    this.#receivers.set(name, receiver ?? null);
    return receiver;
  }

  // ── injected buses ─────────────────────────────────────────────────────────

  /** Fail clearly when a class injects a bus the application does not have. */
  #checkInjectedBuses(): void {
    for (const wrapper of this.#wrappers(true)) {
      const injected = this.#classCandidates(wrapper)
        .map((c) => this.accessor.getInjectedBuses(c))
        .find((n) => n !== undefined);
      if (injected === undefined) continue;
      for (const name of injected) {
        const bus = name ?? this.runtime.defaultBus;
        if (this.runtime.registry.has(bus) || this.#providedElsewhere(name)) continue;
        const className = classNameOf(wrapper, wrapper.instance as object);
        throw new SignalRegistrationError(
          'invalid_option',
          JidoSignalMessages.injectedBusMissing(className, bus, this.runtime.registry.names()),
          { details: { className, bus } },
        );
      }
    }
  }

  /** Whether some provider gives the token a value (e.g. a test's own mock bus). */
  #providedElsewhere(name: string | null): boolean {
    const token = name === null ? DEFAULT_SIGNAL_BUS_TOKEN : getSignalBusToken(name);
    return this.discovery
      .getProviders()
      .some((w) => w.token === token && w.instance !== null && w.instance !== undefined);
  }

  // ── handlers ───────────────────────────────────────────────────────────────

  async #subscribeHandlers(): Promise<void> {
    const planner = new SignalHandlerPlanner(this.runtime, this.scanner, this.accessor);
    const invoker = new SignalHandlerInvoker(this.accessor, this.contextCreator, this.moduleRef);
    for (const plan of planner.plan(this.#wrappers(true))) {
      const where = `${plan.className}.${plan.methodName}`;
      const { subscriptionId, patterns } = plan;
      const context: SignalHandlerContext = Object.freeze({
        bus: plan.bus.name,
        subscriptionId,
        pattern: patterns.join(', '),
        patterns,
      });
      const { handler, invocation } = invoker.create(plan, context);
      try {
        if (plan.persistent) {
          await plan.bus.subscribe(patterns, {
            ...plan.persistentOptions,
            persistent: true,
            autoAck: true,
            subscriptionId,
            priority: plan.options.priority,
            dispatch: handler,
          });
        } else {
          await plan.bus.subscribe(patterns[0], {
            subscriptionId,
            priority: plan.options.priority,
            dispatch: handler,
          });
        }
      } catch (cause) {
        const details = { className: plan.className, methodName: plan.methodName, subscriptionId };
        if (cause instanceof SubscriptionExistsError) {
          throw new SignalRegistrationError(
            'subscription_exists',
            JidoSignalMessages.subscriptionExists(where, plan.bus.name, subscriptionId),
            { cause, details },
          );
        }
        throw new SignalRegistrationError(
          'invalid_option',
          JidoSignalMessages.subscribeFailed(
            where,
            plan.bus.name,
            cause instanceof Error ? cause.message : String(cause),
          ),
          { cause, details },
        );
      }
      if (plan.persistent && plan.derivedId) {
        this.#logger.warn(
          JidoSignalMessages.derivedSubscriptionId(where, subscriptionId, plan.bus.name),
        );
      }
      this.#handlers.push(
        Object.freeze({
          className: plan.className,
          methodName: plan.methodName,
          bus: plan.bus.name,
          pattern: patterns.join(', '),
          patterns,
          subscriptionId,
          persistent: plan.persistent,
          invocation,
        }),
      );
    }
  }
}
