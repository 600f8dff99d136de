/** Name of the bus used when none is given (`forRoot` without `buses`, `@OnSignal` without `bus`). */
export const DEFAULT_SIGNAL_BUS = 'default';

/** `ExecutionContext.getType()` of a signal handler invocation (see `isSignalContext`). */
export const SIGNAL_CONTEXT_TYPE = 'jido-signal';

/** Default of `shutdownTimeout`, in ms. */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;

/** Metadata key of `@OnSignal` (an array, appended by every application). @internal */
export const ON_SIGNAL_METADATA = 'jido-signal:on-signal';
/** Metadata key of the `@SignalData` / `@SignalPayload` parameters. @internal */
export const SIGNAL_ARGS_METADATA = 'jido-signal:args';
/** Metadata key of `@SignalAdapter`. @internal */
export const SIGNAL_ADAPTER_METADATA = 'jido-signal:adapter';
/** Metadata key of `@SignalMiddleware`. @internal */
export const SIGNAL_MIDDLEWARE_METADATA = 'jido-signal:middleware';

/** Metadata key of the bus names a class injects with `@InjectSignalBus`. @internal */
export const INJECTED_BUSES_METADATA = 'jido-signal:injected-buses';

/**
 * Injection token of the module's default bus (`defaultBus`, `'default'` unless set): what
 * `@InjectSignalBus()` without a name injects.
 */
export const DEFAULT_SIGNAL_BUS_TOKEN = 'JidoSignalBus';

/** Injection token of the per-application runtime (registry, dispatcher, factory). @internal */
export const JIDO_SIGNAL_RUNTIME = Symbol('JIDO_SIGNAL_RUNTIME');

/**
 * Injection token of a named bus: inject with `@Inject(getSignalBusToken('audit'))` or
 * `@InjectSignalBus('audit')`.
 * @param name - bus name @default 'default'
 */
export function getSignalBusToken(name: string = DEFAULT_SIGNAL_BUS): string {
  return `JidoSignalBus:${name}`;
}
