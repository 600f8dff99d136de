import { DispatchConfigError } from '../errors/dispatch.error.js';
import type {
  DispatchAdapter,
  DispatchAdapterClass,
  UnnamedDispatchAdapter,
} from './adapter.interface.js';

/** Anything that names an adapter in a config: a registered name, an adapter object or class. */
export type AdapterReference = string | DispatchAdapter<unknown> | DispatchAdapterClass;

/** Name of an adapter object given without one (DESIGN §4: `name` is optional inline). */
export const DEFAULT_ADAPTER_NAME = 'custom';

function missingMembers(value: object): string[] {
  const v = value as Record<string, unknown>;
  const missing: string[] = [];
  if (v.name !== undefined && (typeof v.name !== 'string' || v.name.length === 0)) {
    missing.push('name');
  }
  if (typeof v.validateOptions !== 'function') missing.push('validateOptions()');
  if (typeof v.deliver !== 'function') missing.push('deliver()');
  return missing;
}

/**
 * Adapters by name. Configs name an adapter (`{ adapter: 'http' }`) or carry one (an object
 * implementing the contract, or a class the registry instantiates once and keeps).
 */
export class AdapterRegistry {
  readonly #byName = new Map<string, DispatchAdapter<unknown>>();
  readonly #fromClasses = new WeakMap<DispatchAdapterClass, DispatchAdapter<unknown>>();
  readonly #instantiated = new Set<DispatchAdapter<unknown>>();
  /** Named views of adapter objects given without a `name` (stable per object). */
  readonly #named = new WeakMap<object, DispatchAdapter<unknown>>();
  #version = 0;

  /** @param adapters registered in order @default [] */
  constructor(adapters: Iterable<DispatchAdapter<unknown> | DispatchAdapterClass> = []) {
    for (const adapter of adapters) this.register(adapter);
  }

  /**
   * Register an adapter (or a class, instantiated now) under its `name`. A later
   * registration under the same name replaces the earlier one (so a test can swap a
   * built-in for a fake).
   * @throws DispatchConfigError when it lacks `name`, `validateOptions` or `deliver`
   */
  register(adapter: DispatchAdapter<unknown> | DispatchAdapterClass): this {
    const instance = this.#check(adapter);
    this.#byName.set(instance.name, instance);
    this.#version++;
    return this;
  }

  /** Remove the adapter registered as `name`; `true` if there was one. */
  unregister(name: string): boolean {
    const removed = this.#byName.delete(name);
    if (removed) this.#version++;
    return removed;
  }

  /** Incremented by every `register`/`unregister`; lets caches of resolved configs expire. */
  get version(): number {
    return this.#version;
  }

  /** The adapter registered as `name`. */
  get(name: string): DispatchAdapter<unknown> | undefined {
    return this.#byName.get(name);
  }

  /** Whether an adapter is registered as `name`. */
  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** Registered adapters, in registration order. */
  list(): DispatchAdapter<unknown>[] {
    return [...this.#byName.values()];
  }

  /**
   * The adapter a config's `adapter` field refers to.
   * @throws DispatchConfigError (field `adapter`) for an unknown name or a value that does
   *   not implement the contract; the message lists the registered names
   */
  resolve(reference: unknown): DispatchAdapter<unknown> {
    if (typeof reference === 'string') {
      const adapter = this.#byName.get(reference);
      if (adapter !== undefined) return adapter;
      throw this.#invalid(`adapter "${reference}" is not registered`, { name: reference });
    }
    return this.#check(reference);
  }

  /** Adapters this registry instantiated from classes (registered or met in configs). */
  instantiated(): DispatchAdapter<unknown>[] {
    return [...this.#instantiated];
  }

  #check(reference: unknown): DispatchAdapter<unknown> {
    if (typeof reference === 'function') {
      const cls = reference as DispatchAdapterClass;
      const cached = this.#fromClasses.get(cls);
      if (cached !== undefined) return cached;
      let instance: unknown;
      try {
        instance = new cls();
      } catch (cause) {
        throw this.#invalid(
          `adapter class ${cls.name || '(anonymous)'} could not be instantiated without arguments`,
          {},
          cause,
        );
      }
      const adapter = this.#checkObject(instance);
      this.#fromClasses.set(cls, adapter);
      this.#instantiated.add(adapter);
      return adapter;
    }
    return this.#checkObject(reference);
  }

  #checkObject(value: unknown): DispatchAdapter<unknown> {
    if (typeof value !== 'object' || value === null) {
      throw this.#invalid(
        `"adapter" must be a registered name, an adapter object or an adapter class, got ${value === null ? 'null' : typeof value}`,
      );
    }
    const missing = missingMembers(value);
    if (missing.length > 0) {
      throw this.#invalid(`the adapter object lacks ${missing.join(', ')}`, { missing });
    }
    if ((value as Partial<DispatchAdapter<unknown>>).name !== undefined) {
      return value as DispatchAdapter<unknown>;
    }
    return this.#withDefaultName(value as UnnamedDispatchAdapter);
  }

  /** A view of a nameless adapter object named after its class, or `'custom'`. */
  #withDefaultName(value: UnnamedDispatchAdapter): DispatchAdapter<unknown> {
    const cached = this.#named.get(value);
    if (cached !== undefined) return cached;
    const ctor = (value as { constructor?: { name?: unknown } }).constructor;
    const name =
      ctor !== Object && typeof ctor?.name === 'string' && ctor.name.length > 0
        ? ctor.name
        : DEFAULT_ADAPTER_NAME;
    const view: DispatchAdapter<unknown> = {
      name,
      validateOptions: (options) => value.validateOptions(options),
      deliver: (signal, options, context) => value.deliver(signal, options, context),
      ...(value.healthCheck === undefined
        ? {}
        : { healthCheck: (options: unknown) => value.healthCheck!(options) }),
      ...(value.describeTarget === undefined
        ? {}
        : { describeTarget: (options: unknown) => value.describeTarget!(options) }),
      ...(value.close === undefined ? {} : { close: () => value.close!() }),
    };
    this.#named.set(value, view);
    return view;
  }

  #invalid(
    reason: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ): DispatchConfigError {
    const registered = this.names();
    return new DispatchConfigError(
      'unknown',
      'adapter',
      `${reason}. Registered adapters: ${registered.join(', ') || '(none)'}; or pass an object or class implementing validateOptions() and deliver() (and optionally name)`,
      { details: { ...details, registered }, cause },
    );
  }
}
