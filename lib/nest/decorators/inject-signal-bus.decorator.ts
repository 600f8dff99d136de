import { Inject } from '@nestjs/common';
import { DEFAULT_SIGNAL_BUS, getSignalBusToken } from '../jido-signal.constants.js';

/**
 * Inject a bus by name (`getSignalBusToken(name)`).
 * @param name - bus name @default 'default'
 * @example constructor(@InjectSignalBus('audit') private readonly audit: SignalBus) {}
 */
export function InjectSignalBus(
  name: string = DEFAULT_SIGNAL_BUS,
): PropertyDecorator & ParameterDecorator {
  return Inject(getSignalBusToken(name));
}
