import type { Redis } from 'ioredis';
import { describeThrown } from '../../errors/jido-signal.error.js';
import { StoreError } from '../../errors/store.error.js';
import { ValidationError } from '../../errors/validation.error.js';
import { matches } from '../../router/pattern.js';
import { STORED_MAX_DEPTH } from '../../signal/safe-input.js';
import { stringifySignal } from '../../signal/serialization/json.serializer.js';
import { Signal } from '../../signal/signal.js';
import type { LogQuery, RecordedSignal } from '../signal-store.interface.js';
import { isList } from '../shared/args.js';
import { logIdOf, msOf, streamIdOf } from './keys.js';
import type { RawStreamEntry } from './watcher.js';

/**
 * The bus log of the Redis store: one stream per bus whose entries hold the signal's JSON and
 * the appending store object's id; appends (`XADD`), range reads (`XRANGE`) and decoding.
 * Retention lives in `retention.ts`, following the log in `tail.ts` and `watcher.ts`.
 * @module
 * @internal
 */

const STORE = 'RedisStore';
/** Largest page of one `XRANGE`. */
const PAGE = 1_000;

/** Field of a log entry: the signal's CloudEvents JSON. */
export const DATA_FIELD = 'd';
/** Field of a log entry: `instanceId` of the store object that appended it. */
export const ORIGIN_FIELD = 'o';

/** Value of `field` in a flat field list, `undefined` when absent. */
export function fieldOf(fields: readonly string[], field: string): string | undefined {
  for (let i = 0; i < fields.length - 1; i += 2) if (fields[i] === field) return fields[i + 1];
  return undefined;
}

/**
 * Check that `signals` is an array of signals and serialize each.
 * @throws ValidationError (`invalid_attribute`, `invalid_signal`)
 */
export function encodeSignals(signals: readonly Signal[]): string[] {
  if (!isList(signals)) {
    throw new ValidationError('invalid_attribute', 'signals', 'signals must be an array');
  }
  const n = signals.length;
  const bodies = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const signal: unknown = signals[i];
    if (!(signal instanceof Signal)) {
      throw new ValidationError('invalid_signal', `signals[${i}]`, 'not a Signal');
    }
    bodies[i] = stringifySignal(signal);
  }
  return bodies;
}

/**
 * Append `bodies` to the log `key` with `XADD`, stamped with `origin` — one command for one
 * signal, several in one `MULTI` transaction (all stored or none).
 * @returns the stream ids, in order
 */
export async function appendEntries(
  client: Redis,
  key: string,
  origin: string,
  bodies: readonly string[],
): Promise<string[]> {
  if (bodies.length === 1) {
    return [(await client.xadd(key, '*', ORIGIN_FIELD, origin, DATA_FIELD, bodies[0]))!];
  }
  const multi = client.multi();
  for (const body of bodies) multi.xadd(key, '*', ORIGIN_FIELD, origin, DATA_FIELD, body);
  const results = await multi.exec();
  if (results === null) throw new Error('transaction aborted');
  return results.map(([error, id]) => {
    if (error !== null) throw error;
    return id as string;
  });
}

/** The recorded form of appended `signals` whose stream ids are `ids`. */
export function recordedOf(ids: readonly string[], signals: readonly Signal[]): RecordedSignal[] {
  const out = new Array<RecordedSignal>(ids.length);
  for (let i = 0; i < ids.length; i++) {
    out[i] = { logId: logIdOf(ids[i]), recordedAt: msOf(ids[i]), signal: signals[i] };
  }
  return out;
}

/**
 * Decode a raw log entry.
 * @throws StoreError (`store_error`) when it holds no decodable signal
 */
export function decodeEntry(bus: string, raw: RawStreamEntry): RecordedSignal {
  const [id, fields] = raw;
  let signal: Signal;
  try {
    const data = fieldOf(fields, DATA_FIELD);
    if (data === undefined) throw new Error(`no "${DATA_FIELD}" field`);
    signal = Signal.fromJSON(data, { maxDepth: STORED_MAX_DEPTH });
  } catch (cause) {
    throw new StoreError(
      `${STORE}: entry ${id} of bus "${bus}" cannot be decoded: ${describeThrown(cause)}`,
      { details: { bus, streamId: id }, cause },
    );
  }
  return { logId: logIdOf(id), recordedAt: msOf(id), signal };
}

/**
 * Read a range of the log `key` of `bus` in pages of `XRANGE`, filtering by pattern and
 * correlation id. Stream ids carry the server's record time, so time bounds are exact ranges.
 */
export async function readLog(
  client: Redis,
  key: string,
  bus: string,
  query: LogQuery,
): Promise<RecordedSignal[]> {
  const limit = query.limit ?? Infinity;
  let start = '-';
  if (query.since !== undefined) start = String(Math.max(0, Math.ceil(query.since)));
  if (query.afterLogId !== undefined) {
    const after = streamIdOf(query.afterLogId, 'afterLogId');
    if (start === '-' || msOf(after) >= Number(start)) start = `(${after}`;
  }
  let end = '+';
  if (query.until !== undefined) {
    const until = Math.floor(query.until);
    if (until < 0) return [];
    end = String(until);
  }
  const { pattern, correlationId } = query;
  const filtered = pattern !== undefined || correlationId !== undefined;
  const out: RecordedSignal[] = [];
  for (;;) {
    const count = filtered ? PAGE : Math.min(PAGE, limit - out.length);
    const page = (await client.xrange(key, start, end, 'COUNT', count)) as RawStreamEntry[];
    for (const raw of page) {
      const entry = decodeEntry(bus, raw);
      if (pattern !== undefined && !matches(entry.signal.type, pattern)) continue;
      if (correlationId !== undefined && entry.signal.extensions.correlationid !== correlationId) {
        continue;
      }
      out.push(entry);
      if (out.length >= limit) return out;
    }
    if (page.length < count) return out;
    start = `(${page[page.length - 1][0]}`;
  }
}
