import { JidoSignalError } from '../errors/jido-signal.error.js';
import { JournalError } from '../errors/journal.error.js';
import type { Signal } from '../signal/signal.js';
import type { JournalEntry } from './journal-adapter.interface.js';
import type { SignalJournal } from './signal-journal.js';
import type { UnknownCausePolicy } from './signal-journal.types.js';

/** Options of {@link recordPublished}. */
export interface RecordPublishedOptions {
  /**
   * What to do with a signal whose `causationid` names a signal this journal has not
   * recorded (yet): `'link'` records the edge from the signal's own `causationid` — the cause
   * may be on its way from another instance sharing the journal, and the effect links up as
   * soon as it is recorded; `'root'` records it as a root (the `causationid` extension stays on
   * the signal); `'error'` reports `cause_not_found`.
   * @default 'link'
   */
  unknownCause?: UnknownCausePolicy;
  /**
   * Called for every signal that could not be recorded (also published on
   * `TelemetryChannel.JournalRecordError`). Publishing is never failed by the journal.
   * @default undefined
   */
  onError?: (error: JidoSignalError, signal: Signal) => void;
}

/** One signal {@link recordPublished} could not record. */
export interface RecordFailure {
  /** The signal. */
  readonly signal: Signal;
  /** Why (`invalid_temporal_order`, `duplicate_signal`, `cause_not_found`, `closed`, …). */
  readonly error: JidoSignalError;
}

/** What {@link recordPublished} did. */
export interface RecordPublishedResult {
  /** Entries recorded (or already present identically), in publish order. */
  readonly recorded: JournalEntry[];
  /** Signals that could not be recorded. */
  readonly failed: RecordFailure[];
}

function asLibraryError(error: unknown): JidoSignalError {
  return error instanceof JidoSignalError
    ? error
    : new JournalError('internal_error', `Journal record failed: ${String(error)}`, {
        cause: error,
      });
}

/**
 * Record signals a bus just published, in order, each with its cause taken from its own
 * `causationid` (set by `CausalityContext.applyCausality` while a handler ran) — also when
 * that cause was published by another instance whose record has not arrived yet. Never
 * rejects: failures are returned, passed to `onError` and published on the record-error
 * channel, because the journal must not fail a publish. Signals of one batch may cause each
 * other.
 *
 * This is the bus's journal hook. Call it right after the signals are appended to the log and
 * before they are delivered — a handler may publish effects before the publish that carried
 * their cause has finished, and a cause must be recorded first. Records are applied in call
 * order, so the bus need not await it to keep causes ahead of effects:
 * `if (journal) void recordPublished(journal, signals)`.
 */
export async function recordPublished(
  journal: SignalJournal,
  signals: readonly Signal[],
  options: RecordPublishedOptions = {},
): Promise<RecordPublishedResult> {
  const unknownCause = options.unknownCause ?? 'link';
  // Every record is queued before the first one runs, so causes stay ahead of effects a
  // handler publishes while this call is still in progress.
  const outcomes = signals.map((signal) =>
    journal.record(signal, { unknownCause }).then(
      (entry) => ({ signal, entry, error: undefined }),
      (error: unknown) => ({ signal, entry: undefined, error: asLibraryError(error) }),
    ),
  );
  const recorded: JournalEntry[] = [];
  const failed: RecordFailure[] = [];
  for (const outcome of await Promise.all(outcomes)) {
    if (outcome.entry !== undefined) recorded.push(outcome.entry);
    else {
      failed.push({ signal: outcome.signal, error: outcome.error });
      options.onError?.(outcome.error, outcome.signal);
    }
  }
  return { recorded, failed };
}
