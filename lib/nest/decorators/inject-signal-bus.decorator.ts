import { Inject } from '@nestjs/common';
import {
  DEFAULT_SIGNAL_BUS_TOKEN,
  INJECTED_BUSES_METADATA,
  getSignalBusToken,
} from '../jido-signal.constants.js';

/**
 * Bus names used with `@InjectSignalBus(name)` anywhere in the process. `forRootAsync`
 * without `busNames` gives each a token, so a missing bus fails the bootstrap with a message
 * naming `busNames` instead of Nest's generic "can't resolve dependencies". Names only
 * (append-only); no application state.
 * @internal
 */
export const injectedBusNames = new Set<string>();

/**
 * Inject a bus by name (`getSignalBusToken(name)`); without a name, the module's default bus
 * (its `defaultBus` option, `'default'` unless set).
 * @param name - bus name @default the module's `defaultBus`
 * @example constructor(@InjectSignalBus('audit') private readonly audit: SignalBus) {}
 */
export function InjectSignalBus(name?: string): PropertyDecorator & ParameterDecorator {
  const inject = Inject(name === undefined ? DEFAULT_SIGNAL_BUS_TOKEN : getSignalBusToken(name));
  if (name !== undefined) injectedBusNames.add(name);
  return (target: object, key: string | symbol | undefined, index?: number) => {
    // Constructor parameters decorate the class, properties its prototype.
    const owner = typeof target === 'function' ? target : target.constructor;
    const names =
      (Reflect.getMetadata(INJECTED_BUSES_METADATA, owner) as (string | null)[] | undefined) ?? [];
    Reflect.defineMetadata(INJECTED_BUSES_METADATA, [...names, name ?? null], owner);
    if (index === undefined) (inject as PropertyDecorator)(target, key!);
    else (inject as ParameterDecorator)(target, key, index);
  };
}
