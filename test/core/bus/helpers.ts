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

/** Poll `check` every 2 ms until it holds; fail after `timeout` ms. */
export async function until(check: () => Promise<boolean>, timeout = 2000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(2);
  }
}

/**
 * Subscribe `bus` persistently as `sub` (one attempt, autoAck) with a handler that fails while
 * `state.fail`, publish one signal per type and wait until all are dead-lettered.
 */
export async function withDeadLetters(bus: SignalBus, types: string[]) {
  const state = { fail: true, got: [] as Signal[] };
  await bus.subscribe('**', {
    persistent: true,
    subscriptionId: 'sub',
    maxAttempts: 1,
    autoAck: true,
    dispatch: (s: Signal) => {
      if (state.fail) throw new Error('down');
      state.got.push(s);
    },
  });
  await bus.publish(types.map((t) => sig(t)));
  await until(async () => (await bus.dlq.list('sub')).length === types.length);
  return { bus, state, entries: await bus.dlq.list('sub') };
}
