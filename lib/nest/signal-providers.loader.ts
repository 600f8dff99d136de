import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import type { BusMiddleware } from '../core/bus/middleware.interface.js';
import type { DispatchAdapter } from '../core/dispatch/adapter.interface.js';
import { receiverKind, type SignalReceiver } from '../core/dispatch/receiver.js';
import { describeThrown } from '../core/errors/jido-signal.error.js';
import {
  DEFAULT_SIGNAL_BUS_TOKEN,
  JIDO_SIGNAL_RUNTIME,
  getSignalBusToken,
} from './jido-signal.constants.js';
import { JidoSignalMessages } from './jido-signal.messages.js';
import { SignalRegistrationError } from './jido-signal-nest.error.js';
import { JidoSignalRuntime } from './jido-signal.runtime.js';
import {
  classCandidates,
  classNameOf,
  discoveredWrappers,
  type Wrapper,
} from './provider-wrappers.js';
import { SignalMetadataAccessor } from './signal-metadata.accessor.js';

/**
 * The providers the signal layer takes from the application's DI container:
 * `@SignalAdapter` classes become dispatch adapters, `@SignalMiddleware` classes bus
 * middleware, and the `named` adapter resolves receivers by provider token or class name.
 * It also checks that every `@InjectSignalBus(name)` names a bus the application has.
 * @internal
 */
@Injectable()
export class SignalProvidersLoader {
  readonly #receivers = new Map<string, SignalReceiver | null>();

  constructor(
    @Inject(JIDO_SIGNAL_RUNTIME) private readonly runtime: JidoSignalRuntime,
    private readonly discovery: DiscoveryService,
    private readonly accessor: SignalMetadataAccessor,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * Lets the dispatcher's `named` adapter resolve DI providers.
   * @returns removes the resolver again
   */
  installReceiverResolver(): () => void {
    return this.runtime.dispatcher.receivers.addResolver((name) => this.#resolveReceiver(name));
  }

  /** Fail clearly when a class injects a bus the application does not have. */
  checkInjectedBuses(): void {
    const read = (c: unknown) => this.accessor.getInjectedBuses(c);
    for (const [wrapper, injected] of this.#decorated(true, read)) {
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

  /** Registers the `@SignalAdapter` providers with the dispatcher. */
  registerAdapters(): void {
    const read = (c: unknown) => this.accessor.getAdapterName(c);
    for (const [wrapper, name] of this.#decorated(false, read)) {
      this.runtime.dispatcher.adapters.register(adapterView(wrapper, name));
    }
  }

  /** Adds the `@SignalMiddleware` providers (by `order`) to their bus, or to every bus. */
  registerMiddleware(): void {
    const found: {
      instance: BusMiddleware;
      bus: string | undefined;
      order: number;
      className: string;
    }[] = [];
    const read = (c: unknown) => this.accessor.getMiddlewareOptions(c);
    for (const [wrapper, options] of this.#decorated(false, read)) {
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
            JidoSignalMessages.middlewareInvalid(className, describeThrown(cause)),
            { cause },
          );
        }
      }
    }
  }

  /** The discovered wrappers whose class has the metadata `read` returns, with it. */
  *#decorated<T>(
    includeControllers: boolean,
    read: (candidate: unknown) => T | undefined,
  ): Generator<[Wrapper, T]> {
    for (const wrapper of discoveredWrappers(this.discovery, includeControllers)) {
      const value = classCandidates(wrapper)
        .map(read)
        .find((v) => v !== undefined);
      if (value !== undefined) yield [wrapper, value];
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

  /** Whether some provider gives the token a value (e.g. a test's own mock bus). */
  #providedElsewhere(name: string | null): boolean {
    const token = name === null ? DEFAULT_SIGNAL_BUS_TOKEN : getSignalBusToken(name);
    return this.discovery
      .getProviders()
      .some((w) => w.token === token && w.instance !== null && w.instance !== undefined);
  }
}

/**
 * A view of an `@SignalAdapter` provider under the decorator's name; the instance's own
 * `close()` stays Nest's business.
 * @throws SignalRegistrationError for an empty name, a request-scoped provider or a class
 *   without `validateOptions()` and `deliver()`
 */
function adapterView(wrapper: Wrapper, name: string): DispatchAdapter<unknown> {
  const instance = wrapper.instance as Partial<DispatchAdapter<unknown>>;
  const className = classNameOf(wrapper, instance);
  if (name.length === 0) {
    throw new SignalRegistrationError('invalid_option', JidoSignalMessages.adapterName(className));
  }
  if (!wrapper.isDependencyTreeStatic()) {
    throw new SignalRegistrationError(
      'invalid_option',
      JidoSignalMessages.adapterInvalid(className, name, 'adapters must not be request-scoped'),
    );
  }
  if (typeof instance.validateOptions !== 'function' || typeof instance.deliver !== 'function') {
    throw new SignalRegistrationError(
      'invalid_option',
      JidoSignalMessages.adapterInvalid(
        className,
        name,
        'the class must implement validateOptions() and deliver()',
      ),
    );
  }
  return {
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
}
