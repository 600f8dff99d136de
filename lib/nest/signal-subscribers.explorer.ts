import {
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import {
  ApplicationConfig,
  ContextIdFactory,
  DiscoveryService,
  ExternalContextCreator,
  MetadataScanner,
  ModuleRef,
  type ParamsFactory,
} from '@nestjs/core';
import type { BusMiddleware } from '../core/bus/middleware.interface.js';
import type { SignalBus } from '../core/bus/signal-bus.js';
import type { SignalHandler } from '../core/bus/subscription.js';
import type { DispatchAdapter } from '../core/dispatch/adapter.interface.js';
import { receiverKind, type SignalReceiver } from '../core/dispatch/receiver.js';
import { InvalidPatternError } from '../core/errors/router.error.js';
import { validatePattern } from '../core/router/pattern.js';
import type { Signal } from '../core/signal/signal.js';
import {
  DEFAULT_SIGNAL_BUS,
  JIDO_SIGNAL_RUNTIME,
  SIGNAL_ARGS_METADATA,
  SIGNAL_CONTEXT_TYPE,
} from './jido-signal.constants.js';
import { JidoSignalMessages } from './jido-signal.messages.js';
import { SignalRegistrationError } from './jido-signal-nest.error.js';
import type { OnSignalMetadata, OnSignalOptions } from './jido-signal-options.interface.js';
import { JidoSignalRuntime } from './jido-signal.runtime.js';
import { SignalParamsFactory, type SignalHandlerContext } from './signal-context.js';
import { SignalMetadataAccessor } from './signal-metadata.accessor.js';
import { SignalReadinessWatcher } from './signal-readiness.watcher.js';

type Wrapper = ReturnType<DiscoveryService['getProviders']>[number];
type Method = (...args: unknown[]) => unknown;

/** How a registered handler is invoked. */
export type SignalHandlerInvocation =
  /** Called directly: no enhancers, no parameter decorators (the fast path). */
  | 'direct'
  /** Through Nest's `ExternalContextCreator` (guards, interceptors, pipes, filters, params). */
  | 'context'
  /** A new instance per signal (request-scoped provider; the signal is the request). */
  | 'request';

/** One subscription made for an `@OnSignal` method (see {@link SignalSubscribersExplorer.handlers}). */
export interface SignalHandlerInfo {
  /** Class of the provider or controller. */
  readonly className: string;
  /** Method name. */
  readonly methodName: string;
  /** Bus subscribed on. */
  readonly bus: string;
  /** Pattern. */
  readonly pattern: string;
  /** Subscription id on the bus. */
  readonly subscriptionId: string;
  /** Whether the subscription is persistent. */
  readonly persistent: boolean;
  /** How the method is invoked. */
  readonly invocation: SignalHandlerInvocation;
}

interface PlannedSubscription {
  readonly wrapper: Wrapper;
  readonly instance: object;
  readonly className: string;
  readonly methodName: string;
  readonly method: Method;
  readonly pattern: string;
  readonly bus: SignalBus;
  readonly options: Readonly<OnSignalOptions>;
}

/** Message of Nest's `ForbiddenException` when a guard returns `false`. */
const GUARD_REJECTED_MESSAGE = 'Forbidden resource';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function classNameOf(wrapper: Wrapper, instance: object): string {
  const ctor = (instance as { constructor?: { name?: string } }).constructor;
  return (
    ctor?.name || (typeof wrapper.token === 'function' ? wrapper.token.name : String(wrapper.name))
  );
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
  readonly #params: ParamsFactory = new SignalParamsFactory();
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
    if (!this.runtime.registerHandlers) return;
    this.#registerAdapters();
    this.#registerMiddleware();
  }

  /** Subscribes every handler, then releases held publishes. @internal */
  async onApplicationBootstrap(): Promise<void> {
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

  // ── handlers ───────────────────────────────────────────────────────────────

  async #subscribeHandlers(): Promise<void> {
    const planned = this.#plan();
    const used = new Map<string, number>();
    for (const plan of planned) {
      const where = `${plan.className}.${plan.methodName}`;
      const persistent = plan.options.persistent;
      const base = where;
      let subscriptionId: string;
      if (persistent !== undefined) {
        subscriptionId = (persistent === true ? undefined : persistent.subscriptionId) ?? base;
      } else {
        const key = `${plan.bus.name}\u0000${base}`;
        const n = (used.get(key) ?? 0) + 1;
        used.set(key, n);
        subscriptionId = n === 1 ? base : `${base}#${n}`;
      }
      const context: SignalHandlerContext = Object.freeze({
        bus: plan.bus.name,
        subscriptionId,
        pattern: plan.pattern,
      });
      const { invoke, invocation } = this.#createInvoker(plan, context);
      const rethrow = persistent !== undefined || plan.options.onError === 'rethrow';
      const handler = this.#guardErrors(invoke, context, rethrow, plan.bus);
      try {
        if (persistent !== undefined) {
          const { subscriptionId: _ignored, ...rest } = persistent === true ? {} : persistent;
          await plan.bus.subscribe(plan.pattern, {
            ...rest,
            persistent: true,
            autoAck: true,
            subscriptionId,
            priority: plan.options.priority,
            dispatch: handler,
          });
        } else {
          await plan.bus.subscribe(plan.pattern, {
            subscriptionId,
            priority: plan.options.priority,
            dispatch: handler,
          });
        }
      } catch (cause) {
        throw new SignalRegistrationError(
          'invalid_option',
          JidoSignalMessages.subscribeFailed(
            where,
            plan.bus.name,
            cause instanceof Error ? cause.message : String(cause),
          ),
          { cause, details: { className: plan.className, methodName: plan.methodName } },
        );
      }
      this.#handlers.push(
        Object.freeze({
          className: plan.className,
          methodName: plan.methodName,
          bus: plan.bus.name,
          pattern: plan.pattern,
          subscriptionId,
          persistent: persistent !== undefined,
          invocation,
        }),
      );
    }
  }

  /** Validate everything first, so a bad declaration registers nothing. */
  #plan(): PlannedSubscription[] {
    const planned: PlannedSubscription[] = [];
    for (const wrapper of this.#wrappers(true)) {
      const instance = wrapper.instance as Record<string, unknown>;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (prototype === null) continue;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[methodName];
        const entries = this.accessor.getSignalHandlers(method);
        if (entries === undefined) continue;
        const className = classNameOf(wrapper, instance);
        for (const entry of entries) {
          planned.push(
            ...this.#planEntry(wrapper, instance, className, methodName, method as Method, entry),
          );
        }
      }
    }
    return planned;
  }

  #planEntry(
    wrapper: Wrapper,
    instance: object,
    className: string,
    methodName: string,
    method: Method,
    entry: OnSignalMetadata,
  ): PlannedSubscription[] {
    const where = `${className}.${methodName}`;
    const details = { className, methodName };
    const options = entry.options ?? {};
    if (!Array.isArray(entry.patterns) || entry.patterns.length === 0) {
      throw new SignalRegistrationError('invalid_pattern', JidoSignalMessages.noPatterns(where), {
        details,
      });
    }
    if (
      options.onError !== undefined &&
      options.onError !== 'log' &&
      options.onError !== 'rethrow'
    ) {
      throw new SignalRegistrationError(
        'invalid_option',
        JidoSignalMessages.invalidOnError(where, options.onError),
        { details },
      );
    }
    const busName = options.bus ?? DEFAULT_SIGNAL_BUS;
    const bus = this.runtime.registry.get(busName);
    if (bus === undefined) {
      throw new SignalRegistrationError(
        'invalid_option',
        JidoSignalMessages.unknownBus(where, busName, this.runtime.registry.names()),
        { details: { ...details, bus: busName } },
      );
    }
    if (options.persistent !== undefined && !wrapper.isDependencyTreeStatic()) {
      throw new SignalRegistrationError(
        'invalid_option',
        JidoSignalMessages.persistentRequestScoped(where),
        { details },
      );
    }
    return entry.patterns.map((pattern) => {
      try {
        validatePattern(pattern);
      } catch (cause) {
        const reason =
          cause instanceof InvalidPatternError || cause instanceof Error
            ? cause.message
            : String(cause);
        throw new SignalRegistrationError(
          'invalid_pattern',
          JidoSignalMessages.invalidPattern(where, pattern, reason),
          { cause, details: { ...details, pattern } },
        );
      }
      return { wrapper, instance, className, methodName, method, pattern, bus, options };
    });
  }

  // ── invocation ─────────────────────────────────────────────────────────────

  #globalEnhancers(): { any: boolean; filters: boolean } {
    const config = (
      this.contextCreator as unknown as { container?: { applicationConfig?: unknown } }
    ).container?.applicationConfig;
    if (!(config instanceof ApplicationConfig)) return { any: true, filters: true };
    const filters =
      config.getGlobalFilters().length > 0 || config.getGlobalRequestFilters().length > 0;
    const any =
      filters ||
      config.getGlobalGuards().length > 0 ||
      config.getGlobalRequestGuards().length > 0 ||
      config.getGlobalInterceptors().length > 0 ||
      config.getGlobalRequestInterceptors().length > 0;
    return { any, filters };
  }

  #createInvoker(
    plan: PlannedSubscription,
    context: SignalHandlerContext,
  ): { invoke: (signal: Signal) => unknown; invocation: SignalHandlerInvocation } {
    const { wrapper, instance, method, methodName } = plan;
    const globals = this.#globalEnhancers();
    const hasParams = this.accessor.hasSignalParams(instance, methodName);
    const useContext = hasParams || globals.any || this.accessor.hasEnhancers(instance, method);
    const filters = globals.filters || this.accessor.hasFilters(instance, method);
    const contextOptions = { guards: true, interceptors: true, filters };

    if (!wrapper.isDependencyTreeStatic()) {
      // The signal is the request: a new context (and provider instance) per signal, unless
      // an applied ContextIdStrategy maps it to a durable sub-tree (e.g. per tenant).
      const invoke = async (signal: Signal): Promise<unknown> => {
        const contextId = ContextIdFactory.getByRequest(signal);
        this.moduleRef.registerRequestByContextId(signal, contextId);
        const scoped = await this.moduleRef.resolve<unknown, object>(wrapper.token, contextId, {
          strict: false,
        });
        if (!useContext) return method.call(scoped, signal, context);
        const fn = this.contextCreator.create(
          scoped,
          method,
          methodName,
          SIGNAL_ARGS_METADATA,
          this.#params,
          contextId,
          wrapper.id,
          contextOptions,
          SIGNAL_CONTEXT_TYPE,
        );
        return fn(signal, context);
      };
      return { invoke, invocation: 'request' };
    }

    if (!useContext) {
      return { invoke: (signal) => method.call(instance, signal, context), invocation: 'direct' };
    }
    const fn = this.contextCreator.create(
      instance,
      method,
      methodName,
      SIGNAL_ARGS_METADATA,
      this.#params,
      undefined,
      undefined,
      contextOptions,
      SIGNAL_CONTEXT_TYPE,
    );
    return { invoke: (signal) => fn(signal, context), invocation: 'context' };
  }

  /**
   * Log every failure with its stack, and make it visible on the bus's `errors$` in both
   * modes: with `rethrow` the delivery fails (the bus reports it, counts it failed, a
   * persistent subscription retries); with `log` the delivery succeeds and the error is
   * reported through `bus.reportSubscriberError`. A guard returning `false` skips the
   * handler: not an error. Synchronous handlers stay synchronous (no promise on the bus's
   * fast path).
   */
  #guardErrors(
    invoke: (signal: Signal) => unknown,
    context: SignalHandlerContext,
    rethrow: boolean,
    bus: SignalBus,
  ): SignalHandler {
    const fail = (error: unknown, signal: Signal): undefined => {
      if (error instanceof ForbiddenException && error.message === GUARD_REJECTED_MESSAGE) {
        return undefined;
      }
      this.#logger.error(
        `${JidoSignalMessages.handlerFailed(context.subscriptionId, signal.type, signal.id)}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        error instanceof Error ? error.stack : undefined,
      );
      if (rethrow) throw error;
      bus.reportSubscriberError(context.subscriptionId, signal.id, error);
      return undefined;
    };
    return (signal) => {
      let result: unknown;
      try {
        result = invoke(signal);
      } catch (error) {
        return fail(error, signal);
      }
      return isThenable(result)
        ? result.then(undefined, (error: unknown) => fail(error, signal))
        : result;
    };
  }
}
