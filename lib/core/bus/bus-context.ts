import type { BatchWait } from './persistent/local-delivery.js';
import { Subject } from 'rxjs';
import { BusError } from '../errors/bus.error.js';
import { describeThrown } from '../errors/jido-signal.error.js';
import { causalityDeliveryScope } from '../journal/causality-context.js';
import type { SignalJournal } from '../journal/signal-journal.js';
import { SignalRouter } from '../router/signal-router.js';
import type { Signal } from '../signal/signal.js';
import {
  isDistributedStore,
  type DistributedSignalStore,
} from '../store/distributed-store.interface.js';
import { MemoryStore } from '../store/memory.store.js';
import type { RecordedSignal, SignalStore } from '../store/signal-store.interface.js';
import { withOpenTelemetry } from '../telemetry/otel/bus-hooks.js';
import { emit } from '../telemetry/telemetry.js';
import type { BusSettings, SignalBusOptions } from './bus-options.js';
import { errorChannel, type BusErrorTelemetryMessage } from './bus-telemetry.js';
import type { DeliveryScope } from './delivery-scope.js';
import type { MiddlewarePipeline } from './middleware-pipeline.js';
import type { Lane } from './partition.js';
import type { Subscription } from './subscription.js';

/**
 * What the publish path asks of the persistent subscriptions, which the `SignalBus` facade
 * keeps: they are fed at record time, outside the ordinary delivery paths.
 * @internal
 */
export interface PersistentRouting {
  /** Whether any persistent subscription is routed (fed at record time). */
  readonly hasPersistent: () => boolean;
  /** Refuse the publish when a persistent subscription with `overflow: 'reject'` is full. */
  readonly checkPersistent: (list: readonly Signal[]) => void;
  /**
   * Hand recorded entries to the persistent subscriptions (log order).
   * @returns what the publish waits for: the first attempts it started, until they settle
   */
  readonly enqueuePersistent: (entries: readonly RecordedSignal[]) => BatchWait | undefined;
}

/**
 * What the pieces of one `SignalBus` share: its settings, store, router of ordinary
 * subscriptions, delivery scope and error reporting.
 * @internal
 */
export class BusContext {
  readonly name: string;
  readonly pipeline: MiddlewarePipeline;
  readonly router = new SignalRouter<Subscription>();
  readonly maxLogSize: number;
  readonly logTtl: number | undefined;
  readonly partitionCount: number;
  readonly lanes: readonly Lane[] | undefined;
  readonly rejectHandlerErrors: boolean;
  readonly journal: SignalJournal | undefined;
  readonly causality: boolean;
  readonly store: SignalStore;
  readonly ownsStore: boolean;
  /** Set when the store is shared by several processes. */
  readonly distributed: DistributedSignalStore | undefined;
  /** Replaced once by the drain context when the drain starts (see `BusLifecycle.beginDrain`). */
  scope: DeliveryScope | undefined;
  /** Persistent engines read the scope through this, so the drain's replacement reaches them. */
  readonly currentScope = (): DeliveryScope | undefined => withOpenTelemetry(this.scope);
  readonly errors = new Subject<BusError>();

  constructor(
    settings: BusSettings,
    options: SignalBusOptions,
    readonly persistent: PersistentRouting,
  ) {
    this.name = settings.name;
    this.pipeline = settings.pipeline;
    this.maxLogSize = settings.maxLogSize;
    this.logTtl = settings.logTtl;
    this.partitionCount = settings.partitionCount;
    this.lanes = settings.lanes;
    this.rejectHandlerErrors = settings.rejectHandlerErrors;
    this.journal = options.journal;
    this.causality = settings.causality;
    this.scope = options.deliveryScope ?? (this.causality ? causalityDeliveryScope : undefined);
    this.ownsStore = options.store === undefined;
    this.store = options.store ?? new MemoryStore();
    this.distributed = isDistributedStore(this.store) ? this.store : undefined;
  }

  /** Report an error nobody else sees: on `errors$` and the `jido.signal.bus.error` channel. */
  readonly report = (error: BusError): void => {
    emit(errorChannel, (): BusErrorTelemetryMessage => ({
      bus: this.name,
      code: error.code,
      error,
      subscriptionId: error.subscriptionId,
      signalId: error.signalId,
    }));
    this.errors.next(error);
  };

  /** A store failure as a `BusError` (`store_error`), unless it already is one. */
  storeError(message: string, error: unknown): BusError {
    return error instanceof BusError
      ? error
      : new BusError('store_error', this.name, `${message}: ${describeThrown(error)}`, {
          cause: error,
        });
  }
}
