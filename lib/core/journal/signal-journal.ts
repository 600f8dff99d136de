import {
  CausalityCycleError,
  CauseNotFoundError,
  DuplicateSignalError,
  InvalidTemporalOrderError,
  JournalClosedError,
  SelfCauseError,
  SignalNotFoundError,
} from '../errors/journal.error.js';
import { JidoSignalError, type JidoSignalErrorCode } from '../errors/jido-signal.error.js';
import { ValidationError } from '../errors/validation.error.js';
import { matches, validatePattern } from '../router/pattern.js';
import { Signal } from '../signal/signal.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { telemetryChannel } from '../telemetry/telemetry.js';
import type { JournalAdapter, JournalEntry, JournalMeta } from './journal-adapter.interface.js';
import { MemoryJournal } from './memory.journal.js';
import { syncStagingOf, type SyncStaging } from './sync-staging.js';

/** Options of a {@link SignalJournal}. */
export interface SignalJournalOptions {
  /** Where entries are stored. @default new MemoryJournal() */
  adapter?: JournalAdapter;
  /**
   * How much earlier than its cause an effect may be (ms) before `record` rejects it with
   * `invalid_temporal_order` — room for clock skew between producers.
   * @default 0
   */
  clockSkewToleranceMs?: number;
  /** Source of record times (ms since the epoch); tests plug in a fake clock. @default Date.now */
  clock?: () => number;
}

/** Options of {@link SignalJournal.record}. */
export interface RecordOptions {
  /**
   * Id of the signal that caused this one. `null` records the signal as a root even when it
   * carries a `causationid`.
   * @default the signal's `causationid` extension (none: a root)
   */
  causeId?: string | null;
  /**
   * What to do when the cause is not recorded: `'error'` rejects with `cause_not_found`;
   * `'root'` records the signal as a root (its `causationid` extension is kept) — for signals
   * caused by something outside this journal, such as another service; `'link'` records the
   * edge anyway — for a cause another instance is still recording (a shared journal): the
   * effect is linked as soon as the cause is recorded (`getEffects`, `traceChain`), and its
   * causal time order is not checked. Until then (or forever, for a cause that never comes)
   * the entry's `causeId` names it and `getCause` returns `undefined`.
   * @default 'error'
   */
  unknownCause?: UnknownCausePolicy;
}

/** See {@link RecordOptions.unknownCause}. */
export type UnknownCausePolicy = 'error' | 'root' | 'link';

/** Which way {@link SignalJournal.traceChain} walks. */
export type TraceDirection = 'causes' | 'effects' | 'both';

/** Options of {@link SignalJournal.traceChain}. */
export interface TraceOptions {
  /** `'causes'`: up to the root; `'effects'`: down through every descendant; `'both'`. @default 'effects' */
  direction?: TraceDirection;
  /** Largest distance from the starting signal, in each direction. @default Infinity */
  depth?: number;
  /** Largest number of steps returned (the starting signal included). @default Infinity */
  limit?: number;
}

/** One signal of a causal trace. */
export interface TraceStep extends JournalEntry {
  /** `'origin'` for the starting signal, else which side of it this one lies on. */
  readonly relation: 'origin' | 'cause' | 'effect';
  /** Distance from the starting signal (0 for it, 1 for its direct cause or effects, …). */
  readonly depth: number;
}

/** A point in time: a `Date`, ms since the epoch, or an RFC 3339 / ISO 8601 string. */
export type JournalTime = Date | number | string;

/** Filters of {@link SignalJournal.query}; all optional and combined with AND. */
export interface JournalQuery {
  /** Type pattern, router grammar (`order.*`, `audit.**`). @default undefined (every type) */
  type?: string;
  /** Exact `source`. @default undefined */
  source?: string;
  /** Exact `subject`. @default undefined */
  subject?: string;
  /** Only signals whose effective time is at or after this (inclusive). @default undefined */
  since?: JournalTime;
  /** Only signals whose effective time is at or before this (inclusive). @default undefined */
  until?: JournalTime;
  /** At most this many signals. @default unlimited */
  limit?: number;
  /** By effective time: `'asc'` oldest first, `'desc'` newest first. @default 'asc' */
  order?: 'asc' | 'desc';
}

/** Message of `TelemetryChannel.JournalRecord`. */
export interface JournalRecordMessage {
  /** Adapter name. */
  readonly journal: string;
  /** Id of the recorded signal. */
  readonly signalId: string;
  /** Its type. */
  readonly signalType: string;
  /** Its cause; `undefined` for a root. */
  readonly causeId: string | undefined;
  /** Its conversation key. */
  readonly conversationId: string;
  /** `true` when an identical record already existed (nothing was written). */
  readonly duplicate: boolean;
}

/** Message of `TelemetryChannel.JournalRecordError`. */
export interface JournalRecordErrorMessage {
  /** Adapter name. */
  readonly journal: string;
  /** Id of the rejected signal. */
  readonly signalId: string;
  /** Its type. */
  readonly signalType: string;
  /** The cause it was recorded with, if any. */
  readonly causeId: string | undefined;
  /** `error.code`. */
  readonly errorCode: JidoSignalErrorCode;
  /** Why it was rejected. */
  readonly error: JidoSignalError;
}

/** A record checked and handed to the adapter, not necessarily durable yet. */
interface StagedRecord {
  readonly entry: JournalEntry;
  /** Settles once the adapter made it durable; `undefined` when it already is. */
  readonly durable: Promise<void> | undefined;
  /** `true` for an identical re-record (nothing new was stored). */
  readonly duplicate: boolean;
}

const byTime = (a: JournalMeta, b: JournalMeta): number => a.time - b.time;

// The last `time` parsed: signals recorded together mostly share their millisecond.
let lastTimeText = '';
let lastTimeMs = NaN;

/** Effective time of a signal: its `time` attribute, else `fallback` (the record time). */
function effectiveTime(signal: Signal, fallback: number): number {
  const time = signal.time;
  if (time === undefined) return fallback;
  if (time === lastTimeText) return Number.isNaN(lastTimeMs) ? fallback : lastTimeMs;
  let ms = Date.parse(time);
  // RFC 3339 allows lower-case `t`/`z`, which Date.parse rejects.
  if (Number.isNaN(ms)) ms = Date.parse(time.toUpperCase());
  lastTimeText = time;
  lastTimeMs = ms;
  return Number.isNaN(ms) ? fallback : ms;
}

/** Key-order-independent JSON of a JSON value, for comparing two records. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function sameSignal(a: Signal, b: Signal): boolean {
  return (
    canonical(JSON.parse(JSON.stringify(a)) as unknown) ===
    canonical(JSON.parse(JSON.stringify(b)) as unknown)
  );
}

function toMillis(field: string, value: JournalTime | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? Date.parse(value)
          : NaN;
  if (!Number.isFinite(ms)) {
    throw new ValidationError(
      'invalid_attribute',
      field,
      `Journal query "${field}" must be a Date, ms since the epoch or an ISO 8601 string, got ${String(value)}`,
    );
  }
  return ms;
}

function countOption(field: string, value: number | undefined, allowZero: boolean): number {
  if (value === undefined || value === Infinity) return Infinity;
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new ValidationError(
      'invalid_attribute',
      field,
      `${field} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * A causality journal: records signals with their cause, answers "what caused this?",
 * "what did this cause?", "what happened in this conversation?" and time-range queries.
 *
 * Rules, enforced by {@link record} with typed errors:
 * - a signal cannot cause itself (`self_cause`);
 * - a cause must already be recorded (`cause_not_found`);
 * - an effect is not earlier than its cause (`invalid_temporal_order`; equal times are fine,
 *   `clockSkewToleranceMs` allows some slack). Times are effective times: the signal's
 *   `time`, or its record time when it has none;
 * - records are immutable: recording an id again is a no-op when the signal and its cause are
 *   identical, else `duplicate_signal` — or `causality_cycle` when the new cause descends from
 *   it. Since every signal gets its one cause when it is recorded and causes must exist first,
 *   the journal is a forest and cycles cannot be built any other way.
 *
 * Records are applied one at a time in call order, so an effect recorded right after its
 * cause (without awaiting) finds it, and every read waits for the records issued before it
 * (reads see their own writes). `record()` resolves once the adapter has made the record
 * durable (for `FileJournal`: written and `fdatasync`ed by default); a record does not wait for
 * the previous one to be durable, so concurrent records share the adapter's writes.
 *
 * @example
 * const journal = new SignalJournal();
 * await journal.record(orderCreated);
 * await journal.record(paymentRequested, { causeId: orderCreated.id });
 * await journal.traceChain(orderCreated.id, { direction: 'effects' });
 */
export class SignalJournal {
  /** The storage adapter. */
  readonly adapter: JournalAdapter;
  /** The adapter's synchronous fast path, if it has one. */
  private readonly sync: SyncStaging | undefined;
  private readonly tolerance: number;
  private readonly clock: () => number;
  private readonly recordChannel = telemetryChannel(TelemetryChannel.JournalRecord);
  private readonly errorChannel = telemetryChannel(TelemetryChannel.JournalRecordError);
  private queue: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private lastRecordedAt = -Infinity;
  private closed = false;

  constructor(options: SignalJournalOptions = {}) {
    this.adapter = options.adapter ?? new MemoryJournal();
    this.sync = syncStagingOf(this.adapter);
    const tolerance = options.clockSkewToleranceMs ?? 0;
    if (!Number.isFinite(tolerance) || tolerance < 0) {
      throw new ValidationError(
        'invalid_attribute',
        'clockSkewToleranceMs',
        `clockSkewToleranceMs must be a non-negative number, got ${String(tolerance)}`,
      );
    }
    this.tolerance = tolerance;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Record a signal as an effect of `causeId` (default: its `causationid` extension) or as a
   * root. Its conversation is its `correlationid`, else its cause's conversation, else its
   * own id. Resolves once the adapter holds the record durably (see the adapter's durability
   * option; a re-record resolves once the first record is durable).
   * @returns the stored entry (the existing one for an identical re-record)
   * @throws SelfCauseError | CauseNotFoundError | InvalidTemporalOrderError |
   *   DuplicateSignalError | CausalityCycleError | JournalClosedError | ValidationError
   */
  record(signal: Signal, options: RecordOptions = {}): Promise<JournalEntry> {
    if (this.closed) return Promise.reject(new JournalClosedError('SignalJournal'));
    if (!(signal instanceof Signal)) {
      return Promise.reject(
        new ValidationError('invalid_signal', 'signal', 'SignalJournal.record expects a Signal'),
      );
    }
    const explicit = options.causeId;
    if (
      explicit !== undefined &&
      explicit !== null &&
      (typeof explicit !== 'string' || explicit === '')
    ) {
      return Promise.reject(
        new ValidationError(
          'invalid_attribute',
          'causeId',
          'causeId must be a non-empty string or null',
        ),
      );
    }
    const implicit = signal.extensions.causationid;
    const causeId =
      explicit === null
        ? undefined
        : (explicit ?? (typeof implicit === 'string' && implicit !== '' ? implicit : undefined));
    const orphans = options.unknownCause ?? 'error';
    // In-process adapters: checked and staged within this call when nothing is queued ahead.
    if (this.sync !== undefined && this.inFlight === 0) {
      return this.recordNow(this.sync, signal, causeId, orphans);
    }
    // Records are checked and staged one at a time in call order (an idle journal starts right
    // away); the next one starts as soon as this one is indexed, while it is made durable.
    const staged =
      this.inFlight === 0
        ? this.applyRecord(signal, causeId, orphans)
        : this.queue.then(() => this.applyRecord(signal, causeId, orphans));
    this.inFlight++;
    this.queue = staged.then(this.settle, this.settle);
    return this.complete(staged, signal, causeId);
  }

  private readonly settle = (): void => {
    this.inFlight--;
  };

  /** Wait until the staged record is durable, then report it. */
  private async complete(
    staged: Promise<StagedRecord>,
    signal: Signal,
    requestedCause: string | undefined,
  ): Promise<JournalEntry> {
    try {
      const { entry, durable, duplicate } = await staged;
      if (durable !== undefined) await durable;
      this.emitRecorded(entry, duplicate);
      return entry;
    } catch (error) {
      this.reportError(error, signal, requestedCause);
      throw error;
    }
  }

  private reportError(error: unknown, signal: Signal, requestedCause: string | undefined): void {
    if (error instanceof JidoSignalError && this.errorChannel.hasSubscribers) {
      this.errorChannel.publish({
        journal: this.adapter.name,
        signalId: signal.id,
        signalType: signal.type,
        causeId: requestedCause,
        errorCode: error.code,
        error,
      } satisfies JournalRecordErrorMessage);
    }
  }

  /**
   * {@link record} through the adapter's synchronous fast path: the rules are checked and the
   * entry staged before this returns; the promise settles once it is durable.
   */
  private recordNow(
    sync: SyncStaging,
    signal: Signal,
    requestedCause: string | undefined,
    orphans: UnknownCausePolicy,
  ): Promise<JournalEntry> {
    let entry: JournalEntry;
    let durable: Promise<void> | undefined;
    try {
      const id = signal.id;
      if (requestedCause === id) throw new SelfCauseError(id);
      let causeId = requestedCause;
      let cause: JournalMeta | undefined;
      if (causeId !== undefined) {
        cause = sync.metaSync(causeId);
        if (cause === undefined) {
          if (orphans === 'error') throw new CauseNotFoundError(id, causeId);
          if (orphans === 'root') causeId = undefined;
        }
      }
      const existing = sync.metaSync(id);
      if (existing !== undefined) {
        // A re-record only reads: it needs no place in the queue.
        return this.complete(this.rerecord(signal, causeId, existing), signal, requestedCause);
      }
      entry = this.newEntry(signal, causeId, cause);
      durable = sync.stageSync(entry);
      this.lastRecordedAt = entry.recordedAt;
    } catch (error) {
      this.reportError(error, signal, requestedCause);
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const gate = sync.backpressure;
    if (gate !== undefined) {
      // The adapter is behind: this record resolves, and the next ones are staged, once it
      // caught up (the gate is the commit this record was sealed into).
      this.inFlight++;
      this.queue = gate.then(this.settle, this.settle);
      durable ??= gate;
    }
    if (durable === undefined) {
      this.emitRecorded(entry, false);
      return Promise.resolve(entry);
    }
    return durable.then(
      () => {
        this.emitRecorded(entry, false);
        return entry;
      },
      (error: unknown) => {
        this.reportError(error, signal, requestedCause);
        throw error;
      },
    );
  }

  /**
   * The entry of a new record: effective time (not before its cause's, within the tolerance),
   * record time and conversation.
   * @throws InvalidTemporalOrderError
   */
  private newEntry(
    signal: Signal,
    causeId: string | undefined,
    cause: JournalMeta | undefined,
  ): JournalEntry {
    const id = signal.id;
    const recordedAt = Math.max(this.lastRecordedAt, this.clock());
    const time = effectiveTime(signal, recordedAt);
    if (cause !== undefined && time < cause.time - this.tolerance) {
      throw new InvalidTemporalOrderError(id, cause.id, time, cause.time);
    }
    const correlation = signal.extensions.correlationid;
    return {
      id,
      time,
      recordedAt,
      causeId,
      conversationId:
        typeof correlation === 'string' && correlation !== ''
          ? correlation
          : (cause?.conversationId ?? id),
      signal,
    };
  }

  /**
   * Check the rules and hand the entry to the adapter. Resolves once the adapter has indexed it
   * (`stageSignal`) or stored it (`putSignal`), with what is still to wait for.
   */
  private async applyRecord(
    signal: Signal,
    requestedCause: string | undefined,
    orphans: UnknownCausePolicy,
  ): Promise<StagedRecord> {
    const id = signal.id;
    if (requestedCause === id) throw new SelfCauseError(id);
    let causeId = requestedCause;
    let cause: JournalMeta | undefined;
    if (causeId !== undefined) {
      cause = await this.adapter.getMeta(causeId);
      if (cause === undefined) {
        if (orphans === 'error') throw new CauseNotFoundError(id, causeId);
        // 'link' keeps the edge: the cause is on its way (recorded by another instance).
        if (orphans === 'root') causeId = undefined;
      }
    }
    const existing = await this.adapter.getMeta(id);
    if (existing !== undefined) return this.rerecord(signal, causeId, existing);
    const entry = this.newEntry(signal, causeId, cause);
    let durable: Promise<void> | undefined;
    if (this.adapter.stageSignal !== undefined) {
      durable = (await this.adapter.stageSignal(entry)).durable;
    } else await this.adapter.putSignal(entry);
    this.lastRecordedAt = entry.recordedAt;
    return { entry, durable, duplicate: false };
  }

  private async rerecord(
    signal: Signal,
    causeId: string | undefined,
    existing: JournalMeta,
  ): Promise<StagedRecord> {
    const id = signal.id;
    if (existing.causeId === causeId) {
      const stored = await this.adapter.getSignal(id);
      if (stored !== undefined && sameSignal(stored.signal, signal)) {
        // The first record may still be on its way to disk: resolve once it is durable too.
        const durable = this.adapter.stageSignal !== undefined ? this.adapter.flush() : undefined;
        return { entry: stored, durable, duplicate: true };
      }
      throw new DuplicateSignalError(id, 'different content');
    }
    if (causeId !== undefined && (await this.descendsFrom(causeId, id))) {
      throw new CausalityCycleError(id, causeId);
    }
    throw new DuplicateSignalError(
      id,
      existing.causeId === undefined ? 'no cause' : `cause "${existing.causeId}"`,
    );
  }

  /** `true` when `ancestor` is `id` or one of its causes. Iterative, loop-safe. */
  private async descendsFrom(id: string, ancestor: string): Promise<boolean> {
    const seen = new Set<string>();
    for (
      let cur: string | undefined = id;
      cur !== undefined;
      cur = await this.adapter.getCause(cur)
    ) {
      if (cur === ancestor) return true;
      if (seen.has(cur)) return false;
      seen.add(cur);
    }
    return false;
  }

  private emitRecorded(entry: JournalEntry, duplicate: boolean): void {
    if (!this.recordChannel.hasSubscribers) return;
    this.recordChannel.publish({
      journal: this.adapter.name,
      signalId: entry.id,
      signalType: entry.signal.type,
      causeId: entry.causeId,
      conversationId: entry.conversationId,
      duplicate,
    } satisfies JournalRecordMessage);
  }

  /** The recorded signal with this id, or `undefined`. */
  async get(id: string): Promise<Signal | undefined> {
    await this.caughtUp();
    return (await this.adapter.getSignal(id))?.signal;
  }

  /** The recorded entry (signal + metadata) with this id, or `undefined`. */
  async getEntry(id: string): Promise<JournalEntry | undefined> {
    await this.caughtUp();
    return this.adapter.getSignal(id);
  }

  /** The direct cause of `id`; `undefined` for roots and unknown ids. */
  async getCause(id: string): Promise<Signal | undefined> {
    await this.caughtUp();
    const causeId = await this.adapter.getCause(id);
    return causeId === undefined ? undefined : (await this.adapter.getSignal(causeId))?.signal;
  }

  /** The direct effects of `id`, oldest first; `[]` for leaves and unknown ids. */
  async getEffects(id: string): Promise<Signal[]> {
    await this.caughtUp();
    return (await this.effectEntries(id)).map((e) => e.signal);
  }

  /**
   * The causal chain around `id`, starting with it (`relation: 'origin'`, depth 0):
   * - `'causes'`: its cause, that one's cause, … up to the root (nearest first);
   * - `'effects'`: every descendant depth-first, siblings oldest first (pre-order, so a step's
   *   cause is always listed before it);
   * - `'both'`: the causes, then the effects.
   *
   * Iterative with a visited set: deep chains (tens of thousands) cannot overflow the stack
   * and damaged data cannot loop.
   * @throws SignalNotFoundError (`not_found`) when `id` is not recorded
   */
  async traceChain(id: string, options: TraceOptions = {}): Promise<TraceStep[]> {
    const direction = options.direction ?? 'effects';
    if (direction !== 'causes' && direction !== 'effects' && direction !== 'both') {
      throw new ValidationError(
        'invalid_attribute',
        'direction',
        `direction must be 'causes', 'effects' or 'both', got ${String(direction)}`,
      );
    }
    const maxDepth = countOption('depth', options.depth, true);
    const limit = countOption('limit', options.limit, false);
    await this.caughtUp();
    const origin = await this.adapter.getSignal(id);
    if (origin === undefined) throw new SignalNotFoundError(id);
    const steps: TraceStep[] = [{ ...origin, relation: 'origin', depth: 0 }];
    const visited = new Set<string>([id]);
    if (direction !== 'effects') {
      let current: JournalEntry = origin;
      for (let depth = 1; depth <= maxDepth && steps.length < limit; depth++) {
        const causeId = current.causeId;
        if (causeId === undefined || visited.has(causeId)) break;
        const cause = await this.adapter.getSignal(causeId);
        if (cause === undefined) break;
        visited.add(causeId);
        steps.push({ ...cause, relation: 'cause', depth });
        current = cause;
      }
    }
    if (direction !== 'causes' && maxDepth > 0) {
      const stack: { entry: JournalEntry; depth: number }[] = [];
      const pushEffects = async (of: string, depth: number): Promise<void> => {
        const effects = await this.effectEntries(of);
        for (let i = effects.length - 1; i >= 0; i--) {
          const effect = effects[i];
          if (visited.has(effect.id)) continue;
          visited.add(effect.id);
          stack.push({ entry: effect, depth });
        }
      };
      await pushEffects(id, 1);
      while (stack.length > 0 && steps.length < limit) {
        const { entry, depth } = stack.pop()!;
        steps.push({ ...entry, relation: 'effect', depth });
        if (depth < maxDepth) await pushEffects(entry.id, depth + 1);
      }
    }
    return steps;
  }

  /**
   * Every signal of a conversation, oldest first (by effective time, then record order).
   * The key is the `correlationid`; signals without one belong to their cause's conversation,
   * and a root without one starts a conversation keyed by its own id.
   */
  async conversation(correlationId: string): Promise<Signal[]> {
    await this.caughtUp();
    const ids = await this.adapter.getConversation(correlationId);
    return (await this.entries(ids)).sort(byTime).map((e) => e.signal);
  }

  /**
   * Signals matching every given filter, by effective time (`order`), at most `limit`.
   * Time bounds use the adapter's time index; the other filters are applied while scanning.
   * @throws InvalidPatternError for a bad `type` pattern; ValidationError for bad bounds
   */
  async query(query: JournalQuery = {}): Promise<Signal[]> {
    const { type, source, subject } = query;
    if (type !== undefined) validatePattern(type);
    const since = toMillis('since', query.since);
    const until = toMillis('until', query.until);
    const limit = countOption('limit', query.limit, true);
    const order = query.order ?? 'asc';
    if (order !== 'asc' && order !== 'desc') {
      throw new ValidationError(
        'invalid_attribute',
        'order',
        `order must be 'asc' or 'desc', got ${String(order)}`,
      );
    }
    const out: Signal[] = [];
    if (limit === 0) return out;
    await this.caughtUp();
    for await (const entry of this.adapter.scan({ since, until, order })) {
      const s = entry.signal;
      if (type !== undefined && !matches(s.type, type)) continue;
      if (source !== undefined && s.source !== source) continue;
      if (subject !== undefined && s.subject !== subject) continue;
      out.push(s);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Number of recorded signals. */
  async size(): Promise<number> {
    await this.caughtUp();
    return this.adapter.size();
  }

  /** Resolves once every record issued so far is applied (reads see their own writes). */
  private async caughtUp(): Promise<void> {
    if (this.inFlight > 0) await this.queue;
  }

  /** Wait for pending records and make them durable (see the adapter). */
  async flush(): Promise<void> {
    await this.queue;
    await this.adapter.flush();
  }

  /** Finish pending records, then close the adapter. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.adapter.close();
  }

  private async effectEntries(id: string): Promise<JournalEntry[]> {
    return (await this.entries(await this.adapter.getEffects(id))).sort(byTime);
  }

  private async entries(ids: readonly string[]): Promise<JournalEntry[]> {
    const out: JournalEntry[] = [];
    for (const id of ids) {
      const entry = await this.adapter.getSignal(id);
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }
}
