// Turning dispatch configs into validated targets: each config's adapter and normalized
// options (cached per config object until the adapter registry changes), its `onFailure`
// fallbacks, and the public view of a validated config.
import {
  DispatchConfigError,
  toDispatchConfigError,
  toDispatchError,
  type DispatchFailure,
} from '../errors/dispatch.error.js';
import type { AdapterRegistry } from './adapter-registry.js';
import type { DispatchAdapter, DispatchConfig } from './adapter.interface.js';
import type { ValidatedDispatchConfig } from './dispatcher-options.js';

const MAX_FALLBACK_DEPTH = 8;

/** A validated config: its adapter, normalized options and fallbacks. @internal */
export interface ResolvedConfig {
  readonly adapter: DispatchAdapter<unknown>;
  readonly name: string;
  readonly options: unknown;
  readonly target: string;
  readonly fallbacks: readonly ResolvedConfig[] | undefined;
  /** The adapter registry's version it was validated against. */
  readonly version: number;
}

/**
 * Validates configs against an adapter registry and caches the result per config object
 * (until the registry changes), so later dispatches with the same object skip validation.
 * @internal
 */
export class ConfigResolver {
  readonly #adapters: AdapterRegistry;
  readonly #cache = new WeakMap<object, ResolvedConfig>();

  constructor(adapters: AdapterRegistry) {
    this.#adapters = adapters;
  }

  /** @throws DispatchConfigError */
  resolve(config: DispatchConfig, depth = 0): ResolvedConfig {
    const cached = this.#cache.get(config);
    if (cached !== undefined && cached.version === this.#adapters.version) return cached;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new DispatchConfigError(
        'unknown',
        'config',
        'a dispatch config must be an object { adapter, ...options }',
      );
    }
    const { adapter: reference, onFailure, ...options } = config;
    const adapter = this.#adapters.resolve(reference);
    let normalized: unknown;
    try {
      normalized = adapter.validateOptions(options);
    } catch (error) {
      throw toDispatchConfigError(error, adapter.name);
    }
    let target: string = adapter.name;
    try {
      target = adapter.describeTarget?.(normalized) ?? adapter.name;
    } catch {
      // A failing description must not make a valid config unusable.
    }
    const resolved: ResolvedConfig = {
      adapter,
      name: adapter.name,
      options: normalized,
      target,
      fallbacks:
        onFailure === undefined
          ? undefined
          : this.#resolveFallbacks(adapter.name, onFailure, depth),
      version: this.#adapters.version,
    };
    this.#cache.set(config, resolved);
    return resolved;
  }

  #resolveFallbacks(adapter: string, onFailure: unknown, depth: number): ResolvedConfig[] {
    if (depth >= MAX_FALLBACK_DEPTH) {
      throw new DispatchConfigError(
        adapter,
        'onFailure',
        `onFailure fallbacks nest deeper than ${MAX_FALLBACK_DEPTH} levels`,
      );
    }
    const list = (Array.isArray(onFailure) ? onFailure : [onFailure]) as DispatchConfig[];
    return list.map((fallback, i) => {
      try {
        return this.resolve(fallback, depth + 1);
      } catch (error) {
        const e = error as DispatchConfigError;
        const at = Array.isArray(onFailure) ? `onFailure[${i}]` : 'onFailure';
        throw new DispatchConfigError(adapter, `${at}.${e.field}`, `${at}: ${e.message}`, {
          cause: e,
        });
      }
    });
  }
}

/** The failure entry of an invalid config at `index` of a list. @internal */
export function configFailure(index: number, error: unknown): DispatchFailure {
  const adapter = error instanceof DispatchConfigError ? error.adapter : 'unknown';
  return { index, adapter, error: toDispatchError(error, adapter) };
}

/** The public view of a resolved config. @internal */
export function project(r: ResolvedConfig): ValidatedDispatchConfig {
  return {
    adapter: r.name,
    target: r.target,
    options: r.options,
    onFailure: r.fallbacks?.map(project) ?? [],
  };
}
