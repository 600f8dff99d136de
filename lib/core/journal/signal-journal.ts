// SignalJournal, the causality journal: the record path (rules, staging through the adapter,
// telemetry) and the reads, with traces and queries in journal-queries.ts.
import {
  CausalityCycleError,
  CauseNotFoundError,
  DuplicateSignalError,
  InvalidTemporalOrderError,
  JournalClosedError,
  SelfCauseError,
} from '../errors/journal.error.js';
import { asError } from '../util/as-error.js';
import { JidoSignalError } from '../errors/jido-signal.error.js';
import { ValidationError } from '../errors/validation.error.js';
import { Signal } from '../signal/signal.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { telemetryChannel } from '../telemetry/telemetry.js';
import type { JournalAdapter, JournalEntry, JournalMeta } from './journal-adapter.interface.js';
import { JournalQueries } from './journal-queries.js';
import { MemoryJournal } from './memory.journal.js';
import { effectiveTime, sameSignal } from './record-checks.js';
import type {
  JournalQuery,
  JournalRecordErrorMessage,
  JournalRecordMessage,
  RecordOptions,
  SignalJournalOptions,
  TraceOptions,
  TraceStep,
  UnknownCausePolicy,
} from './signal-journal.types.js';
import { syncStagingOf, type SyncStaging } from './sync-staging.js';

/**
 * `true` when `ancestor` is `id` or one of its causes — linked-ahead causes included — read
 * through the adapter's synchronous path. Loop-safe.
 */
function causedBy(sync: SyncStaging, id: string, ancestor: string): boolean {
  const seen = new Set<string>();
  for (let cur: string | undefined = id; cur !== undefined; cur = sync.metaSync(cur)?.causeId) {
    if (cur === ancestor) return true;
    if (seen.has(cur)) return false;
    seen.add(cur);
  }
  return false;
}

/** A record checked and handed to the adapter, not necessarily durable yet. */
interface StagedRecord {
  readonly entry: JournalEntry;
  /** Settles once the adapter made it durable; `undefined` when it already is. */
  readonly durable: Promise<void> | undefined;
  /** `true` for an identical re-record (nothing new was stored). */
  readonly duplicate: boolean;
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
  private readonly queries: JournalQueries;
  private queue: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private lastRecordedAt = -Infinity;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: SignalJournalOptions = {}) {
    this.adapter = options.adapter ?? new MemoryJournal();
    this.sync = syncStagingOf(this.adapter);
    // Record times never decrease, across a restart too (a clock that stepped back meanwhile).
    this.lastRecordedAt = this.sync?.lastRecordedAt ?? -Infinity;
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
    this.queries = new JournalQueries(this.adapter, () => this.caughtUp());
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
      if (causeId !== undefined && sync.linkedAhead(id) && causedBy(sync, causeId, id)) {
        throw new CausalityCycleError(id, causeId);
      }
      entry = this.newEntry(signal, causeId, cause);
      durable = sync.stageSync(entry);
      this.lastRecordedAt = entry.recordedAt;
    } catch (error) {
      this.reportError(error, signal, requestedCause);
      return Promise.reject(asError(error));
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
    // Effects linked ahead of this signal (`unknownCause: 'link'`, in-process adapters only):
    // its cause must not be one of them, nor descend from one.
    const sync = this.sync;
    if (causeId !== undefined && sync?.linkedAhead(id) && causedBy(sync, causeId, id)) {
      throw new CausalityCycleError(id, causeId);
    }
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
    return (await this.queries.effectEntries(id)).map((e) => e.signal);
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
  traceChain(id: string, options: TraceOptions = {}): Promise<TraceStep[]> {
    return this.queries.traceChain(id, options);
  }

  /**
   * Every signal of a conversation, oldest first (by effective time, then record order).
   * The key is the `correlationid`; signals without one belong to their cause's conversation,
   * and a root without one starts a conversation keyed by its own id.
   */
  conversation(correlationId: string): Promise<Signal[]> {
    return this.queries.conversation(correlationId);
  }

  /**
   * Signals matching every given filter, by effective time (`order`), at most `limit`.
   * Time bounds use the adapter's time index; the other filters are applied while scanning.
   * @throws InvalidPatternError for a bad `type` pattern; ValidationError for bad bounds
   */
  query(query: JournalQuery = {}): Promise<Signal[]> {
    return this.queries.query(query);
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

  /**
   * Finish pending records, then close the adapter. Idempotent: every call returns the same
   * promise, which settles once the adapter is closed.
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closed = true;
      this.closing = this.queue.then(() => this.adapter.close());
    }
    return this.closing;
  }
}
