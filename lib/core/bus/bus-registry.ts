import type { BusRegistry } from '../dispatch/bus-registry.interface.js';
import { BusExistsError } from '../errors/bus.error.js';
import { SignalBus, type CloseOptions, type SignalBusOptions } from './signal-bus.js';

/** Default of `closeAll({ timeout })`, as `SignalBus.close`. */
const DEFAULT_DRAIN_TIMEOUT = 30_000;

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

  /**
   * Drain every registered bus together, close them and empty the registry. Intake from
   * outside stops on all of them at once; follow-ups that in-flight deliveries publish — on
   * their own bus or on another registered one (`bus` adapter targets keep resolving) — are
   * accepted and delivered until every bus is idle at the same moment or `timeout` passes
   * (one deadline for all). See {@link SignalBus.drain}.
   */
  async closeAll(options: CloseOptions = {}): Promise<void> {
    const buses = this.list();
    const deadline = Date.now() + (options.timeout ?? DEFAULT_DRAIN_TIMEOUT);
    // A bus that went idle can get busy again when another bus's handler publishes to it.
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await Promise.all(buses.map((bus) => bus.drain({ timeout: left })));
      if (buses.every((bus) => bus.idle)) break;
    }
    this.#buses.clear();
    const left = Math.max(0, deadline - Date.now());
    await Promise.allSettled(buses.map((bus) => bus.close({ timeout: left })));
  }
}
