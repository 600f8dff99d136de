import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  ApplicationConfig,
  DiscoveryService,
  ExternalContextCreator,
  MetadataScanner,
  ModuleRef,
} from '@nestjs/core';
import type { SignalHandler } from '../core/bus/subscription.js';
import { SubscriptionExistsError } from '../core/errors/bus.error.js';
import { describeThrown } from '../core/errors/jido-signal.error.js';
import { JIDO_SIGNAL_RUNTIME } from './jido-signal.constants.js';
import { JidoSignalMessages } from './jido-signal.messages.js';
import { SignalRegistrationError } from './jido-signal-nest.error.js';
import { JidoSignalRuntime } from './jido-signal.runtime.js';
import { discoveredWrappers } from './provider-wrappers.js';
import type { SignalHandlerContext } from './signal-context.js';
import { SignalHandlerInvoker } from './signal-handler.invoker.js';
import { SignalHandlerPlanner, type PlannedSubscription } from './signal-handler.planner.js';
import { SignalHandlerRegistry } from './signal-handler.registry.js';
import { SignalMetadataAccessor } from './signal-metadata.accessor.js';

/**
 * Subscribes the `@OnSignal` methods of the discovered providers and controllers: the
 * planner validates every declaration and assigns the ids, the invoker builds each bus
 * handler, and every subscription made is recorded in the {@link SignalHandlerRegistry}.
 * @internal
 */
@Injectable()
export class SignalSubscribersLoader {
  readonly #logger = new Logger('JidoSignal');

  constructor(
    @Inject(JIDO_SIGNAL_RUNTIME) private readonly runtime: JidoSignalRuntime,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: SignalMetadataAccessor,
    private readonly contextCreator: ExternalContextCreator,
    private readonly moduleRef: ModuleRef,
    private readonly registry: SignalHandlerRegistry,
    @Optional() private readonly config?: ApplicationConfig,
  ) {}

  /** Subscribes every planned handler, in declaration order. */
  async load(): Promise<void> {
    const planner = new SignalHandlerPlanner(this.runtime, this.scanner, this.accessor);
    const invoker = new SignalHandlerInvoker(
      this.accessor,
      this.contextCreator,
      this.moduleRef,
      this.config,
    );
    for (const plan of planner.plan(discoveredWrappers(this.discovery, true))) {
      const { subscriptionId, patterns } = plan;
      const context: SignalHandlerContext = Object.freeze({
        bus: plan.bus.name,
        subscriptionId,
        pattern: patterns.join(', '),
        patterns,
      });
      const { handler, invocation } = invoker.create(plan, context);
      await this.#subscribe(plan, handler);
      if (plan.persistent && plan.derivedId) {
        this.#logger.warn(
          JidoSignalMessages.derivedSubscriptionId(
            `${plan.className}.${plan.methodName}`,
            subscriptionId,
            plan.bus.name,
          ),
        );
      }
      this.registry.add({
        className: plan.className,
        methodName: plan.methodName,
        bus: plan.bus.name,
        pattern: patterns.join(', '),
        patterns,
        subscriptionId,
        persistent: plan.persistent,
        invocation,
      });
    }
  }

  /** @throws SignalRegistrationError naming the method when the bus refuses the subscription */
  async #subscribe(plan: PlannedSubscription, handler: SignalHandler): Promise<void> {
    const { subscriptionId, patterns } = plan;
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
      const where = `${plan.className}.${plan.methodName}`;
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
        JidoSignalMessages.subscribeFailed(where, plan.bus.name, describeThrown(cause)),
        { cause, details },
      );
    }
  }
}
