import { StoreOptionError } from '../../errors/store.error.js';
import { ValidationError } from '../../errors/validation.error.js';
import { validatePattern } from '../../router/pattern.js';
import { Signal } from '../../signal/signal.js';
import type { DurableConsumerSpec } from '../distributed-store.interface.js';
import type {
  DlqEntry,
  LogQuery,
  SnapshotRecord,
  SubscriptionState,
  TrimOptions,
} from '../signal-store.interface.js';
import { streamIdOf } from './keys.js';

/**
 * Argument checks of the Redis store (the same codes as `MemoryStore` and the JetStream store).
 * @module
 * @internal
 */

const STORE = 'RedisStore';

/** `Array.isArray` without narrowing (it would widen readonly arrays to `any[]`). */
export function isList(value: unknown): boolean {
  return Array.isArray(value);
}

/** A callback argument (`onEntry`, `onMessage`). */
export function assertFunction(value: unknown, field: string): void {
  if (typeof value !== 'function') {
    throw new ValidationError('invalid_attribute', field, `${field} must be a function`);
  }
}

/** A log query: limit, time bounds, pattern and the `afterLogId` cursor. */
export function assertLogQuery(query: LogQuery): void {
  assertLimit(query.limit);
  assertTime(query.since, 'since');
  assertTime(query.until, 'until');
  if (query.pattern !== undefined) validatePattern(query.pattern);
  if (query.afterLogId !== undefined) streamIdOf(query.afterLogId, 'afterLogId');
}

export function assertTrimOptions(options: TrimOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError('invalid_attribute', 'options', 'trim options must be an object');
  }
  assertLimit(options.maxSize, 'maxSize');
  assertTime(options.olderThan, 'olderThan');
}

export function assertSubscriptionState(state: SubscriptionState): void {
  if (typeof state !== 'object' || state === null) {
    throw new ValidationError('invalid_attribute', 'state', 'state must be an object');
  }
  assertId(state.subscriptionId, 'subscriptionId');
}

export function assertDlqEntry(entry: DlqEntry): void {
  if (typeof entry !== 'object' || entry === null || !(entry.signal instanceof Signal)) {
    throw new ValidationError('invalid_attribute', 'entry', 'a DLQ entry must hold a Signal');
  }
  assertId(entry.subscriptionId, 'subscriptionId');
  assertId(entry.id, 'id');
}

export function assertIds(ids: readonly string[]): void {
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw new ValidationError('invalid_attribute', 'ids', 'ids must be an array of strings');
  }
}

export function assertSnapshot(snapshot: SnapshotRecord): void {
  if (typeof snapshot !== 'object' || snapshot === null || !Array.isArray(snapshot.entries)) {
    throw new ValidationError('invalid_attribute', 'snapshot', 'snapshot must have entries');
  }
  assertId(snapshot.id, 'id');
}

export function assertLimit(limit: unknown, field = 'limit'): void {
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)) {
    throw new ValidationError(
      'invalid_attribute',
      field,
      `${field} must be a non-negative integer, got ${typeof limit === 'number' ? limit : typeof limit}`,
    );
  }
}

export function assertTime(value: unknown, field: string): void {
  if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value))) {
    throw new ValidationError(
      'invalid_attribute',
      field,
      `${field} must be a time in ms since the epoch, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
}

export function assertId(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new ValidationError('invalid_attribute', field, `${field} must be a string`);
  }
}

export function assertSpec(spec: DurableConsumerSpec): void {
  if (typeof spec !== 'object' || spec === null) {
    throw new StoreOptionError(STORE, 'spec', 'must be an object');
  }
  assertId(spec.subscriptionId, 'subscriptionId');
  validatePattern(spec.pattern);
  const int = (name: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new StoreOptionError(STORE, name, 'must be a positive integer');
    }
  };
  int('maxAckPending', spec.maxAckPending);
  if (spec.maxDeliver !== -1) int('maxDeliver', spec.maxDeliver);
  if (typeof spec.ackWait !== 'number' || !Number.isFinite(spec.ackWait) || spec.ackWait <= 0) {
    throw new StoreOptionError(STORE, 'ackWait', 'must be a positive number of ms');
  }
  const start = spec.startFrom;
  if (
    start !== 'origin' &&
    start !== 'current' &&
    !(typeof start === 'number' && Number.isFinite(start))
  ) {
    throw new StoreOptionError(
      STORE,
      'startFrom',
      'must be "origin", "current" or a time in ms since the epoch',
    );
  }
}
