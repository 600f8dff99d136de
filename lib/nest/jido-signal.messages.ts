/**
 * Every user-facing message of the Nest layer, in one place (as `bull.messages.ts`).
 * @internal
 */
export const JidoSignalMessages = {
  invalidPattern: (where: string, pattern: unknown, reason: string): string =>
    `@OnSignal(${JSON.stringify(pattern)}) on ${where} has an invalid pattern: ${reason}`,
  noPatterns: (where: string): string =>
    `@OnSignal() on ${where} needs at least one pattern (a string or a non-empty array)`,
  unknownBus: (where: string, bus: string, known: readonly string[]): string =>
    `@OnSignal() on ${where} names bus "${bus}", which is not registered (known buses: ${known.join(', ') || 'none'}). Declare it in JidoSignalModule.forRoot({ buses }) or JidoSignalModule.forFeature({ buses })`,
  invalidOnError: (where: string, value: unknown): string =>
    `@OnSignal() on ${where} has onError ${JSON.stringify(value)}; use 'log' or 'rethrow'`,
  persistentRequestScoped: (where: string): string =>
    `@OnSignal({ persistent }) on ${where} is not supported: the provider is request-scoped, and a persistent subscription needs one long-lived receiver. Make the provider a singleton (default scope)`,
  persistentUnsupported: (where: string): string =>
    `@OnSignal({ persistent }) on ${where}: this SignalBus does not support persistent subscriptions`,
  subscribeFailed: (where: string, bus: string, reason: string): string =>
    `@OnSignal() on ${where} could not subscribe on bus "${bus}": ${reason}`,
  subscriptionTaken: (where: string, bus: string, id: string, other: string): string =>
    `@OnSignal() on ${where} uses subscription id "${id}" on bus "${bus}", which ${other} already uses. Give one of them its own id: @OnSignal(patterns, { persistent: { subscriptionId: '…' } })`,
  subscriptionExists: (where: string, bus: string, id: string): string =>
    `@OnSignal() on ${where} could not subscribe on bus "${bus}": subscription id "${id}" is already taken on this bus. Give the handler its own id with @OnSignal(patterns, { persistent: { subscriptionId: '…' } })`,
  derivedSubscriptionId: (where: string, id: string, bus: string): string =>
    `@OnSignal({ persistent }) on ${where} stores its state on bus "${bus}" under the derived id "${id}": renaming the class or method would start a new subscription and orphan the stored checkpoint and DLQ (on JetStream the orphaned durable consumer also holds back log retention). Pin it with persistent: { subscriptionId: '${id}' }`,
  injectedBusMissing: (className: string, bus: string, known: readonly string[]): string =>
    `${className} injects signal bus "${bus}" (@InjectSignalBus(${JSON.stringify(bus)})), which is not registered (known buses: ${known.join(', ') || 'none'}). With JidoSignalModule.forRootAsync, configure it in the factory's buses and list it in busNames (busNames: [${[...new Set([...known, bus])].map((n) => `'${n}'`).join(', ')}]); or add it with JidoSignalModule.forFeature({ buses: [{ name: '${bus}' }] })`,
  unknownDefaultBus: (bus: string, known: readonly string[]): string =>
    `JidoSignalModule option "defaultBus" names bus "${bus}", which is not one of the module's buses (${known.join(', ') || 'none'})`,
  notReady: (bus: string, waitedMs: number): string =>
    `bus "${bus}": publish() was awaited for ${waitedMs} ms before the application finished bootstrapping (in onModuleInit or a provider factory?). Publishes are held until every @OnSignal handler is subscribed in onApplicationBootstrap, so waiting for one there hangs the bootstrap. Publish in onApplicationBootstrap() or later. The publish itself is still held and delivered once the application is ready`,
  handlerFailed: (subscriptionId: string, signalType: string, signalId: string): string =>
    `Signal handler ${subscriptionId} failed on ${signalType} (${signalId})`,
  adapterInvalid: (className: string, name: string, reason: string): string =>
    `@SignalAdapter(${JSON.stringify(name)}) on ${className}: ${reason}`,
  adapterName: (className: string): string =>
    `@SignalAdapter() on ${className} needs a non-empty adapter name`,
  middlewareInvalid: (className: string, reason: string): string =>
    `@SignalMiddleware() on ${className}: ${reason}`,
  middlewareUnknownBus: (className: string, bus: string, known: readonly string[]): string =>
    `@SignalMiddleware({ bus: ${JSON.stringify(bus)} }) on ${className} names an unknown bus (known buses: ${known.join(', ') || 'none'})`,
  featureWithoutRoot: (): string =>
    'JidoSignalModule.forFeature() needs JidoSignalModule.forRoot() (or forRootAsync()) in the application, and a global root module (isGlobal, the default) or an import of it',
  invalidShutdownTimeout: (value: unknown): string =>
    `JidoSignalModule option "shutdownTimeout" must be an integer ≥ 0, got ${String(value)}`,
  invalidBuses: (reason: string): string => `JidoSignalModule option "buses": ${reason}`,
  invalidStore: (got: string): string =>
    `JidoSignalModule option "store" must be { type: 'memory' }, { type: 'jetstream', servers }, { type: 'redis', url } or a SignalStore, got ${got}`,
  publishRefused: (bus: string, signalIds: readonly string[]): string =>
    `Publish refused: bus "${bus}" is shutting down and the publish did not come from a delivery still in flight (or the drain ended); signal ids: ${signalIds.join(', ') || 'none'}`,
} as const;
