import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach } from '@jest/globals';
import type { BusError } from '../../../lib/core/errors/bus.error.js';
import {
  SignalBus,
  type CloseOptions,
  type SignalBusOptions,
} from '../../../lib/core/bus/signal-bus.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';

/** A signal of `type` with `data`. */
export function sig(type: string, data?: unknown, extensions?: Record<string, unknown>): Signal {
  return createSignal(type, data, extensions === undefined ? undefined : { extensions });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Collects every error a bus reports on `errors$`. */
export function collectErrors(bus: SignalBus): BusError[] {
  const errors: BusError[] = [];
  bus.errors$.subscribe((e) => errors.push(e));
  return errors;
}

/** Records messages of a diagnostics channel until `stop()`. */
export function listen<T = unknown>(name: string): { messages: T[]; stop: () => void } {
  const messages: T[] = [];
  const fn = (m: unknown): void => {
    messages.push(m as T);
  };
  subscribe(name, fn);
  return { messages, stop: () => unsubscribe(name, fn) };
}

/**
 * `newBus(options?)` for a spec file: a bus named `${prefix}-${n}` (unless `options.name`
 * says otherwise), closed with `closeOptions` after each test.
 */
export function busFactory(
  prefix: string,
  closeOptions?: CloseOptions,
): (options?: Partial<SignalBusOptions>) => SignalBus {
  const buses: SignalBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close(closeOptions)));
  });
  return (options = {}) => {
    const bus = new SignalBus({ name: `${prefix}-${buses.length}`, ...options });
    buses.push(bus);
    return bus;
  };
}
