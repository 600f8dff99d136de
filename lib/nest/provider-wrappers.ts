import type { DiscoveryService } from '@nestjs/core';

/** A provider or controller as discovery returns it. @internal */
export type Wrapper = ReturnType<DiscoveryService['getProviders']>[number];

/**
 * The discovered providers (and controllers) that have an instance, each instance once: no
 * aliases (`useExisting`), no unresolved factories, and no second token for an instance
 * already listed (a `useFactory` or `useValue` provider handing out another provider's
 * instance), so its handlers are not subscribed twice.
 * @internal
 */
export function discoveredWrappers(
  discovery: DiscoveryService,
  includeControllers: boolean,
): Wrapper[] {
  const all = includeControllers
    ? [...discovery.getProviders(), ...discovery.getControllers()]
    : discovery.getProviders();
  const seen = new Set<object>();
  return all.filter((w) => {
    const instance: unknown = w.instance;
    if (w.isAlias || typeof instance !== 'object' || instance === null || seen.has(instance)) {
      return false;
    }
    seen.add(instance);
    return true;
  });
}

/**
 * Where class metadata of a wrapper is looked up, in order: the token first so
 * `overrideProvider().useValue()` keeps it, then the metatype, then the instance's class.
 * @internal
 */
export function classCandidates(wrapper: Wrapper): unknown[] {
  return [wrapper.token, wrapper.metatype, (wrapper.instance as object).constructor];
}

/** The class name of a discovered instance, for messages. @internal */
export function classNameOf(wrapper: Wrapper, instance: object): string {
  const ctor = (instance as { constructor?: { name?: string } }).constructor;
  return (
    ctor?.name || (typeof wrapper.token === 'function' ? wrapper.token.name : String(wrapper.name))
  );
}
