import {
  InvalidAckArgumentError,
  InvalidLogIdError,
  UnknownLogIdError,
} from '../../errors/bus.error.js';
import { SignalId } from '../../signal/signal-id.js';

/** What an ack argument that is not an id is, for `InvalidAckArgumentError`. @internal */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value))
    return value.length === 0 ? 'an empty list' : 'a list with a non-string';
  return typeof value;
}

/**
 * Resolve the ids of an ack (one id or a non-empty list) with `resolve`; one bad id throws.
 * @throws InvalidAckArgumentError for anything but a string or a non-empty list
 * @internal
 */
export function resolveAckIds<D>(
  bus: string,
  subscriptionId: string,
  ids: unknown,
  resolve: (id: unknown) => D,
): D[] {
  if (typeof ids === 'string') return [resolve(ids)];
  if (Array.isArray(ids) && ids.length > 0) return (ids as readonly unknown[]).map(resolve);
  throw new InvalidAckArgumentError(bus, subscriptionId, describeValue(ids));
}

/**
 * Find the delivery an ack or nack names, by log id or signal id.
 * @throws InvalidAckArgumentError (not a string), UnknownLogIdError (a UUIDv7 not awaiting an
 *   ack), InvalidLogIdError (anything else)
 * @internal
 */
export function findDelivery<D>(
  bus: string,
  subscriptionId: string,
  id: unknown,
  lookup: (id: string) => D | undefined,
): D {
  if (typeof id !== 'string') {
    throw new InvalidAckArgumentError(bus, subscriptionId, describeValue(id));
  }
  const found = lookup(id);
  if (found !== undefined) return found;
  throw SignalId.isValid(id)
    ? new UnknownLogIdError(bus, subscriptionId, id)
    : new InvalidLogIdError(bus, subscriptionId, id);
}
