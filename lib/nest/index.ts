export { JidoSignalModule } from './jido-signal.module.js';
export {
  JIDO_SIGNAL_MODULE_OPTIONS,
  type JidoSignalModuleRootOptions,
  type JidoSignalModuleAsyncOptions,
} from './jido-signal.module-definition.js';
export type {
  JidoSignalModuleOptions,
  JidoSignalModuleExtras,
  JidoSignalDispatcherOptions,
  JidoSignalFeatureOptions,
  SignalBusConfig,
  JidoSignalStoreOption,
  OnSignalOptions,
  OnSignalPersistentOptions,
  OnSignalMetadata,
  SignalHandlerErrorMode,
  SignalMiddlewareOptions,
} from './jido-signal-options.interface.js';
export {
  DEFAULT_SIGNAL_BUS,
  DEFAULT_SIGNAL_BUS_TOKEN,
  DEFAULT_SHUTDOWN_TIMEOUT,
  SIGNAL_CONTEXT_TYPE,
  getSignalBusToken,
} from './jido-signal.constants.js';
export { SignalBusNotReadyError, SignalRegistrationError } from './jido-signal-nest.error.js';
export { OnSignal } from './decorators/on-signal.decorator.js';
export { InjectSignalBus } from './decorators/inject-signal-bus.decorator.js';
export { SignalData, SignalDelivery, SignalPayload } from './decorators/signal-params.decorator.js';
export { SignalAdapter } from './decorators/signal-adapter.decorator.js';
export { SignalMiddleware } from './decorators/signal-middleware.decorator.js';
export { isSignalContext, type SignalHandlerContext } from './signal-context.js';
export { SignalReadinessWatcher } from './signal-readiness.watcher.js';
export {
  SignalHandlerRegistry,
  type SignalHandlerInfo,
  type SignalHandlerInvocation,
} from './signal-handler.registry.js';
