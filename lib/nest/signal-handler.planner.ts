import type { MetadataScanner } from '@nestjs/core';
import type { SignalBus } from '../core/bus/signal-bus.js';
import { validatePattern } from '../core/router/pattern.js';
import { JidoSignalMessages } from './jido-signal.messages.js';
import { SignalRegistrationError } from './jido-signal-nest.error.js';
import type {
  OnSignalMetadata,
  OnSignalOptions,
  OnSignalPersistentOptions,
} from './jido-signal-options.interface.js';
import type { JidoSignalRuntime } from './jido-signal.runtime.js';
import type { SignalMetadataAccessor } from './signal-metadata.accessor.js';
import { classNameOf, type Wrapper } from './provider-wrappers.js';
import { describeThrown } from '../core/errors/jido-signal.error.js';

type Method = (...args: unknown[]) => unknown;

/** One subscription to make for an `@OnSignal` application. @internal */
export interface PlannedSubscription {
  readonly wrapper: Wrapper;
  readonly instance: object;
  readonly className: string;
  readonly methodName: string;
  readonly method: Method;
  /** One pattern for an ordinary subscription; every pattern of the decorator when persistent. */
  readonly patterns: readonly string[];
  readonly bus: SignalBus;
  readonly options: Readonly<OnSignalOptions>;
  readonly persistent: boolean;
  /** The persistent options without `subscriptionId`. */
  readonly persistentOptions: Readonly<Omit<OnSignalPersistentOptions, 'subscriptionId'>>;
  readonly subscriptionId: string;
  /** Whether the id was derived from `Class.method` (not pinned with `subscriptionId`). */
  readonly derivedId: boolean;
}

type Draft = Omit<PlannedSubscription, 'subscriptionId' | 'derivedId'> & {
  readonly pinnedId: string | undefined;
};

/**
 * Turns the `@OnSignal` metadata of the discovered providers and controllers into
 * subscriptions with their ids. Everything is validated before anything subscribes, so a
 * bad declaration registers nothing.
 *
 * Ids: a persistent decorator is one subscription over all its patterns, id
 * `subscriptionId` or `Class.method` (`Class.method#2`, `#3`… for further persistent
 * decorators of the method on the same bus, in source order); an ordinary decorator
 * subscribes once per pattern, `Class.method` suffixed with the next free `#n`. Two
 * persistent subscriptions with one id on one bus fail with a message suggesting
 * `subscriptionId`.
 * @internal
 */
export class SignalHandlerPlanner {
  constructor(
    private readonly runtime: JidoSignalRuntime,
    private readonly scanner: MetadataScanner,
    private readonly accessor: SignalMetadataAccessor,
  ) {}

  plan(wrappers: readonly Wrapper[]): PlannedSubscription[] {
    const drafts: Draft[] = [];
    for (const wrapper of wrappers) {
      const instance = wrapper.instance as Record<string, unknown>;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (prototype === null) continue;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[methodName];
        const entries = this.accessor.getSignalHandlers(method);
        if (entries === undefined) continue;
        const className = classNameOf(wrapper, instance);
        for (const entry of entries) {
          drafts.push(
            ...this.#draft(wrapper, instance, className, methodName, method as Method, entry),
          );
        }
      }
    }
    return assignIds(drafts);
  }

  #draft(
    wrapper: Wrapper,
    instance: object,
    className: string,
    methodName: string,
    method: Method,
    entry: OnSignalMetadata,
  ): Draft[] {
    const where = `${className}.${methodName}`;
    const details = { className, methodName };
    const options = entry.options ?? {};
    if (!Array.isArray(entry.patterns) || entry.patterns.length === 0) {
      throw new SignalRegistrationError('invalid_pattern', JidoSignalMessages.noPatterns(where), {
        details,
      });
    }
    if (
      options.onError !== undefined &&
      options.onError !== 'log' &&
      options.onError !== 'rethrow'
    ) {
      throw new SignalRegistrationError(
        'invalid_option',
        JidoSignalMessages.invalidOnError(where, options.onError),
        { details },
      );
    }
    const busName = options.bus ?? this.runtime.defaultBus;
    const bus = this.runtime.registry.get(busName);
    if (bus === undefined) {
      throw new SignalRegistrationError(
        'invalid_option',
        JidoSignalMessages.unknownBus(where, busName, this.runtime.registry.names()),
        { details: { ...details, bus: busName } },
      );
    }
    const persistent = options.persistent !== undefined;
    if (persistent && !wrapper.isDependencyTreeStatic()) {
      throw new SignalRegistrationError(
        'invalid_option',
        JidoSignalMessages.persistentRequestScoped(where),
        { details },
      );
    }
    for (const pattern of entry.patterns) {
      try {
        validatePattern(pattern);
      } catch (cause) {
        throw new SignalRegistrationError(
          'invalid_pattern',
          JidoSignalMessages.invalidPattern(where, pattern, describeThrown(cause)),
          { cause, details: { ...details, pattern } },
        );
      }
    }
    const { subscriptionId: pinnedId, ...persistentOptions } =
      options.persistent === undefined || options.persistent === true ? {} : options.persistent;
    const base = { wrapper, instance, className, methodName, method, bus, options };
    if (persistent) {
      return [{ ...base, patterns: entry.patterns, persistent, persistentOptions, pinnedId }];
    }
    return entry.patterns.map((pattern) => ({
      ...base,
      patterns: [pattern],
      persistent,
      persistentOptions: {},
      pinnedId: undefined,
    }));
  }
}

/** Persistent ids first (pinned, then derived), then ordinary ones in the free slots. */
function assignIds(drafts: readonly Draft[]): PlannedSubscription[] {
  const ids = new Map<Draft, { id: string; derived: boolean }>();
  const taken = new Map<string, string>(); // `${bus}\0${id}` → where
  const where = (d: Draft): string => `${d.className}.${d.methodName}`;
  const take = (d: Draft, id: string, derived: boolean): void => {
    const key = `${d.bus.name}\u0000${id}`;
    const other = taken.get(key);
    if (other !== undefined) {
      throw new SignalRegistrationError(
        'subscription_exists',
        JidoSignalMessages.subscriptionTaken(where(d), d.bus.name, id, other),
        { details: { className: d.className, methodName: d.methodName, subscriptionId: id } },
      );
    }
    taken.set(key, where(d));
    ids.set(d, { id, derived });
  };
  for (const d of drafts) if (d.persistent && d.pinnedId !== undefined) take(d, d.pinnedId, false);
  const counters = new Map<string, number>();
  for (const d of drafts) {
    if (!d.persistent || d.pinnedId !== undefined) continue;
    const key = `${d.bus.name}\u0000${where(d)}`;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    take(d, n === 1 ? where(d) : `${where(d)}#${n}`, true);
  }
  for (const d of drafts) {
    if (d.persistent) continue;
    const key = `${d.bus.name}\u0000${where(d)}`;
    let n = counters.get(key) ?? 0;
    let id: string;
    do {
      n++;
      id = n === 1 ? where(d) : `${where(d)}#${n}`;
    } while (taken.has(`${d.bus.name}\u0000${id}`));
    counters.set(key, n);
    take(d, id, true);
  }
  return drafts.map((d) => {
    const { pinnedId: _pinned, ...rest } = d;
    const assigned = ids.get(d)!;
    return { ...rest, subscriptionId: assigned.id, derivedId: assigned.derived };
  });
}
