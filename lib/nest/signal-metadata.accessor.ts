import { Injectable } from '@nestjs/common';
import {
  INJECTED_BUSES_METADATA,
  ON_SIGNAL_METADATA,
  SIGNAL_ADAPTER_METADATA,
  SIGNAL_ARGS_METADATA,
  SIGNAL_MIDDLEWARE_METADATA,
} from './jido-signal.constants.js';
import type { OnSignalMetadata, SignalMiddlewareOptions } from './jido-signal-options.interface.js';

/** Nest's enhancer metadata keys (stable public strings of `@nestjs/common`). */
const ENHANCER_KEYS = [
  '__guards__',
  '__interceptors__',
  '__exceptionFilters__',
  '__pipes__',
] as const;

/**
 * Reads the module's decorator metadata defensively (anything malformed reads as absent).
 * @internal
 */
@Injectable()
export class SignalMetadataAccessor {
  /** `@OnSignal` applications of a method, in source order. */
  getSignalHandlers(method: unknown): readonly OnSignalMetadata[] | undefined {
    if (typeof method !== 'function') return undefined;
    const value: unknown = Reflect.getMetadata(ON_SIGNAL_METADATA, method);
    return Array.isArray(value) && value.length > 0 ? (value as OnSignalMetadata[]) : undefined;
  }

  /** `@SignalAdapter(name)` of a class. */
  getAdapterName(target: unknown): string | undefined {
    if (typeof target !== 'function') return undefined;
    const value: unknown = Reflect.getMetadata(SIGNAL_ADAPTER_METADATA, target);
    return typeof value === 'string' ? value : undefined;
  }

  /** `@SignalMiddleware(options)` of a class. */
  getMiddlewareOptions(target: unknown): SignalMiddlewareOptions | undefined {
    if (typeof target !== 'function') return undefined;
    const value: unknown = Reflect.getMetadata(SIGNAL_MIDDLEWARE_METADATA, target);
    return typeof value === 'object' && value !== null ? value : undefined;
  }

  /** Whether a method has `@SignalData` / `@SignalPayload` parameters. */
  hasSignalParams(instance: object, methodName: string): boolean {
    const value: unknown = Reflect.getMetadata(
      SIGNAL_ARGS_METADATA,
      instance.constructor,
      methodName,
    );
    return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
  }

  /** Whether the class or the method carries guards, interceptors, filters or pipes. */
  hasEnhancers(instance: object, method: object): boolean {
    return ENHANCER_KEYS.some((key) => {
      const own: unknown = Reflect.getMetadata(key, method);
      const cls: unknown = Reflect.getMetadata(key, instance.constructor);
      return (Array.isArray(own) && own.length > 0) || (Array.isArray(cls) && cls.length > 0);
    });
  }

  /** Whether the class or the method carries exception filters. */
  hasFilters(instance: object, method: object): boolean {
    return this.#has('__exceptionFilters__', instance, method);
  }

  /** Whether the class or the method carries guards. */
  hasGuards(instance: object, method: object): boolean {
    return this.#has('__guards__', instance, method);
  }

  /**
   * Bus names a class injects with `@InjectSignalBus` (`null` for the default bus), or
   * `undefined` when it injects none.
   */
  getInjectedBuses(target: unknown): readonly (string | null)[] | undefined {
    if (typeof target !== 'function') return undefined;
    const value: unknown = Reflect.getMetadata(INJECTED_BUSES_METADATA, target);
    return Array.isArray(value) && value.length > 0 ? (value as (string | null)[]) : undefined;
  }

  #has(key: string, instance: object, method: object): boolean {
    const own: unknown = Reflect.getMetadata(key, method);
    const cls: unknown = Reflect.getMetadata(key, instance.constructor);
    return (Array.isArray(own) && own.length > 0) || (Array.isArray(cls) && cls.length > 0);
  }
}
