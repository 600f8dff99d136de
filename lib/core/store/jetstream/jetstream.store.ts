import type {
  ConsumerConfig,
  ConsumerInfo,
  ConsumerMessages,
  JsMsg,
  OrderedConsumerOptions,
  PubAck,
  StreamConfig,
  StreamInfo,
} from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { JidoSignalError, describeThrown } from '../../errors/jido-signal.error.js';
import {
  StoreClosedError,
  StoreError,
  StoreOptionError,
  StoreUnavailableError,
} from '../../errors/store.error.js';
import { ValidationError } from '../../errors/validation.error.js';
import { matches, validatePattern } from '../../router/pattern.js';
import { stringifySignal } from '../../signal/serialization/json.serializer.js';
import { STORED_MAX_DEPTH } from '../../signal/safe-input.js';
import { Signal } from '../../signal/signal.js';
import type {
  DurableConsumer,
  DurableConsumerInfo,
  DurableConsumerSpec,
  DurableMessage,
  DistributedSignalStore,
  LogTail,
} from '../distributed-store.interface.js';
import type {
  DlqEntry,
  LogQuery,
  RecordedSignal,
  SnapshotRecord,
  SubscriptionState,
  TrimOptions,
} from '../signal-store.interface.js';
import { isTransientClusterError } from './cluster-errors.js';
import {
  describeCause,
  followStream,
  NatsLink,
  type NatsConnectionOptions,
  type StreamFollower,
} from './connection.js';
import {
  resolveOptions,
  type JetStreamStoreSettings,
  type ResolvedJetStreamStoreOptions,
} from './options.js';
import { durableFloor } from './retention.js';
import { configMismatches, describeMismatches, fitDuplicateWindow } from './stream-config.js';
import { assertBusName, consumerName, JetStreamNames, logIdFor, sequenceOf } from './subjects.js';

/** Options of {@link JetStreamStore.connect}: the store settings, or an open connection to reuse. */
export interface JetStreamStoreOptions extends JetStreamStoreSettings, NatsConnectionOptions {}

const STORE = 'JetStreamStore';

/** Header: `instanceId` of the store object that appended the entry. */
export const ORIGIN_HEADER = 'Jido-Origin';
/** Header: record time of the entry (ms since the epoch, decimal), as returned by `append`. */
export const RECORDED_AT_HEADER = 'Jido-Recorded-At';
/** Header of snapshot chunks: `<index>/<count>`. */
const CHUNK_HEADER = 'Jido-Chunk';

/**
 * Time queries (`since`, `until`, `trim({ olderThan })`) position the server-side consumer by the
 * server's receive time, then filter exactly on the recorded time (the appending client's
 * clock). This margin absorbs clock differences between clients and server.
 */
const CLOCK_SKEW_MS = 5_000;
/** Largest pull batch of a scan or consumer. */
const MAX_BATCH = 1_000;
/** Lifetime of a durable consumer's pull request (ms): bounds how long a stopped one lingers. */
const PULL_EXPIRES = 2_000;
const API_STREAM_NOT_FOUND = 10059;
const API_CONSUMER_NOT_FOUND = 10014;
const API_STREAM_NAME_IN_USE = 10058;
const API_MESSAGE_DELETE_FAILED = 10057;
const API_CONSUMER_EXISTS = 10148;
const API_CONSUMER_NAME_EXISTS = 10013;

const noop = (): void => undefined;

function assertLimit(limit: unknown, field = 'limit'): void {
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)) {
    throw new ValidationError(
      'invalid_attribute',
      field,
      `${field} must be a non-negative integer, got ${typeof limit === 'number' ? limit : typeof limit}`,
    );
  }
}

function assertTime(value: unknown, field: string): void {
  if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value))) {
    throw new ValidationError(
      'invalid_attribute',
      field,
      `${field} must be a time in ms since the epoch, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
}

function assertId(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new ValidationError('invalid_attribute', field, `${field} must be a string`);
  }
}

function toIso(ms: number): string {
  return new Date(Math.min(Math.max(0, ms), 8.64e15)).toISOString();
}

function nanos(ms: number): number {
  return Math.round(ms * 1_000_000);
}

/** A message read from a stream (ordered consumer, durable consumer). */
interface RawEntry {
  readonly seq: number;
  readonly headers: MsgHdrs | undefined;
  readonly data: Uint8Array;
  /** Server receive time, ms. */
  readonly serverMs: number;
}

function rawOf(m: JsMsg): RawEntry {
  return {
    seq: m.seq,
    headers: m.headers,
    data: m.data,
    serverMs: Math.floor(m.info.timestampNanos / 1e6),
  };
}

function recordedAtOf(raw: RawEntry): number {
  const header = raw.headers?.get(RECORDED_AT_HEADER);
  if (header) {
    const ms = Number(header);
    if (Number.isFinite(ms)) return ms;
  }
  return raw.serverMs;
}

interface SnapshotMeta {
  readonly id: string;
  readonly pattern: string;
  readonly createdAt: number;
  readonly size: number;
  readonly chunks: number;
}

interface StoredEntry {
  readonly logId: string;
  readonly recordedAt: number;
  readonly signal: unknown;
}

type StoredDlqEntry = Omit<DlqEntry, 'signal'> & { readonly signal: unknown };

/** What one store object knows of a bus log (retention batching). */
interface LogState {
  /** First sequence as of the last check (or purge). */
  first: number;
  /** Highest sequence seen (appends, tail, checks). */
  last: number;
  /** When `first`/`last` were last read from the server (0: never). */
  checkedAt: number;
  /** Entries and bytes appended since the last store-side retention pass. */
  appended: number;
  appendedBytes: number;
  trimming: Promise<number> | undefined;
  /** The durable consumer holding retention back (reported), if any. */
  held: string | undefined;
  sweeping: ReturnType<typeof setInterval> | undefined;
}

/** Limits of one trim. */
interface RetentionLimits {
  readonly maxSize?: number;
  readonly maxBytes?: number;
  readonly olderThan?: number;
}

/** A `maxSize` trim within this long of the last check may wait for a batch. */
const TRIM_RECHECK_MS = 1_000;

/** Entries (or bytes) over a limit worth one trim: 1 % of it, at least 1. */
function batchOf(limit: number): number {
  return Math.max(1, Math.floor(limit / 100));
}

/** Something this store started and stops on `close()`. */
interface Running {
  readonly bus: string;
  readonly subscriptionId: string | undefined;
  stop(): Promise<void>;
}

/**
 * A {@link DistributedSignalStore} on NATS JetStream (server 2.9 or later): several processes
 * sharing one prefix share every bus log, subscription state, DLQ and snapshots; each instance
 * sees the others' appends through {@link JetStreamStore.tail}, and persistent subscriptions
 * run on durable consumers the instances compete on.
 *
 * **Layout** (prefix `p`, bus `b`): the log of a bus is the stream `p_LOG_b` with subjects
 * `p.log.b.<type>` (type segments that are not valid NATS tokens are percent-encoded); state and
 * snapshot metadata live in `p_STATE` (one message per subject), dead letters in `p_DLQ`,
 * snapshot entries (chunked, they may exceed the server's max payload) in `p_SNAP`. Log streams
 * are created on first use with the configured retention; read-only calls never create them.
 * Bus names must be 1–128 characters of `[A-Za-z0-9_-]`.
 *
 * **Log ids** are UUIDv7 built from the record time (the appending client's clock, never
 * decreasing within one store object) and the stream sequence ({@link logIdFor}): they
 * increase strictly in log order on one instance. Across instances whose clocks differ, two
 * entries close in time may compare out of order; `afterLogId` cursors use the sequence and
 * are exact.
 *
 * **Entries** are the signal's CloudEvents JSON with headers `Jido-Origin` (the appending
 * store's `instanceId`) and `Jido-Recorded-At`, and a `Nats-Msg-Id` unique to that append:
 * a retry after a lost acknowledgement is stored once, while appending the same signal again
 * records it again.
 *
 * **Retention** (`maxMessages`, `maxBytes`, `maxAge`, and `trim` from a bus's `maxLogSize` /
 * `logTtl`) is applied by the store in batches and never removes an entry a durable consumer
 * has not acked. **Existing streams** keep their configuration unless `updateExisting` is set.
 * **Transient cluster failures** (leader election, reconnect) are retried within
 * `publishTimeout`; errors that reach callers carry `retryable: true`.
 *
 * Every operation waits at most `disconnectedWait` ms for a lost connection, then rejects
 * with `StoreUnavailableError` (`store_unavailable`); other NATS failures are `StoreError`
 * (`store_error`) with secret-free messages; after `close()` everything rejects with
 * `StoreClosedError` (`closed`).
 *
 * Requires the optional peers `@nats-io/transport-node` and `@nats-io/jetstream`.
 *
 * @example
 * const store = await JetStreamStore.connect({ servers: 'nats://127.0.0.1:4222' });
 * const bus = new SignalBus({ name: 'orders', store });
 */
export class JetStreamStore implements DistributedSignalStore {
  /** Marks the store as distributed. */
  readonly distributed = true as const;
  /** Random id of this store object, stamped on every entry it appends. */
  readonly instanceId: string = randomUUID();
  readonly #link: NatsLink;
  readonly #names: JetStreamNames;
  readonly #options: ResolvedJetStreamStoreOptions;
  readonly #streams = new Map<string, Promise<void>>();
  readonly #running = new Set<Running>();
  /** What this object knows of each bus log it appended to or trimmed (retention batches). */
  readonly #logs = new Map<string, LogState>();
  /** Streams whose configuration mismatch was reported already. */
  readonly #warned = new Set<string>();
  #appendCount = 0;
  #stalledFeeds = 0;
  readonly #errorListeners = new Set<(error: StoreError) => void>();
  #lastMs = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(link: NatsLink, options: ResolvedJetStreamStoreOptions) {
    this.#link = link;
    this.#options = options;
    this.#names = new JetStreamNames(options.prefix);
  }

  /**
   * Check the options, connect to NATS (or adopt `options.connection`) and check that
   * JetStream is enabled.
   * @throws StoreOptionError (`invalid_option`) for a bad option; MissingPeerDependencyError
   *   without the NATS packages; StoreUnavailableError when no server answers in time;
   *   StoreError when the server has no JetStream
   */
  static async connect(options: JetStreamStoreOptions = {}): Promise<JetStreamStore> {
    const resolved = resolveOptions(options);
    const link = await NatsLink.open(options, STORE);
    return new JetStreamStore(link, resolved);
  }

  /** The store's prefix (namespace of its streams and subjects). */
  get prefix(): string {
    return this.#names.prefix;
  }

  /** Whether the connection is up right now (`false` after `close()`). */
  get connected(): boolean {
    return !this.#closed && this.#link.connected;
  }

  /** {@inheritDoc DistributedSignalStore.onError} */
  onError(listener: (error: StoreError) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * Feeds (`tail`) of this store object that are stalled right now: their server stopped
   * sending heartbeats (it died) and the feed is being recreated — `0` when every feed runs.
   * Each stall is also reported on `onError` when it starts.
   */
  get stalledFeeds(): number {
    return this.#stalledFeeds;
  }

  /** Listen to connection changes. @returns a function that removes the listener */
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    return this.#link.onConnectionChange(listener);
  }

  /** Name of the log stream of `bus` (for operators and tests). */
  logStreamName(bus: string): string {
    assertBusName(bus);
    return this.#names.logStream(bus);
  }

  // --- log -------------------------------------------------------------------------------------

  async append(bus: string, signals: readonly Signal[]): Promise<RecordedSignal[]> {
    this.#assertOpen();
    assertBusName(bus);
    if (!isList(signals)) {
      throw new ValidationError('invalid_attribute', 'signals', 'signals must be an array');
    }
    const n = signals.length;
    if (n === 0) return [];
    const bodies = new Array<string>(n);
    const subjects = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const signal = signals[i];
      if (!(signal instanceof Signal)) {
        throw new ValidationError('invalid_signal', `signals[${i}]`, 'not a Signal');
      }
      bodies[i] = stringifySignal(signal);
      subjects[i] = this.#names.logSubject(bus, signal.type);
    }
    await this.#ready('append');
    await this.#ensureLog(bus);
    const ms = this.#now();
    const results = await this.#publishLog(bus, subjects, bodies, ms);
    const state = this.#logState(bus);
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      if (results[i].seq > state.last) state.last = results[i].seq;
      bytes += bodies[i].length;
    }
    this.#afterAppend(bus, state, n, bytes);
    const out = new Array<RecordedSignal>(n);
    for (let i = 0; i < n; i++) {
      out[i] = { logId: logIdFor(ms, results[i].seq), recordedAt: ms, signal: signals[i] };
    }
    return out;
  }

  /**
   * Publish entries to the log of `bus`, pipelined (every publish goes out before the first
   * acknowledgement is awaited; the client writes them in call order, so stream sequences
   * follow the order of the entries). While the cluster heals (leader election, reconnect)
   * the entries from the first unacknowledged one on are published again until
   * `publishTimeout` has passed; each entry keeps its `Nats-Msg-Id`, so one the server
   * stored before its acknowledgement got lost is not stored twice.
   */
  async #publishLog(
    bus: string,
    subjects: readonly string[],
    bodies: readonly string[],
    ms: number,
  ): Promise<PubAck[]> {
    const n = subjects.length;
    const msgBase = `${this.instanceId}.${(this.#appendCount++).toString(36)}.`;
    const recordedAt = String(ms);
    const results = new Array<PubAck>(n);
    const deadline = Date.now() + this.#options.publishTimeout;
    let from = 0;
    let lastCheck = 0;
    for (let attempt = 0; ; attempt++) {
      const js = this.#link.js;
      const transport = this.#link.transport;
      const timeout =
        attempt === 0
          ? this.#link.requestTimeout
          : Math.max(1, Math.min(this.#link.requestTimeout, deadline - Date.now()));
      const acks = new Array<Promise<PubAck>>(n - from);
      for (let i = from; i < n; i++) {
        const headers = transport.headers();
        headers.set(ORIGIN_HEADER, this.instanceId);
        headers.set(RECORDED_AT_HEADER, recordedAt);
        acks[i - from] = js.publish(subjects[i], bodies[i], {
          headers,
          msgID: msgBase + i.toString(36),
          timeout,
        });
      }
      const settled = await Promise.allSettled(acks);
      let failed = -1;
      let error: unknown;
      for (let k = 0; k < settled.length; k++) {
        const r = settled[k];
        if (r.status === 'rejected') {
          failed = from + k;
          error = r.reason;
          break;
        }
        results[from + k] = r.value;
      }
      if (failed < 0) return results;
      from = failed;
      if (this.#closed) throw new StoreClosedError(STORE);
      const transient = isTransientClusterError(error) || !this.#link.connected;
      if (!transient || Date.now() >= deadline) throw this.#mapError('append', error);
      // "No responders" also means the stream is gone (deleted by an operator): recreate it,
      // asking at most once a second, in the background (the request itself may wait for
      // the election).
      if (error instanceof Error && error.name === 'JetStreamNotEnabled') {
        const now = Date.now();
        if (now - lastCheck >= 1_000) {
          lastCheck = now;
          this.#recreateIfMissing(bus).catch(noop);
        }
      }
      // Short pauses (25, 50, then 100 ms): an election ends at an unknown moment.
      await this.#pause(Math.min(25 * 2 ** Math.min(attempt, 2), deadline - Date.now()));
    }
  }

  /** Sleep `ms`, or until reconnected when the connection is down (at most `ms`). */
  async #pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const off = this.#link.onConnectionChange((up) => {
        if (up) done();
      });
      function done(): void {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  /** Drop the cached stream and create it again when the server says it does not exist. */
  async #recreateIfMissing(bus: string): Promise<void> {
    const stream = this.#names.logStream(bus);
    try {
      await this.#link.jsm.streams.info(stream);
    } catch (error) {
      if (!this.#isApiError(error, API_STREAM_NOT_FOUND)) return;
      this.#streams.delete(stream);
      const state = this.#logs.get(bus);
      if (state !== undefined) {
        state.first = 1;
        state.last = 0;
        state.checkedAt = 0;
      }
      await this.#ensureLog(bus);
    }
  }

  async read(bus: string, query: LogQuery = {}): Promise<RecordedSignal[]> {
    this.#assertOpen();
    assertBusName(bus);
    assertLimit(query.limit);
    assertTime(query.since, 'since');
    assertTime(query.until, 'until');
    if (query.pattern !== undefined) validatePattern(query.pattern);
    const afterSeq =
      query.afterLogId === undefined ? 0 : sequenceOf(query.afterLogId, 'afterLogId');
    const limit = query.limit ?? Infinity;
    if (limit === 0) return [];
    await this.#ready('read');
    const { since, until, pattern, correlationId } = query;
    const opts: Partial<OrderedConsumerOptions> = {
      filter_subjects:
        pattern === undefined ? this.#names.logSubjects(bus) : this.#names.logFilter(bus, pattern),
    };
    if (since !== undefined && afterSeq === 0) opts.opt_start_time = toIso(since - CLOCK_SKEW_MS);
    else opts.opt_start_seq = afterSeq + 1;
    const postFiltered =
      pattern !== undefined || correlationId !== undefined || since !== undefined;
    const out: RecordedSignal[] = [];
    await this.#scan(
      'read',
      this.#names.logStream(bus),
      opts,
      postFiltered ? MAX_BATCH : limit,
      (raw) => {
        if (raw.seq <= afterSeq) return true;
        const recordedAt = recordedAtOf(raw);
        if (until !== undefined && recordedAt > until) {
          return raw.serverMs <= until + CLOCK_SKEW_MS;
        }
        if (since !== undefined && recordedAt < since) return true;
        const entry = this.#decodeEntry(bus, raw, recordedAt);
        if (pattern !== undefined && !matches(entry.signal.type, pattern)) return true;
        if (
          correlationId !== undefined &&
          entry.signal.extensions.correlationid !== correlationId
        ) {
          return true;
        }
        out.push(entry);
        return out.length < limit;
      },
    );
    return out;
  }

  /**
   * Remove the oldest entries of the log of `bus`: those beyond the newest `maxSize`, and/or
   * those recorded before `olderThan`. **Never removes an entry a durable consumer (a
   * persistent subscription, on any instance) has not acked**: the cut stops below the
   * lowest ack floor and the log stays longer meanwhile (reported once on `onError`).
   * `maxSize` trims repeated within a second (the bus issues one per publish once its log is
   * full) are batched: one that would remove fewer than 1 % of `maxSize` entries, as far as
   * this store object knows, does nothing; one issued while another runs does nothing.
   * @returns the number of entries removed
   */
  async trim(bus: string, options: TrimOptions): Promise<number> {
    this.#assertOpen();
    assertBusName(bus);
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError('invalid_attribute', 'options', 'trim options must be an object');
    }
    assertLimit(options.maxSize, 'maxSize');
    assertTime(options.olderThan, 'olderThan');
    if (options.maxSize === undefined && options.olderThan === undefined) return 0;
    await this.#ready('trim');
    const state = this.#logState(bus);
    const batchable = options.olderThan === undefined;
    if (batchable && (state.trimming !== undefined || this.#trimNotDue(state, options.maxSize!))) {
      return 0;
    }
    return this.#runTrim(bus, state, {
      maxSize: options.maxSize,
      olderThan: options.olderThan,
    });
  }

  /**
   * Whether a `maxSize` trim can wait: checked less than a second ago, and either less than a
   * batch over the limit or held back by a consumer then (it will not have moved much).
   */
  #trimNotDue(state: LogState, maxSize: number): boolean {
    return (
      state.checkedAt > 0 &&
      Date.now() - state.checkedAt < TRIM_RECHECK_MS &&
      (state.held !== undefined || state.last - state.first + 1 - maxSize < batchOf(maxSize))
    );
  }

  /** Run one trim of `bus` after the one under way, if any. */
  async #runTrim(bus: string, state: LogState, limits: RetentionLimits): Promise<number> {
    while (state.trimming !== undefined) await state.trimming.catch(noop);
    const run = this.#trimNow(bus, state, limits);
    state.trimming = run;
    try {
      return await run;
    } finally {
      if (state.trimming === run) state.trimming = undefined;
    }
  }

  async #trimNow(bus: string, state: LogState, limits: RetentionLimits): Promise<number> {
    const stream = this.#names.logStream(bus);
    const jsm = this.#link.jsm;
    try {
      let info: StreamInfo;
      try {
        info = await jsm.streams.info(stream);
      } catch (error) {
        if (this.#isApiError(error, API_STREAM_NOT_FOUND)) return 0;
        throw error;
      }
      const { first_seq: first, last_seq: last, messages, bytes } = info.state;
      state.first = first;
      if (last > state.last) state.last = last;
      state.checkedAt = Date.now();
      if (messages === 0) return 0;
      let cut = first; // every entry below `cut` goes
      let exactKeep: number | undefined;
      if (limits.maxSize !== undefined) {
        cut = Math.max(cut, last - limits.maxSize + 1);
        exactKeep = limits.maxSize;
      }
      if (limits.maxBytes !== undefined && bytes > limits.maxBytes) {
        const keep = Math.floor(limits.maxBytes / (bytes / messages));
        cut = Math.max(cut, last - keep + 1);
        exactKeep = undefined;
      }
      if (limits.olderThan !== undefined) {
        const olderThan = limits.olderThan;
        // Never past the end as of now: entries appended meanwhile are newer than the cut.
        let timeCut: number | undefined;
        const found = await this.#scan(
          'trim',
          stream,
          {
            filter_subjects: this.#names.logSubjects(bus),
            opt_start_time: toIso(olderThan - CLOCK_SKEW_MS),
            headers_only: true,
          },
          MAX_BATCH,
          (raw) => {
            if (recordedAtOf(raw) >= olderThan) {
              timeCut = raw.seq;
              return false;
            }
            return true;
          },
        );
        if (!found) return 0;
        cut = Math.max(cut, Math.min(timeCut ?? last + 1, last + 1));
        exactKeep = undefined;
      }
      if (cut <= first) {
        state.held = undefined;
        return 0;
      }
      const { floor, holder } = await durableFloor(jsm, stream, last);
      const safe = Math.min(cut, floor + 1);
      this.#noteHeld(stream, state, safe < cut ? holder : undefined, cut - safe);
      if (safe <= first) return 0;
      const response = await jsm.streams.purge(
        stream,
        safe === cut && exactKeep !== undefined ? { keep: exactKeep } : { seq: safe },
      );
      state.first = safe;
      return response.purged;
    } catch (error) {
      if (this.#isApiError(error, API_STREAM_NOT_FOUND)) return 0;
      throw this.#mapError('trim', error);
    }
  }

  /** Report (once while it lasts) that a durable consumer holds retention back. */
  #noteHeld(stream: string, state: LogState, holder: string | undefined, kept: number): void {
    if (holder === undefined) {
      state.held = undefined;
      return;
    }
    if (state.held === holder) return;
    state.held = holder;
    // Consumer names encode the subscription id (s_<base64url>); show the id people know.
    const subscriptionId = holder.startsWith('s_')
      ? Buffer.from(holder.slice(2), 'base64url').toString('utf8')
      : undefined;
    const who = subscriptionId === undefined ? `"${holder}"` : `"${subscriptionId}"`;
    this.#report(
      new StoreError(
        `${STORE}: retention of "${stream}" is held back by persistent subscription ${who}: ` +
          `${kept} entries past the limit are kept until it acks them (an abandoned ` +
          `subscription holds them for good: delete it with unsubscribe(id, { deletePersistence: true }))`,
        { details: { stream, consumer: holder, subscriptionId, kept } },
      ),
      'trim',
    );
  }

  #logState(bus: string): LogState {
    let state = this.#logs.get(bus);
    if (state === undefined) {
      state = {
        first: 1,
        last: 0,
        checkedAt: 0,
        appended: 0,
        appendedBytes: 0,
        trimming: undefined,
        held: undefined,
        sweeping: undefined,
      };
      this.#logs.set(bus, state);
    }
    return state;
  }

  /** Store-side retention (`maxMessages`, `maxBytes`): one trim per batch of appends. */
  #afterAppend(bus: string, state: LogState, count: number, bytes: number): void {
    const { maxMessages, maxBytes } = this.#options;
    if (maxMessages === undefined && maxBytes === undefined) return;
    state.appended += count;
    state.appendedBytes += bytes;
    const due =
      (maxMessages !== undefined && state.appended >= batchOf(maxMessages)) ||
      (maxBytes !== undefined && state.appendedBytes >= batchOf(maxBytes));
    if (!due || state.trimming !== undefined) return;
    if (state.held !== undefined && Date.now() - state.checkedAt < TRIM_RECHECK_MS) return;
    state.appended = 0;
    state.appendedBytes = 0;
    this.#runTrim(bus, state, { maxSize: maxMessages, maxBytes }).catch((error: unknown) => {
      if (!this.#closed) this.#report(error, 'retention');
    });
  }

  /** Store-side `maxAge`: a sweep every `maxAge / 4` ms (1 s to 1 min), unref'd. */
  #startSweep(bus: string): void {
    const maxAge = this.#options.maxAge!;
    const state = this.#logState(bus);
    const every = Math.min(60_000, Math.max(1_000, Math.floor(maxAge / 4)));
    state.sweeping = setInterval(() => {
      if (this.#closed || state.trimming !== undefined || !this.#link.connected) return;
      this.#runTrim(bus, state, { olderThan: Date.now() - maxAge }).catch((error: unknown) => {
        if (!this.#closed) this.#report(error, 'retention (maxAge)');
      });
    }, every);
    state.sweeping.unref();
  }

  async size(bus: string): Promise<number> {
    this.#assertOpen();
    assertBusName(bus);
    await this.#ready('size');
    try {
      const info = await this.#link.jsm.streams.info(this.#names.logStream(bus));
      return info.state.messages;
    } catch (error) {
      if (this.#isApiError(error, API_STREAM_NOT_FOUND)) return 0;
      throw this.#mapError('size', error);
    }
  }

  // --- subscription state ----------------------------------------------------------------------

  async getSubscription(
    bus: string,
    subscriptionId: string,
  ): Promise<SubscriptionState | undefined> {
    this.#assertOpen();
    assertBusName(bus);
    assertId(subscriptionId, 'subscriptionId');
    const data = await this.#getLast(
      'getSubscription',
      this.#names.stateStream,
      this.#names.subscriptionSubject(bus, subscriptionId),
    );
    return data === undefined
      ? undefined
      : this.#parseJson<SubscriptionState>(data, 'subscription');
  }

  async putSubscription(bus: string, state: SubscriptionState): Promise<void> {
    this.#assertOpen();
    assertBusName(bus);
    if (typeof state !== 'object' || state === null) {
      throw new ValidationError('invalid_attribute', 'state', 'state must be an object');
    }
    assertId(state.subscriptionId, 'subscriptionId');
    const body = JSON.stringify(state);
    await this.#ready('putSubscription');
    await this.#ensureShared(this.#names.stateStream);
    await this.#publish(
      'putSubscription',
      this.#names.subscriptionSubject(bus, state.subscriptionId),
      body,
    );
  }

  async deleteSubscription(bus: string, subscriptionId: string): Promise<boolean> {
    this.#assertOpen();
    assertBusName(bus);
    assertId(subscriptionId, 'subscriptionId');
    return (
      (await this.#purgeSubject(
        'deleteSubscription',
        this.#names.stateStream,
        this.#names.subscriptionSubject(bus, subscriptionId),
      )) > 0
    );
  }

  async listSubscriptions(bus: string): Promise<SubscriptionState[]> {
    this.#assertOpen();
    assertBusName(bus);
    await this.#ready('listSubscriptions');
    const out: SubscriptionState[] = [];
    await this.#scan(
      'listSubscriptions',
      this.#names.stateStream,
      {
        filter_subjects: this.#names.subscriptionSubjects(bus),
        deliver_policy: 'last_per_subject',
      },
      MAX_BATCH,
      (raw) => {
        out.push(this.#parseJson<SubscriptionState>(raw.data, 'subscription'));
        return true;
      },
    );
    return out;
  }

  // --- dead letters ----------------------------------------------------------------------------

  async putDlq(bus: string, entry: DlqEntry): Promise<void> {
    this.#assertOpen();
    assertBusName(bus);
    if (typeof entry !== 'object' || entry === null || !(entry.signal instanceof Signal)) {
      throw new ValidationError('invalid_attribute', 'entry', 'a DLQ entry must hold a Signal');
    }
    assertId(entry.subscriptionId, 'subscriptionId');
    const body = stringifySignal({ ...entry, signal: entry.signal.toJSON() });
    await this.#ready('putDlq');
    await this.#ensureShared(this.#names.dlqStream);
    await this.#publish('putDlq', this.#names.dlqSubject(bus, entry.subscriptionId), body);
  }

  async listDlq(
    bus: string,
    subscriptionId: string,
    options: { limit?: number } = {},
  ): Promise<DlqEntry[]> {
    this.#assertOpen();
    assertBusName(bus);
    assertId(subscriptionId, 'subscriptionId');
    assertLimit(options.limit);
    const limit = options.limit ?? Infinity;
    if (limit === 0) return [];
    await this.#ready('listDlq');
    const out: DlqEntry[] = [];
    await this.#scan(
      'listDlq',
      this.#names.dlqStream,
      { filter_subjects: this.#names.dlqSubject(bus, subscriptionId) },
      limit,
      (raw) => {
        out.push(this.#decodeDlq(raw));
        return out.length < limit;
      },
    );
    return out;
  }

  async deleteDlq(bus: string, subscriptionId: string, ids: readonly string[]): Promise<number> {
    this.#assertOpen();
    assertBusName(bus);
    assertId(subscriptionId, 'subscriptionId');
    if (!isList(ids)) {
      throw new ValidationError('invalid_attribute', 'ids', 'ids must be an array');
    }
    if (ids.length === 0) return 0;
    await this.#ready('deleteDlq');
    const wanted = new Set(ids);
    const seqs: number[] = [];
    await this.#scan(
      'deleteDlq',
      this.#names.dlqStream,
      { filter_subjects: this.#names.dlqSubject(bus, subscriptionId) },
      MAX_BATCH,
      (raw) => {
        const entry = this.#parseJson<{ id?: unknown }>(raw.data, 'DLQ entry');
        if (typeof entry.id === 'string' && wanted.has(entry.id)) seqs.push(raw.seq);
        return true;
      },
    );
    let removed = 0;
    try {
      const results = await Promise.allSettled(
        seqs.map((seq) => this.#link.jsm.streams.deleteMessage(this.#names.dlqStream, seq, false)),
      );
      for (const r of results) {
        if (r.status === 'fulfilled' && r.value) removed++;
        else if (r.status === 'rejected' && !this.#isApiError(r.reason, API_MESSAGE_DELETE_FAILED))
          throw r.reason;
      }
    } catch (error) {
      throw this.#mapError('deleteDlq', error);
    }
    return removed;
  }

  async clearDlq(bus: string, subscriptionId: string): Promise<number> {
    this.#assertOpen();
    assertBusName(bus);
    assertId(subscriptionId, 'subscriptionId');
    return this.#purgeSubject(
      'clearDlq',
      this.#names.dlqStream,
      this.#names.dlqSubject(bus, subscriptionId),
    );
  }

  async dlqSize(bus: string, subscriptionId?: string): Promise<number> {
    this.#assertOpen();
    assertBusName(bus);
    if (subscriptionId !== undefined) assertId(subscriptionId, 'subscriptionId');
    await this.#ready('dlqSize');
    const filter =
      subscriptionId === undefined
        ? this.#names.dlqBusSubjects(bus)
        : this.#names.dlqSubject(bus, subscriptionId);
    try {
      let total = 0;
      let offset = 0;
      // Subject counts come in pages (the server caps one answer at 100,000 subjects).
      for (;;) {
        const info = await this.#link.jsm.streams.info(this.#names.dlqStream, {
          subjects_filter: filter,
          offset,
        });
        const subjects = info.state.subjects ?? {};
        let n = 0;
        for (const count of Object.values(subjects)) {
          total += count;
          n++;
        }
        offset += n;
        if (n === 0 || offset >= (info.state.num_subjects ?? 0)) break;
        const paged = info as { total?: number; limit?: number };
        if (paged.total === undefined || offset >= paged.total) break;
      }
      return total;
    } catch (error) {
      if (this.#isApiError(error, API_STREAM_NOT_FOUND)) return 0;
      throw this.#mapError('dlqSize', error);
    }
  }

  // --- snapshots -------------------------------------------------------------------------------

  async putSnapshot(bus: string, snapshot: SnapshotRecord): Promise<void> {
    this.#assertOpen();
    assertBusName(bus);
    if (typeof snapshot !== 'object' || snapshot === null || !isList(snapshot.entries)) {
      throw new ValidationError('invalid_attribute', 'snapshot', 'snapshot must have entries');
    }
    assertId(snapshot.id, 'id');
    const stored: StoredEntry[] = snapshot.entries.map((e) => ({
      logId: e.logId,
      recordedAt: e.recordedAt,
      signal: e.signal.toJSON(),
    }));
    const bytes = Buffer.from(stringifySignal(stored), 'utf8');
    await this.#ready('putSnapshot');
    await this.#ensureShared(this.#names.snapshotStream);
    await this.#ensureShared(this.#names.stateStream);
    const subject = this.#names.snapshotSubject(bus, snapshot.id);
    // Room for headers and protocol overhead below the server's max payload.
    const maxPayload = this.#link.nc.info?.max_payload ?? 1024 * 1024;
    const chunkSize = Math.max(1024, maxPayload - 4096);
    const count = Math.max(1, Math.ceil(bytes.length / chunkSize));
    try {
      await this.#link.jsm.streams.purge(this.#names.snapshotStream, { filter: subject });
      const acks: Array<Promise<PubAck>> = [];
      for (let i = 0; i < count; i++) {
        const h = this.#link.transport.headers();
        h.set(CHUNK_HEADER, `${i}/${count}`);
        acks.push(
          this.#link.js.publish(subject, bytes.subarray(i * chunkSize, (i + 1) * chunkSize), {
            headers: h,
            timeout: this.#link.requestTimeout,
          }),
        );
      }
      const settled = await Promise.allSettled(acks);
      for (const r of settled) if (r.status === 'rejected') throw r.reason;
    } catch (error) {
      throw this.#mapError('putSnapshot', error);
    }
    const meta: SnapshotMeta = {
      id: snapshot.id,
      pattern: snapshot.pattern,
      createdAt: snapshot.createdAt,
      size: stored.length,
      chunks: count,
    };
    // Metadata last: a snapshot is visible only once all its chunks are stored.
    await this.#publish(
      'putSnapshot',
      this.#names.snapshotMetaSubject(bus, snapshot.id),
      JSON.stringify(meta),
    );
  }

  async getSnapshot(bus: string, id: string): Promise<SnapshotRecord | undefined> {
    this.#assertOpen();
    assertBusName(bus);
    assertId(id, 'id');
    const data = await this.#getLast(
      'getSnapshot',
      this.#names.stateStream,
      this.#names.snapshotMetaSubject(bus, id),
    );
    if (data === undefined) return undefined;
    const meta = this.#parseJson<SnapshotMeta>(data, 'snapshot metadata');
    const chunks: Uint8Array[] = [];
    await this.#scan(
      'getSnapshot',
      this.#names.snapshotStream,
      { filter_subjects: this.#names.snapshotSubject(bus, id) },
      MAX_BATCH,
      (raw) => {
        chunks.push(raw.data);
        return chunks.length < meta.chunks;
      },
    );
    if (chunks.length !== meta.chunks) {
      throw new StoreError(`${STORE}: snapshot "${id}" of bus "${bus}" is incomplete`, {
        details: { bus, snapshot: id, chunks: chunks.length, expected: meta.chunks },
      });
    }
    const stored = this.#parseJson<StoredEntry[]>(Buffer.concat(chunks), 'snapshot');
    const entries = stored.map((e) =>
      Object.freeze({
        logId: e.logId,
        recordedAt: e.recordedAt,
        signal: this.#decodeSignal(e.signal, { bus, snapshot: id }),
      }),
    );
    return Object.freeze({
      id: meta.id,
      pattern: meta.pattern,
      createdAt: meta.createdAt,
      entries: Object.freeze(entries),
    });
  }

  async listSnapshots(
    bus: string,
  ): Promise<Array<Omit<SnapshotRecord, 'entries'> & { size: number }>> {
    this.#assertOpen();
    assertBusName(bus);
    await this.#ready('listSnapshots');
    const out: Array<Omit<SnapshotRecord, 'entries'> & { size: number }> = [];
    await this.#scan(
      'listSnapshots',
      this.#names.stateStream,
      {
        filter_subjects: this.#names.snapshotMetaSubjects(bus),
        deliver_policy: 'last_per_subject',
      },
      MAX_BATCH,
      (raw) => {
        const m = this.#parseJson<SnapshotMeta>(raw.data, 'snapshot metadata');
        out.push({ id: m.id, pattern: m.pattern, createdAt: m.createdAt, size: m.size });
        return true;
      },
    );
    return out.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }

  async deleteSnapshot(bus: string, id: string): Promise<boolean> {
    this.#assertOpen();
    assertBusName(bus);
    assertId(id, 'id');
    const existed =
      (await this.#purgeSubject(
        'deleteSnapshot',
        this.#names.stateStream,
        this.#names.snapshotMetaSubject(bus, id),
      )) > 0;
    await this.#purgeSubject(
      'deleteSnapshot',
      this.#names.snapshotStream,
      this.#names.snapshotSubject(bus, id),
    );
    return existed;
  }

  // --- distribution ----------------------------------------------------------------------------

  async tail(bus: string, onEntry: (entry: RecordedSignal) => void): Promise<LogTail> {
    this.#assertOpen();
    assertBusName(bus);
    if (typeof onEntry !== 'function') {
      throw new ValidationError('invalid_attribute', 'onEntry', 'onEntry must be a function');
    }
    await this.#ready('tail');
    await this.#ensureLog(bus);
    const stream = this.#names.logStream(bus);
    const state = this.#logState(bus);
    let lastSeq: number;
    try {
      // Start right after the last entry as of now.
      lastSeq = (await this.#link.jsm.streams.info(stream)).state.last_seq;
    } catch (error) {
      throw this.#mapError('tail', error);
    }
    let follower: StreamFollower;
    try {
      follower = await followStream(
        this.#link,
        stream,
        {
          filter: this.#names.logSubjects(bus),
          startSeq: lastSeq + 1,
          heartbeat: this.#options.feedHeartbeat,
        },
        (m) => {
          if (m.seq > state.last) state.last = m.seq;
          // This store's own appends: skipped before decoding (the bus delivered them).
          if (m.headers?.get(ORIGIN_HEADER) === this.instanceId) return;
          let entry: RecordedSignal;
          const raw = rawOf(m);
          try {
            entry = this.#decodeEntry(bus, raw, recordedAtOf(raw));
          } catch (error) {
            this.#report(error, 'tail');
            return;
          }
          if (entry.recordedAt > this.#lastMs) this.#lastMs = entry.recordedAt;
          try {
            onEntry(entry);
          } catch (error) {
            this.#report(error, 'tail callback');
          }
        },
        {
          onRestartError: (error) => this.#report(error, 'tail restart'),
          onStall: () => {
            this.#stalledFeeds++;
            this.#report(
              new StoreError(
                `${STORE}: the feed of "${stream}" stalled (its server stopped sending heartbeats); recreating it`,
                { details: { stream, feed: 'stalled' }, retryable: true },
              ),
              'tail',
            );
          },
          onResume: () => {
            this.#stalledFeeds--;
          },
        },
      );
    } catch (error) {
      throw this.#mapError('tail', error);
    }
    if (this.#closed) {
      // close() ran meanwhile and did not see this feed.
      await follower.stop();
      throw new StoreClosedError(STORE);
    }
    return this.#track(bus, undefined, () => follower.stop());
  }

  async openConsumer(
    bus: string,
    spec: DurableConsumerSpec,
    onMessage: (message: DurableMessage) => void,
  ): Promise<DurableConsumer> {
    this.#assertOpen();
    assertBusName(bus);
    assertSpec(spec);
    if (typeof onMessage !== 'function') {
      throw new ValidationError('invalid_attribute', 'onMessage', 'onMessage must be a function');
    }
    await this.#ready('openConsumer');
    await this.#ensureLog(bus);
    const stream = this.#names.logStream(bus);
    const name = consumerName(spec.subscriptionId);
    const jsm = this.#link.jsm;
    const pattern = spec.pattern;
    let messages: ConsumerMessages;
    let stopped = false;
    try {
      const ci = await this.#createOrResume(stream, name, bus, spec);
      const consumer = this.#link.js.consumers.getConsumerFromInfo(ci);

      messages = await consumer.consume({
        max_messages: Math.max(1, Math.min(spec.maxAckPending, MAX_BATCH)),
        expires: PULL_EXPIRES,
        callback: (m) => {
          const raw = rawOf(m);
          let entry: RecordedSignal;
          try {
            entry = this.#decodeEntry(bus, raw, recordedAtOf(raw));
          } catch (error) {
            m.term();
            this.#report(error, `consumer "${spec.subscriptionId}"`);
            return;
          }
          if (!matches(entry.signal.type, pattern)) {
            m.ack();
            return;
          }
          const message: DurableMessage = {
            entry,
            deliveryCount: m.info.deliveryCount,
            ack: () => m.ack(),
            // After stop() the server keeps this consumer's last pull request until it
            // expires and would hand a nak'ed message straight back to it (stuck until
            // ack_wait): delay the redelivery past that.
            nak: (delayMs?: number) =>
              m.nak(stopped ? Math.max(delayMs ?? 0, PULL_EXPIRES + 500) : delayMs),
            term: () => m.term(),
            working: () => m.working(),
          };
          try {
            onMessage(message);
          } catch (error) {
            this.#report(error, `consumer "${spec.subscriptionId}" callback`);
          }
        },
      });
    } catch (error) {
      throw this.#mapError('openConsumer', error);
    }
    if (this.#closed) {
      stopped = true;
      await this.#stopMessages(messages);
      throw new StoreClosedError(STORE);
    }
    const running = this.#track(bus, spec.subscriptionId, () => this.#stopMessages(messages));
    return {
      stop: () => {
        stopped = true;
        return running.stop();
      },
      info: async (): Promise<DurableConsumerInfo> => {
        this.#assertOpen();
        await this.#ready('consumer info');
        try {
          const ci = await jsm.consumers.info(stream, name);
          return {
            pending: ci.num_pending,
            ackPending: ci.num_ack_pending,
            redelivered: ci.num_redelivered,
          };
        } catch (error) {
          throw this.#mapError('consumer info', error);
        }
      },
    };
  }

  async deleteConsumer(bus: string, subscriptionId: string): Promise<boolean> {
    this.#assertOpen();
    assertBusName(bus);
    assertId(subscriptionId, 'subscriptionId');
    for (const r of [...this.#running]) {
      if (r.bus === bus && r.subscriptionId === subscriptionId) await r.stop();
    }
    await this.#ready('deleteConsumer');
    try {
      return await this.#link.jsm.consumers.delete(
        this.#names.logStream(bus),
        consumerName(subscriptionId),
      );
    } catch (error) {
      if (
        this.#isApiError(error, API_CONSUMER_NOT_FOUND) ||
        this.#isApiError(error, API_STREAM_NOT_FOUND)
      ) {
        return false;
      }
      throw this.#mapError('deleteConsumer', error);
    }
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /**
   * Resolves after a cheap round trip to the server. Rejects at once with
   * `StoreUnavailableError` while disconnected, and with a retryable `StoreError` while a
   * fan-out feed is stalled ({@link JetStreamStore.stalledFeeds}) — no waiting: health checks
   * call it, so the instance reports `down` while it misses other instances' signals.
   */
  async ping(): Promise<void> {
    this.#assertOpen();
    if (!this.#link.connected) throw new StoreUnavailableError(STORE, 'ping', 0);
    if (this.#stalledFeeds > 0) {
      throw new StoreError(
        `${STORE}: ${this.#stalledFeeds} fan-out feed(s) stalled (their server stopped answering); recreating`,
        { details: { operation: 'ping', stalledFeeds: this.#stalledFeeds }, retryable: true },
      );
    }
    try {
      await this.#link.jsm.getAccountInfo();
    } catch (error) {
      throw this.#mapError('ping', error);
    }
  }

  /** Stop every tail and consumer of this store object, then close the connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    for (const state of this.#logs.values()) {
      clearInterval(state.sweeping);
      await state.trimming?.catch(noop);
    }
    for (const r of [...this.#running]) await r.stop().catch(noop);
    await this.#link.close();
  }

  // --- internals -------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError(STORE);
  }

  async #ready(operation: string): Promise<void> {
    await this.#link.ready(STORE, operation);
    this.#assertOpen();
  }

  /** Record time of an append: the clock, never below an earlier one of this store object. */
  #now(): number {
    const now = Date.now();
    if (now > this.#lastMs) this.#lastMs = now;
    return this.#lastMs;
  }

  #track(bus: string, subscriptionId: string | undefined, stop: () => Promise<void>): Running {
    let stopping: Promise<void> | undefined;
    const running: Running = {
      bus,
      subscriptionId,
      stop: () => {
        stopping ??= (async () => {
          this.#running.delete(running);
          await stop();
        })();
        return stopping;
      },
    };
    this.#running.add(running);
    return running;
  }

  async #stopMessages(messages: ConsumerMessages): Promise<void> {
    messages.stop();
    await messages.closed().catch(noop);
  }

  #report(error: unknown, where: string): void {
    const wrapped =
      error instanceof StoreError
        ? error
        : new StoreError(`${STORE}: ${where} failed: ${describeThrown(describeCause(error))}`, {
            cause: describeCause(error),
          });
    for (const listener of [this.#options.onError, ...this.#errorListeners]) {
      try {
        listener(wrapped);
      } catch {
        // A failing error handler must not break delivery.
      }
    }
  }

  #isApiError(error: unknown, code: number): boolean {
    return (
      error instanceof this.#link.module.JetStreamApiError &&
      (error as { code: number }).code === code
    );
  }

  #mapError(operation: string, error: unknown): Error {
    if (error instanceof JidoSignalError) return error;
    if (this.#closed) return new StoreClosedError(STORE);
    const cause = describeCause(error);
    if (!this.#link.connected) {
      return new StoreUnavailableError(STORE, operation, 0, cause);
    }
    return new StoreError(`${STORE}: ${operation} failed: ${cause.message}`, {
      details: { operation },
      cause,
      retryable: isTransientClusterError(error),
    });
  }

  /**
   * Create the log stream of `bus` once per store object. Retention is not a server-side
   * limit (the server would drop entries durable consumers have not acked): the store
   * applies it, see {@link JetStreamStore.trim}.
   */
  #ensureLog(bus: string): Promise<void> {
    const stream = this.#names.logStream(bus);
    const pending = this.#ensure(
      stream,
      { subjects: [this.#names.logSubjects(bus)], max_msgs: -1, max_bytes: -1, max_age: 0 },
      ['max_msgs', 'max_bytes', 'max_age'],
    );
    if (this.#options.maxAge !== undefined && !this.#logs.get(bus)?.sweeping) {
      this.#startSweep(bus);
    }
    return pending;
  }

  /** Create one of the prefix-wide streams (state, DLQ, snapshots). */
  #ensureShared(stream: string): Promise<void> {
    const n = this.#names;
    if (stream === n.stateStream) {
      return this.#ensure(stream, { subjects: [n.stateSubjects()], max_msgs_per_subject: 1 }, [
        'max_msgs_per_subject',
      ]);
    }
    if (stream === n.dlqStream) return this.#ensure(stream, { subjects: [n.dlqSubjects()] }, []);
    return this.#ensure(stream, { subjects: [n.snapshotSubjects()] }, []);
  }

  #ensure(
    name: string,
    config: Partial<StreamConfig>,
    compared: readonly (keyof StreamConfig)[],
  ): Promise<void> {
    let pending = this.#streams.get(name);
    if (pending === undefined) {
      pending = this.#createStream(name, config, compared).catch((error: unknown) => {
        this.#streams.delete(name);
        throw this.#mapError('create stream', error);
      });
      this.#streams.set(name, pending);
    }
    return pending;
  }

  /**
   * Create a stream, or check an existing one: its settings (the `compared` fields, and
   * replicas when the `replicas` option is given) are changed only with `updateExisting`;
   * otherwise a mismatch is reported once and the server's configuration is kept. Storage
   * never changes.
   */
  async #createStream(
    name: string,
    config: Partial<StreamConfig>,
    compared: readonly (keyof StreamConfig)[],
  ): Promise<void> {
    const o = this.#options;
    const full = fitDuplicateWindow({
      name,
      storage: o.storage,
      num_replicas: o.replicas,
      retention: 'limits',
      discard: 'old',
      allow_direct: true,
      ...config,
    });
    const jsm = this.#link.jsm;
    try {
      await jsm.streams.add(full);
      return;
    } catch (error) {
      if (!this.#isApiError(error, API_STREAM_NAME_IN_USE)) throw error;
    }
    // It exists (another instance, an operator, an older version of this store).
    const info = await jsm.streams.info(name);
    const fields: Array<keyof StreamConfig> = [...compared];
    if (o.replicasGiven) fields.push('num_replicas');
    const mismatches = configMismatches(info.config, full, fields);
    if (mismatches.length === 0) return;
    if (!o.updateExisting) {
      if (this.#warned.has(name)) return;
      this.#warned.add(name);
      this.#report(
        new StoreError(
          `${STORE}: stream "${name}" exists with other settings: ${describeMismatches(mismatches)}; ` +
            "keeping the server's configuration (set updateExisting: true to change it)",
          { details: { stream: name, mismatches: mismatches.map((m) => ({ ...m })) } },
        ),
        'create stream',
      );
      return;
    }
    const update: Partial<StreamConfig> = { ...info.config };
    for (const m of mismatches) {
      (update as Record<string, unknown>)[m.field] = m.requested;
    }
    await jsm.streams.update(name, fitDuplicateWindow(update));
  }

  async #createOrResume(
    stream: string,
    name: string,
    bus: string,
    spec: DurableConsumerSpec,
  ): Promise<ConsumerInfo> {
    const jsm = this.#link.jsm;
    const filter = this.#names.logFilter(bus, spec.pattern);
    const resume = async (ci: ConsumerInfo): Promise<ConsumerInfo> => {
      const c = ci.config;
      const changes: Partial<ConsumerConfig> = {};
      if (c.ack_wait !== nanos(spec.ackWait)) changes.ack_wait = nanos(spec.ackWait);
      if (c.max_ack_pending !== spec.maxAckPending) changes.max_ack_pending = spec.maxAckPending;
      if (c.max_deliver !== spec.maxDeliver) changes.max_deliver = spec.maxDeliver;
      if ((c.filter_subject ?? '') !== filter) changes.filter_subject = filter;
      if (Object.keys(changes).length === 0) return ci;
      return jsm.consumers.update(stream, name, changes);
    };
    try {
      return await resume(await jsm.consumers.info(stream, name));
    } catch (error) {
      if (!this.#isApiError(error, API_CONSUMER_NOT_FOUND)) throw error;
    }
    const config: Partial<ConsumerConfig> = {
      durable_name: name,
      ack_policy: 'explicit',
      ack_wait: nanos(spec.ackWait),
      max_ack_pending: spec.maxAckPending,
      max_deliver: spec.maxDeliver,
      filter_subject: filter,
      replay_policy: 'instant',
    };
    const start = spec.startFrom;
    if (start === 'origin') config.deliver_policy = 'all';
    else if (start === 'current') config.deliver_policy = 'new';
    else {
      config.deliver_policy = 'by_start_time';
      config.opt_start_time = toIso(start);
    }
    try {
      return await jsm.consumers.add(stream, config);
    } catch (error) {
      // Another instance created it in between.
      if (
        this.#isApiError(error, API_CONSUMER_EXISTS) ||
        this.#isApiError(error, API_CONSUMER_NAME_EXISTS)
      ) {
        return resume(await jsm.consumers.info(stream, name));
      }
      throw error;
    }
  }

  async #publish(operation: string, subject: string, body: string): Promise<void> {
    try {
      await this.#link.js.publish(subject, body, { timeout: this.#link.requestTimeout });
    } catch (error) {
      throw this.#mapError(operation, error);
    }
  }

  /** Body of the last message on `subject`, `undefined` when there is none (or no stream). */
  async #getLast(
    operation: string,
    stream: string,
    subject: string,
  ): Promise<Uint8Array | undefined> {
    await this.#ready(operation);
    try {
      const m = await this.#link.jsm.streams.getMessage(stream, { last_by_subj: subject });
      return m === null ? undefined : m.data;
    } catch (error) {
      if (this.#isApiError(error, API_STREAM_NOT_FOUND)) return undefined;
      throw this.#mapError(operation, error);
    }
  }

  /** Purge one subject; resolves to the number of messages removed (0 without the stream). */
  async #purgeSubject(operation: string, stream: string, subject: string): Promise<number> {
    await this.#ready(operation);
    try {
      return (await this.#link.jsm.streams.purge(stream, { filter: subject })).purged;
    } catch (error) {
      if (this.#isApiError(error, API_STREAM_NOT_FOUND)) return 0;
      throw this.#mapError(operation, error);
    }
  }

  /**
   * Read a stream with a short-lived ordered consumer, up to the messages it had when the scan
   * started, calling `visit` in order until it returns `false`.
   * @returns `false` when the stream does not exist
   */
  async #scan(
    operation: string,
    stream: string,
    options: Partial<OrderedConsumerOptions>,
    batch: number,
    visit: (raw: RawEntry) => boolean,
  ): Promise<boolean> {
    const js = this.#link.js;
    let consumer: Awaited<ReturnType<typeof js.consumers.get>>;
    try {
      consumer = await js.consumers.get(stream, options);
    } catch (error) {
      if (this.#isApiError(error, API_STREAM_NOT_FOUND)) return false;
      throw this.#mapError(operation, error);
    }
    let failure: unknown;
    let stalled = false;
    try {
      const total = (await consumer.info(true)).num_pending;
      if (total === 0) return true;
      const messages = await consumer.consume({
        max_messages: Math.max(1, Math.min(total, batch, MAX_BATCH)),
      });
      // Messages removed while scanning (trim, retention) would leave the loop waiting for a
      // count it never reaches: give up after a quiet request timeout.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          stalled = true;
          messages.stop();
        }, this.#link.requestTimeout);
      };
      arm();
      let seen = 0;
      try {
        for await (const m of messages) {
          arm();
          seen++;
          let more: boolean;
          try {
            more = visit(rawOf(m));
          } catch (error) {
            failure = error;
            break;
          }
          if (!more || seen >= total || m.info.pending === 0) break;
        }
      } finally {
        clearTimeout(timer);
        messages.stop();
        await messages.closed().catch(noop);
      }
    } catch (error) {
      failure ??= error;
    } finally {
      if (this.#link.connected) await consumer.delete().catch(noop);
    }
    if (failure !== undefined) throw this.#mapError(operation, failure);
    if (stalled && !this.#link.connected) {
      throw new StoreUnavailableError(STORE, operation, this.#link.requestTimeout);
    }
    return true;
  }

  #parseJson<T>(data: Uint8Array, what: string): T {
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

  #decodeSignal(value: unknown, details: Record<string, unknown>): Signal {
    try {
      return Signal.from(value, { maxDepth: STORED_MAX_DEPTH });
    } catch (cause) {
      throw new StoreError(
        `${STORE}: a stored signal cannot be decoded: ${describeThrown(cause)}`,
        {
          details,
          cause,
        },
      );
    }
  }

  #decodeEntry(bus: string, raw: RawEntry, recordedAt: number): RecordedSignal {
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

  #decodeDlq(raw: RawEntry): DlqEntry {
    const stored = this.#parseJson<StoredDlqEntry>(raw.data, 'DLQ entry');
    return Object.freeze({
      ...stored,
      lastError: Object.freeze({ ...stored.lastError }),
      signal: this.#decodeSignal(stored.signal, { dlqEntry: stored.id }),
    });
  }
}

/** `Array.isArray` without narrowing (it would widen readonly arrays to `any[]`). */
function isList(value: unknown): boolean {
  return Array.isArray(value);
}

function assertSpec(spec: DurableConsumerSpec): void {
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
