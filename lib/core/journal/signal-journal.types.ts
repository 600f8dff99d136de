// The public types of SignalJournal: its options, the options of `record`, `traceChain` and
// `query`, a trace step, and the messages of its two telemetry channels.
import type { JidoSignalError, JidoSignalErrorCode } from '../errors/jido-signal.error.js';
import type { JournalAdapter, JournalEntry } from './journal-adapter.interface.js';

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
   * the entry's `causeId` names it and `getCause` returns `undefined`. Its conversation is
   * fixed when it is recorded: its `correlationid`, else its own id (the cause's conversation
   * is not known yet).
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
