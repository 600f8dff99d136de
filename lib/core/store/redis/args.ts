import { ValidationError } from '../../errors/validation.error.js';
import { validatePattern } from '../../router/pattern.js';
import { Signal } from '../../signal/signal.js';
import { assertId, assertLimit, assertTime } from '../shared/args.js';
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
