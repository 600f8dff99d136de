import { DispatchConfigError, DispatchError } from '../../errors/dispatch.error.js';
import type { Signal } from '../../signal/signal.js';
import type { AdapterHealth, DeliveryContext, DispatchAdapter } from '../adapter.interface.js';
import type { BusRegistry, PublishableBus } from '../bus-registry.interface.js';
import { rejectUnknownKeys, typeName } from './options.js';

/** Options of the `bus` adapter: `{ adapter: 'bus', bus }`. */
export interface BusDispatchOptions {
  /**
   * The bus: a name looked up in the dispatcher's `BusRegistry` at delivery time (unknown
   * name → `bus_not_found`), or an object with `publish`. Required.
   */
  bus: string | PublishableBus;
}

/** Validated options of the `bus` adapter. */
export interface NormalizedBusOptions {
  /** Bus name or bus. */
  readonly bus: string | PublishableBus;
}

const BUS_KEYS: ReadonlySet<string> = new Set(['bus']);
const EMPTY_REGISTRY: BusRegistry = { get: () => undefined };

/**
 * Publishes the signal into a signal bus looked up by name, and waits for the publish:
 * the dispatch fails when the bus is unknown (`bus_not_found`) or its publish fails.
 */
export class BusAdapter implements DispatchAdapter<NormalizedBusOptions> {
  /** `'bus'`. */
  readonly name = 'bus';

  /** @param buses where bus names are looked up @default a registry that knows no bus */
  constructor(readonly buses: BusRegistry = EMPTY_REGISTRY) {}

  /** @throws DispatchConfigError naming `bus` */
  validateOptions(options: Readonly<Record<string, unknown>>): NormalizedBusOptions {
    rejectUnknownKeys(this.name, options, BUS_KEYS);
    const bus = options.bus;
    const isName = typeof bus === 'string' && bus.length > 0;
    const isBus =
      typeof bus === 'object' &&
      bus !== null &&
      typeof (bus as { publish?: unknown }).publish === 'function';
    if (!isName && !isBus) {
      throw new DispatchConfigError(
        this.name,
        'bus',
        `"bus" is required: a bus name or an object with publish(), got ${typeName(bus)}`,
      );
    }
    return { bus: bus as string | PublishableBus };
  }

  /** @throws DispatchError `bus_not_found`, or whatever the bus's publish fails with */
  async deliver(
    signal: Signal,
    options: NormalizedBusOptions,
    _context: DeliveryContext,
  ): Promise<void> {
    await this.#bus(options).publish(signal);
  }

  /**
   * Publish the signals as one list (one `publish` call: stored and delivered in order).
   * @throws DispatchError `bus_not_found`, or whatever the bus's publish fails with (for every signal)
   */
  async deliverBatch(
    signals: readonly Signal[],
    options: NormalizedBusOptions,
    _context: DeliveryContext,
  ): Promise<void> {
    await this.#bus(options).publish(signals);
  }

  /** Healthy when the bus is registered. */
  healthCheck(options: NormalizedBusOptions): AdapterHealth {
    const found = typeof options.bus !== 'string' || this.buses.get(options.bus) !== undefined;
    return { healthy: found, details: { target: this.describeTarget(options) } };
  }

  /** The bus name (`'bus'` for a bus object). */
  describeTarget(options: NormalizedBusOptions): string {
    return typeof options.bus === 'string' ? options.bus : 'bus';
  }

  #bus(options: NormalizedBusOptions): PublishableBus {
    if (typeof options.bus !== 'string') return options.bus;
    const bus = this.buses.get(options.bus);
    if (bus === undefined) {
      throw new DispatchError(
        'bus_not_found',
        this.name,
        `No bus is registered as "${options.bus}"`,
        {
          details: { bus: options.bus },
        },
      );
    }
    return bus;
  }
}
