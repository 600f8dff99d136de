/**
 * Argument checks both distributed stores (JetStream, Redis) share, with the same codes as
 * `MemoryStore`.
 * @module
 * @internal
 */
import { StoreOptionError } from '../../errors/store.error.js';
import { ValidationError } from '../../errors/validation.error.js';
import { validatePattern } from '../../router/pattern.js';
import type { DurableConsumerSpec } from '../distributed-store.interface.js';

/** `Array.isArray` without narrowing (it would widen readonly arrays to `any[]`). */
export function isList(value: unknown): boolean {
  return Array.isArray(value);
}

/** A non-negative integer or `undefined` (`limit`, `maxSize`). */
export function assertLimit(limit: unknown, field = 'limit'): void {
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)) {
    throw new ValidationError(
      'invalid_attribute',
      field,
      `${field} must be a non-negative integer, got ${typeof limit === 'number' ? limit : typeof limit}`,
    );
  }
}

/** A time in ms since the epoch or `undefined` (`since`, `until`, `olderThan`). */
export function assertTime(value: unknown, field: string): void {
  if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value))) {
    throw new ValidationError(
      'invalid_attribute',
      field,
      `${field} must be a time in ms since the epoch, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
}

/** An id argument (subscription, snapshot, DLQ entry). */
export function assertId(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new ValidationError('invalid_attribute', field, `${field} must be a string`);
  }
}

/** The spec of a durable consumer; `store` names the store in the `StoreOptionError`. */
export function assertSpec(store: string, spec: DurableConsumerSpec): void {
  if (typeof spec !== 'object' || spec === null) {
    throw new StoreOptionError(store, 'spec', 'must be an object');
  }
  assertId(spec.subscriptionId, 'subscriptionId');
  validatePattern(spec.pattern);
  const int = (name: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new StoreOptionError(store, name, 'must be a positive integer');
    }
  };
  int('maxAckPending', spec.maxAckPending);
  if (spec.maxDeliver !== -1) int('maxDeliver', spec.maxDeliver);
  if (typeof spec.ackWait !== 'number' || !Number.isFinite(spec.ackWait) || spec.ackWait <= 0) {
    throw new StoreOptionError(store, 'ackWait', 'must be a positive number of ms');
  }
  const start = spec.startFrom;
  if (
    start !== 'origin' &&
    start !== 'current' &&
    !(typeof start === 'number' && Number.isFinite(start))
  ) {
    throw new StoreOptionError(
      store,
      'startFrom',
      'must be "origin", "current" or a time in ms since the epoch',
    );
  }
}
