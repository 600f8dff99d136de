import {
  JidoSignalError,
  type ErrorDetails,
  type JidoSignalErrorCode,
} from './jido-signal.error.js';

/**
 * Root of the causality-journal errors. `code` tells them apart: `cause_not_found`,
 * `causality_cycle`, `invalid_temporal_order`, `self_cause`, `duplicate_signal`, `not_found`,
 * `journal_corrupt`, `journal_locked`, `journal_io_error`, `closed`.
 */
export class JournalError extends JidoSignalError {
  constructor(
    code: JidoSignalErrorCode,
    message: string,
    options: { details?: ErrorDetails; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(code, message, options);
  }
}

/** `record` named a cause (explicitly or through `causationid`) that the journal does not hold. */
export class CauseNotFoundError extends JournalError {
  /** The signal being recorded. */
  readonly signalId: string;
  /** The missing cause. */
  readonly causeId: string;

  constructor(signalId: string, causeId: string) {
    super(
      'cause_not_found',
      `Cannot record signal "${signalId}": its cause "${causeId}" is not in the journal`,
      { details: { signalId, causeId } },
    );
    this.signalId = signalId;
    this.causeId = causeId;
  }
}

/** A signal names itself as its cause. */
export class SelfCauseError extends JournalError {
  /** The signal being recorded. */
  readonly signalId: string;

  constructor(signalId: string) {
    super('self_cause', `Signal "${signalId}" cannot be its own cause`, {
      details: { signalId },
    });
    this.signalId = signalId;
  }
}

/**
 * Recording the edge would close a loop: the signal already appears among the causes of its
 * would-be cause (only possible when an already recorded id is recorded again).
 */
export class CausalityCycleError extends JournalError {
  /** The signal being recorded. */
  readonly signalId: string;
  /** The cause that descends from it. */
  readonly causeId: string;

  constructor(signalId: string, causeId: string) {
    super(
      'causality_cycle',
      `Recording "${signalId}" as an effect of "${causeId}" would create a cycle: "${causeId}" descends from "${signalId}"`,
      { details: { signalId, causeId } },
    );
    this.signalId = signalId;
    this.causeId = causeId;
  }
}

/** The effect is older than its cause (beyond the journal's clock-skew tolerance). */
export class InvalidTemporalOrderError extends JournalError {
  /** The signal being recorded. */
  readonly signalId: string;
  /** Its cause. */
  readonly causeId: string;
  /** Effective time of the effect (ms since the epoch). */
  readonly effectTime: number;
  /** Effective time of the cause (ms since the epoch). */
  readonly causeTime: number;

  constructor(signalId: string, causeId: string, effectTime: number, causeTime: number) {
    super(
      'invalid_temporal_order',
      `Signal "${signalId}" (${new Date(effectTime).toISOString()}) is earlier than its cause "${causeId}" (${new Date(causeTime).toISOString()})`,
      { details: { signalId, causeId, effectTime, causeTime } },
    );
    this.signalId = signalId;
    this.causeId = causeId;
    this.effectTime = effectTime;
    this.causeTime = causeTime;
  }
}

/** An id is recorded again with different content or a different cause. */
export class DuplicateSignalError extends JournalError {
  /** The id recorded twice. */
  readonly signalId: string;

  constructor(signalId: string, reason: string) {
    super(
      'duplicate_signal',
      `Signal "${signalId}" is already recorded with ${reason}; journal records are immutable`,
      { details: { signalId, reason } },
    );
    this.signalId = signalId;
  }
}

/** The journal holds no signal with this id. */
export class SignalNotFoundError extends JournalError {
  /** The unknown id. */
  readonly signalId: string;

  constructor(signalId: string) {
    super('not_found', `Signal "${signalId}" is not in the journal`, { details: { signalId } });
    this.signalId = signalId;
  }
}

/**
 * A journal file is damaged somewhere other than its tail (a torn tail is repaired
 * automatically), or is not a journal file at all.
 */
export class JournalCorruptError extends JournalError {
  constructor(message: string, details: ErrorDetails = {}, cause?: unknown) {
    super('journal_corrupt', message, { details, cause });
  }
}

/** Another live process holds the journal directory open for writing. */
export class JournalLockedError extends JournalError {
  constructor(directory: string, pid: number) {
    super(
      'journal_locked',
      `Journal directory "${directory}" is locked by process ${pid}; open it with readOnly: true or close the other writer`,
      { details: { directory, pid } },
    );
  }
}

/** Reading or writing a journal file failed; the journal accepts no further records. */
export class JournalIoError extends JournalError {
  constructor(message: string, cause?: unknown, details: ErrorDetails = {}) {
    super('journal_io_error', message, { details, cause });
  }
}

/** The journal (or its adapter) was closed; no further operations are accepted. */
export class JournalClosedError extends JournalError {
  constructor(journal: string) {
    super('closed', `${journal} is closed`, { details: { journal } });
  }
}

/**
 * A remote journal (`JetStreamJournal`) could not complete an operation because its server
 * is unreachable: the connection stayed down longer than `disconnectedWait`, a request or
 * publish acknowledgement timed out, or the journal could not catch up with the stream in
 * time. Code `journal_io_error` like {@link JournalIoError}, but `retryable` is `true`: the
 * journal stays usable and repeating the operation later is safe (a `putSignal` that failed
 * this way may or may not have been stored; the first record of an id wins, so retrying it
 * is idempotent). Never carries credentials or server URLs.
 */
export class JournalUnavailableError extends JournalError {
  constructor(journal: string, operation: string, reason: string, cause?: unknown) {
    super('journal_io_error', `${journal} is unavailable: ${operation} failed (${reason})`, {
      details: { journal, operation, reason },
      cause,
      retryable: true,
    });
  }
}
