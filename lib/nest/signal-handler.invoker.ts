import { AsyncLocalStorage } from 'node:async_hooks';
import { isObservable, lastValueFrom } from 'rxjs';
import { ForbiddenException, HttpException, Logger } from '@nestjs/common';
import {
  ApplicationConfig,
  ContextIdFactory,
  type ContextId,
  type ExternalContextCreator,
  type ModuleRef,
  type ParamsFactory,
} from '@nestjs/core';
import { setRejectionHook } from '../core/bus/rejection-hook.js';
import type { SignalBus } from '../core/bus/signal-bus.js';
import type { SignalHandler } from '../core/bus/subscription.js';
import type { DeliveryContext } from '../core/dispatch/adapter.interface.js';
import type { Signal } from '../core/signal/signal.js';
import { SIGNAL_ARGS_METADATA, SIGNAL_CONTEXT_TYPE } from './jido-signal.constants.js';
import { JidoSignalMessages } from './jido-signal.messages.js';
import { SignalParamsFactory, type SignalHandlerContext } from './signal-context.js';
import type { SignalMetadataAccessor } from './signal-metadata.accessor.js';
import type { PlannedSubscription } from './signal-handler.planner.js';
import type { SignalHandlerInvocation } from './signal-handler.registry.js';
import { toPromise } from '../core/util/to-promise.js';

type Method = (...args: unknown[]) => unknown;

/**
 * Calls the handler for one delivery. On a persistent subscription it declares the
 * `DeliveryContext` parameter and passes it on; an ordinary one takes the signal only.
 */
type Invoke = (signal: Signal, delivery?: DeliveryContext) => unknown;

/** Message of Nest's `ForbiddenException` when a guard returns `false`. */
const GUARD_REJECTED_MESSAGE = 'Forbidden resource';

/** An ordinary handler method on the direct path, and the instance it is called on. */
interface DirectCall {
  readonly method: Method;
  readonly instance: unknown;
}

/**
 * What a handler method called directly returned, as Nest's context path hands it on: an
 * Observable is run to its last value (`lastValueFrom`, as Nest's `transformToResult`), so a
 * handler behaves the same whichever way it is called.
 */
function directResult(result: unknown): unknown {
  // A promise or nothing, the common results, without a closer look.
  if (result === undefined || result instanceof Promise) return result;
  return isObservable(result) ? lastValueFrom(result) : result;
}

/** Per delivery through guards: whether the handler method itself started. */
const handlerEntered = new AsyncLocalStorage<{ entered: boolean }>();

/**
 * The method as Nest's context creator should call it: the same function for reading
 * metadata (its own metadata is copied, so `Reflector` on `getHandler()` keeps working), and
 * a mark that the handler body started — so a guard's rejection is told apart from the
 * handler's own `ForbiddenException` by what happened, not by the message.
 */
function markingEntry(method: Method): Method {
  const marked = function (this: unknown, ...args: unknown[]): unknown {
    const state = handlerEntered.getStore();
    if (state !== undefined) state.entered = true;
    return method.apply(this, args);
  };
  for (const key of Reflect.getOwnMetadataKeys(method)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, method), marked);
  }
  Object.defineProperty(marked, 'name', { value: method.name });
  return marked;
}

/**
 * A failure as a log line: an `HttpException` (e.g. from `ValidationPipe`) adds its
 * response's `message` (the field errors) to its own message.
 * @internal
 */
export function describeHandlerError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof HttpException) {
    const response = error.getResponse();
    if (typeof response === 'object' && response !== null) {
      const detail = (response as { message?: unknown }).message;
      const text = Array.isArray(detail)
        ? detail.map((d) => (typeof d === 'string' ? d : JSON.stringify(d))).join('; ')
        : typeof detail === 'string'
          ? detail
          : undefined;
      if (text !== undefined && text !== '' && text !== error.message) {
        return `${error.message}: ${text}`;
      }
    }
  }
  return error.message;
}

/**
 * Builds the function the bus calls for one `@OnSignal` subscription: direct call, Nest
 * context (enhancers, params) or request scope; guard rejections skip, every other failure
 * is logged (with the field errors of an `HttpException`) and, by mode, rethrown or
 * reported.
 * @internal
 */
export class SignalHandlerInvoker {
  readonly #logger = new Logger('JidoSignal');
  readonly #params: ParamsFactory = new SignalParamsFactory();
  /**
   * The request context of each signal being handed to request-scoped handlers: the
   * handlers of one delivery round (called in one synchronous pass) share it, so they and
   * their request-scoped dependencies get one instance per signal; dropped after the pass,
   * so a later publish of the same signal object is a new request.
   */
  readonly #requests = new WeakMap<Signal, ContextId>();

  /** The request context of `signal` in this delivery round (see `#requests`). */
  #requestOf(signal: Signal): ContextId {
    let contextId = this.#requests.get(signal);
    if (contextId === undefined) {
      contextId = ContextIdFactory.getByRequest(signal);
      this.moduleRef.registerRequestByContextId(signal, contextId);
      this.#requests.set(signal, contextId);
      queueMicrotask(() => this.#requests.delete(signal));
    }
    return contextId;
  }

  /**
   * @param config - the application's configuration (Nest's `ApplicationConfig` provider,
   *   present in every module): its global filters, guards and interceptors decide whether a
   *   handler without enhancers of its own may be called directly; `undefined` assumes it
   *   has all three
   */
  constructor(
    private readonly accessor: SignalMetadataAccessor,
    private readonly contextCreator: ExternalContextCreator,
    private readonly moduleRef: ModuleRef,
    private readonly config: ApplicationConfig | undefined,
  ) {}

  /**
   * The bus handler of `plan` (named `Class.method`, which `stats()` shows as its target).
   * A persistent plan's handler declares two parameters, so the engine makes a
   * `DeliveryContext` per attempt and the method gets it as its third argument
   * (`@SignalDelivery()`); an ordinary plan's handler declares one (the bus's fast path,
   * the method's third argument is `undefined`).
   */
  create(
    plan: PlannedSubscription,
    context: SignalHandlerContext,
  ): { handler: SignalHandler; invocation: SignalHandlerInvocation } {
    const invoker = this.#createInvoker(plan, context);
    const rethrow = plan.persistent || plan.options.onError === 'rethrow';
    const handler = this.#guardErrors(invoker, context, rethrow, plan.bus, plan.persistent);
    Object.defineProperty(handler, 'name', { value: `${plan.className}.${plan.methodName}` });
    return { handler, invocation: invoker.invocation };
  }

  #globalEnhancers(): { any: boolean; filters: boolean; guards: boolean } {
    const config = this.config;
    if (!(config instanceof ApplicationConfig)) return { any: true, filters: true, guards: true };
    const filters =
      config.getGlobalFilters().length > 0 || config.getGlobalRequestFilters().length > 0;
    const guards =
      config.getGlobalGuards().length > 0 || config.getGlobalRequestGuards().length > 0;
    const any =
      filters ||
      guards ||
      config.getGlobalInterceptors().length > 0 ||
      config.getGlobalRequestInterceptors().length > 0;
    return { any, filters, guards };
  }

  #createInvoker(
    plan: PlannedSubscription,
    context: SignalHandlerContext,
  ): {
    invoke: Invoke;
    invocation: SignalHandlerInvocation;
    guarded: boolean;
    /** Set for an ordinary plan on the direct path. */
    direct?: DirectCall;
  } {
    const { wrapper, instance, method, methodName } = plan;
    const globals = this.#globalEnhancers();
    const hasParams = this.accessor.hasSignalParams(instance, methodName);
    const useContext = hasParams || globals.any || this.accessor.hasEnhancers(instance, method);
    const filters = globals.filters || this.accessor.hasFilters(instance, method);
    const guarded = useContext && (globals.guards || this.accessor.hasGuards(instance, method));
    const contextOptions = { guards: true, interceptors: true, filters };
    const callback = guarded ? markingEntry(method) : method;

    if (!wrapper.isDependencyTreeStatic()) {
      // The signal is the request: a new context (and provider instance) per signal, unless
      // an applied ContextIdStrategy maps it to a durable sub-tree (e.g. per tenant). Only
      // ordinary subscriptions get here (the planner refuses persistent request-scoped
      // handlers), so the method's third argument, the delivery, is `undefined`.
      const invoke = async (signal: Signal): Promise<unknown> => {
        const contextId = this.#requestOf(signal);
        const scoped = await this.moduleRef.resolve<unknown, object>(wrapper.token, contextId, {
          strict: false,
        });
        if (!useContext) return directResult(method.call(scoped, signal, context));
        const fn = this.contextCreator.create(
          scoped,
          callback,
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
      return { invoke, invocation: 'request', guarded };
    }

    // Persistent plans take the delivery; ordinary ones keep the one-parameter call.
    if (!useContext) {
      if (plan.persistent) {
        return {
          invoke: (signal, delivery) =>
            directResult(method.call(instance, signal, context, delivery)),
          invocation: 'direct',
          guarded: false,
        };
      }
      return {
        invoke: (signal) => directResult(method.call(instance, signal, context)),
        invocation: 'direct',
        guarded: false,
        direct: { method, instance },
      };
    }
    const fn = this.contextCreator.create(
      instance,
      callback,
      methodName,
      SIGNAL_ARGS_METADATA,
      this.#params,
      undefined,
      undefined,
      contextOptions,
      SIGNAL_CONTEXT_TYPE,
    );
    return {
      invoke: plan.persistent
        ? (signal, delivery) => fn(signal, context, delivery)
        : (signal) => fn(signal, context),
      invocation: 'context',
      guarded,
    };
  }

  /**
   * Log every failure with its stack, and make it visible on the bus's `errors$` in both
   * modes: with `rethrow` the delivery fails (the bus reports it, counts it failed, a
   * persistent subscription retries); with `log` the delivery succeeds and the error is
   * reported through `bus.reportSubscriberError`. A guard returning `false` skips the
   * handler: not an error — recognised as the guard's `ForbiddenException` raised before the
   * handler started, so a handler's own `ForbiddenException` stays an error. Synchronous
   * handlers stay synchronous (no promise on the bus's fast path). On an ordinary
   * subscription the promise of an async handler goes to the bus untouched: the bus
   * observes it anyway and calls the registered rejection hook when it rejects, so no
   * `.then` is chained per call. Persistent handlers declare the `DeliveryContext`
   * parameter (the engine passes one only then) and hand it to `invoke`; ordinary ones
   * keep `(signal) =>`.
   */
  #guardErrors(
    { invoke, guarded, direct }: { invoke: Invoke; guarded: boolean; direct?: DirectCall },
    context: SignalHandlerContext,
    rethrow: boolean,
    bus: SignalBus,
    persistent: boolean,
  ): SignalHandler {
    const fail = (error: unknown, signal: Signal): undefined => {
      this.#logger.error(
        `${JidoSignalMessages.handlerFailed(context.subscriptionId, signal.type, signal.id)}: ${describeHandlerError(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
      if (rethrow) throw error;
      bus.reportSubscriberError(context.subscriptionId, signal.id, error);
      return undefined;
    };
    if (guarded) {
      const run = (signal: Signal, delivery: DeliveryContext | undefined): Promise<unknown> => {
        const state = { entered: false };
        return handlerEntered.run(state, () =>
          Promise.resolve()
            .then(() => invoke(signal, delivery))
            .then(undefined, (error: unknown) => {
              const rejectedByGuard =
                !state.entered &&
                error instanceof ForbiddenException &&
                error.message === GUARD_REJECTED_MESSAGE;
              return rejectedByGuard ? undefined : fail(error, signal);
            }),
        );
      };
      return persistent
        ? (signal, delivery) => run(signal, delivery)
        : (signal) => run(signal, undefined);
    }
    if (!persistent) {
      // A direct call is made here rather than through `invoke`: one call less per
      // delivery on the bus's hottest Nest path (many handlers per signal, issue 17).
      let handler: SignalHandler;
      if (direct === undefined) {
        handler = (signal) => {
          try {
            return invoke(signal);
          } catch (error) {
            return fail(error, signal);
          }
        };
      } else {
        const { method, instance } = direct;
        handler = (signal) => {
          try {
            return directResult(method.call(instance, signal, context));
          } catch (error) {
            return fail(error, signal);
          }
        };
      }
      setRejectionHook(handler, (error, signal) => {
        fail(error, signal);
        return false;
      });
      return handler;
    }
    // Persistent engines have no rejection hook: settle rejections here. Any thenable is
    // adopted as `await` adopts it.
    return (signal, delivery) => {
      let result: Promise<unknown> | undefined;
      try {
        result = toPromise(invoke(signal, delivery));
      } catch (error) {
        return fail(error, signal);
      }
      return result?.then(undefined, (error: unknown) => fail(error, signal));
    };
  }
}
