import type { BusRegistry } from '../dispatch/bus-registry.interface.js';
import { BusExistsError } from '../errors/bus.error.js';
import { SignalBus, type SignalBusOptions } from './signal-bus.js';

/**
 * The named buses of an application. It is the dispatch layer's `BusRegistry`, so a
 * dispatcher built with `{ buses: registry }` delivers `{ adapter: 'bus', bus: 'audit' }`
 * configs into the bus registered as `audit`. No global state: create one per
 * application (the Nest module provides one).
 *
 * @example
 * const buses = new SignalBusRegistry();
 * const audit = buses.create({ name: 'audit' });
 * const app = buses.create({ name: 'app' });
 * await app.subscribe('order.**', { dispatch: { adapter: 'bus', bus: 'audit' } });
 */
export class SignalBusRegistry implements BusRegistry {
  readonly #buses = new Map<string, SignalBus>();

  /** Number of registered buses. */
  get size(): number {
    return this.#buses.size;
  }

  /**
   * Create a bus and register it. Unless `options.dispatcher` is given, the bus's own
   * dispatcher knows this registry (`options.buses` defaults to it), so its subscriptions
   * can forward to other buses by name.
   * @throws BusExistsError (`bus_exists`) when the name is taken; BusOptionError for bad options
   */
  create(options: SignalBusOptions): SignalBus {
    if (this.#buses.has(options.name)) throw new BusExistsError(options.name);
    const bus = new SignalBus({ buses: this, ...options });
    this.#buses.set(bus.name, bus);
    return bus;
  }

  /**
   * Register an existing bus under its name.
   * @throws BusExistsError (`bus_exists`) when the name is taken by another bus
   */
  register(bus: SignalBus): SignalBus {
    const existing = this.#buses.get(bus.name);
    if (existing !== undefined && existing !== bus) throw new BusExistsError(bus.name);
    this.#buses.set(bus.name, bus);
    return bus;
  }

  /** Forget a bus (it is not closed). Returns whether it was registered. */
  unregister(name: string): boolean {
    return this.#buses.delete(name);
  }

  /** The bus registered as `name`. */
  get(name: string): SignalBus | undefined {
    return this.#buses.get(name);
  }

  /** Whether a bus is registered as `name`. */
  has(name: string): boolean {
    return this.#buses.has(name);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.#buses.keys()];
  }

  /** Registered buses, in registration order. */
  list(): SignalBus[] {
    return [...this.#buses.values()];
  }

  /** Close every registered bus and empty the registry. */
  async closeAll(): Promise<void> {
    const buses = this.list();
    this.#buses.clear();
    await Promise.allSettled(buses.map((bus) => bus.close()));
  }
}
