import type { DiscoveryService } from '@nestjs/core';

/** A provider or controller as discovery returns it. @internal */
export type Wrapper = ReturnType<DiscoveryService['getProviders']>[number];

/**
 * The discovered providers (and controllers) that have an instance: no aliases, no
 * unresolved factories.
 * @internal
 */
export function discoveredWrappers(
  discovery: DiscoveryService,
  includeControllers: boolean,
): Wrapper[] {
  const all = includeControllers
    ? [...discovery.getProviders(), ...discovery.getControllers()]
    : discovery.getProviders();
  return all.filter((w) => !w.isAlias && typeof w.instance === 'object' && w.instance !== null);
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
