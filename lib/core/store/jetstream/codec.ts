/**
 * How the JetStream store's messages look: the headers of a log entry, the raw message read
 * from a stream, and decoding entries, signals and JSON bodies into typed values (failures
 * become secret-free `StoreError`s).
 * @module
 * @internal
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { describeThrown } from '../../errors/jido-signal.error.js';
import { StoreError } from '../../errors/store.error.js';
import { describeCause } from '../../nats/connection.js';
import { STORED_MAX_DEPTH } from '../../signal/safe-input.js';
import { Signal } from '../../signal/signal.js';
import { decodeStoredSignal } from '../shared/stored-signal.js';
import type { RecordedSignal } from '../signal-store.interface.js';
import { logIdFor } from './subjects.js';

/** Name of the store in messages. */
export const STORE = 'JetStreamStore';

/** Header: `instanceId` of the store object that appended the entry. */
export const ORIGIN_HEADER = 'Jido-Origin';
/** Header: record time of the entry (ms since the epoch, decimal), as returned by `append`. */
export const RECORDED_AT_HEADER = 'Jido-Recorded-At';

/**
 * Time queries (`since`, `until`, `trim({ olderThan })`) position the server-side consumer by the
 * server's receive time, then filter exactly on the recorded time (the appending client's
 * clock). This margin absorbs clock differences between clients and server.
 */
export const CLOCK_SKEW_MS = 5_000;
/** Largest pull batch of a scan or consumer. */
export const MAX_BATCH = 1_000;

export const noop = (): void => undefined;

/** A time in ms as the ISO string of a consumer's `opt_start_time` (clamped to valid dates). */
export function toIso(ms: number): string {
  return new Date(Math.min(Math.max(0, ms), 8.64e15)).toISOString();
}

/** Ms as the ns of JetStream durations. */
export function nanos(ms: number): number {
  return Math.round(ms * 1_000_000);
}

/** A message read from a stream (ordered consumer, durable consumer). */
export interface RawEntry {
  readonly seq: number;
  readonly headers: MsgHdrs | undefined;
  readonly data: Uint8Array;
  /** Server receive time, ms. */
  readonly serverMs: number;
}

export function rawOf(m: JsMsg): RawEntry {
  return {
    seq: m.seq,
    headers: m.headers,
    data: m.data,
    serverMs: Math.floor(m.info.timestampNanos / 1e6),
  };
}

/** The entry's `Jido-Recorded-At`, or the server's receive time for an entry without it. */
export function recordedAtOf(raw: RawEntry): number {
  const header = raw.headers?.get(RECORDED_AT_HEADER);
  if (header) {
    const ms = Number(header);
    if (Number.isFinite(ms)) return ms;
  }
  return raw.serverMs;
}

/** Parse a stored JSON body. @throws StoreError naming `what` */
export function parseJson<T>(data: Uint8Array, what: string): T {
  try {
    return JSON.parse(
      Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'),
    ) as T;
  } catch (cause) {
    throw new StoreError(`${STORE}: a stored ${what} is not valid JSON`, {
      cause: describeCause(cause),
    });
  }
}

/** Decode a stored signal (JSON value). @throws StoreError with `details` */
export function decodeSignal(value: unknown, details: Record<string, unknown>): Signal {
  return decodeStoredSignal(STORE, value, details);
}

/** Decode a log entry of `bus`. @throws StoreError naming the entry */
export function decodeEntry(bus: string, raw: RawEntry, recordedAt: number): RecordedSignal {
  let signal: Signal;
  try {
    signal = Signal.fromJSON(raw.data, { maxDepth: STORED_MAX_DEPTH });
  } catch (cause) {
    throw new StoreError(
      `${STORE}: entry ${raw.seq} of bus "${bus}" cannot be decoded: ${describeThrown(cause)}`,
      { details: { bus, seq: raw.seq }, cause },
    );
  }
  return { logId: logIdFor(recordedAt, raw.seq), recordedAt, signal };
}
