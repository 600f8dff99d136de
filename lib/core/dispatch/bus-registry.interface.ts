import type { Signal } from '../signal/signal.js';

/**
 * What the `bus` adapter needs from a signal bus: `publish` accepting one signal or a
 * list, resolving (or returning) on success and throwing or rejecting on failure.
 * `SignalBus` satisfies it.
 */
export interface PublishableBus {
  /** Publish one signal or several, in order. */
  publish(signals: Signal | readonly Signal[]): unknown;
}

/**
 * Finds a bus by name at delivery time; a `Map<string, PublishableBus>` is one. The Nest
 * module provides the registry of the application's buses.
 */
export interface BusRegistry {
  /** The bus registered as `name`, if any. */
  get(name: string): PublishableBus | undefined;
}
