import { BusClosedError, InvalidSignalsError } from '../errors/bus.error.js';
import { Signal } from '../signal/signal.js';
import { describeValue } from './bus-options.js';

/**
 * The signals of a `publish(list)` call as a copy the caller cannot change meanwhile, or
 * the error naming the first element that is not a `Signal` (or the argument itself when it
 * is not a list). A single `Signal` is the caller's fast path and not handled here.
 * @internal
 */
export function signalList(bus: string, signals: unknown): Signal[] | InvalidSignalsError {
  if (!Array.isArray(signals)) return new InvalidSignalsError(bus, -1, describeValue(signals));
  const input = signals as readonly unknown[];
  const n = input.length;
  for (let i = 0; i < n; i++) {
    if (!(input[i] instanceof Signal)) {
      return new InvalidSignalsError(bus, i, describeValue(input[i]));
    }
  }
  return input.slice() as Signal[];
}

/**
 * The error refusing a publish because the bus is closing or closed, with the ids of the
 * signals it carried.
 * @internal
 */
export function publishRefusal(bus: string, signals: unknown): BusClosedError {
  const ids: string[] = [];
  if (signals instanceof Signal) ids.push(signals.id);
  else if (Array.isArray(signals)) {
    for (const s of signals as unknown[]) if (s instanceof Signal) ids.push(s.id);
  }
  return new BusClosedError(bus, 'publish', ids);
}
