import type { Signal } from '../signal/signal.js';

/**
 * What a journal knows about a recorded signal without its payload: enough to check the
 * causality rules and walk the graph. Durable adapters keep these in memory.
 */
export interface JournalMeta {
  /** The signal id. */
  readonly id: string;
  /**
   * Effective time in ms since the epoch: the signal's `time` attribute, or its record time
   * when it has none. Causal order and time queries use it.
   */
  readonly time: number;
  /** When the journal recorded it (ms since the epoch, never decreasing within a journal). */
  readonly recordedAt: number;
  /** Id of its cause; `undefined` for a root. */
  readonly causeId: string | undefined;
  /**
   * Conversation key: the `correlationid` extension, else the conversation of its cause, else
   * its own id (so a chain without correlation ids is keyed by its root's id).
   */
  readonly conversationId: string;
}

/** A recorded signal with its journal metadata. */
export interface JournalEntry extends JournalMeta {
  /** The signal as recorded (durable adapters return the CloudEvents JSON form parsed back). */
  readonly signal: Signal;
}

/** A time-range scan over a journal, see {@link JournalAdapter.scan}. */
export interface JournalScan {
  /** Only entries with `time >= since` (ms since the epoch). @default undefined (no lower bound) */
  readonly since?: number;
  /** Only entries with `time <= until` (ms since the epoch). @default undefined (no upper bound) */
  readonly until?: number;
  /** `'asc'`: oldest first; `'desc'`: newest first. Ties keep record order (reversed for desc). @default 'asc' */
  readonly order?: 'asc' | 'desc';
}

/** What {@link JournalAdapter.stageSignal} resolves to. */
export interface StagedSignal {
  /**
   * Settles like {@link JournalAdapter.putSignal}'s promise would: resolves once the entry is
   * durable, rejects when storing it failed.
   */
  readonly durable: Promise<void>;
}

/**
 * Storage behind a {@link SignalJournal}: signals, their cause edges, the conversation index
 * and a time-ordered scan. The journal enforces the causality rules and calls
 * {@link putSignal} only for new, valid entries, one at a time and in order; adapters store
 * and index. Every method is asynchronous so remote engines fit the same contract; every
 * adapter must pass `describeJournalAdapterConformance` from `nestjs-jido-signal/testing`.
 *
 * Edges are part of the entry (`causeId`): `putSignal` writes the signal, its edge and its
 * conversation membership as one record, so a crash can never keep a signal and lose its
 * cause (or the reverse). {@link getCause} and {@link getEffects} read that edge index.
 */
export interface JournalAdapter {
  /** Human-readable adapter name used in telemetry and errors (`'memory'`, `'file'`). */
  readonly name: string;

  /**
   * Store a new entry and index it: id → entry, `causeId` → effect edge, conversation
   * membership, time order. The journal calls it only with ids not yet stored; an id that is
   * already stored is ignored (the first record wins).
   */
  putSignal(entry: JournalEntry): Promise<void>;
  /**
   * Optional two-step {@link putSignal}, for adapters that index an entry before it is durable
   * (the file journal's group commit): resolves as soon as the entry is indexed — every read,
   * and the rule checks of the next record, see it — with `durable`, which settles when
   * `putSignal` would. `SignalJournal` uses it when present, so the next record is checked and
   * staged while this one is still being written, and concurrent records share one write and
   * one sync; `record()` still resolves only once `durable` has.
   */
  stageSignal?(entry: JournalEntry): Promise<StagedSignal>;
  /** The entry with this id, or `undefined`. */
  getSignal(id: string): Promise<JournalEntry | undefined>;
  /** The metadata of this id without the signal (cheap), or `undefined`. */
  getMeta(id: string): Promise<JournalMeta | undefined>;
  /** Id of the cause of `id`; `undefined` for roots and unknown ids. */
  getCause(id: string): Promise<string | undefined>;
  /** Ids of the direct effects of `id` in record order; `[]` for leaves and unknown ids. */
  getEffects(id: string): Promise<string[]>;
  /** Ids of every entry of a conversation in record order; `[]` when unknown. */
  getConversation(conversationId: string): Promise<string[]>;
  /**
   * Entries whose time lies in the range, in time order (record order between equal times).
   * Consumers may stop early (`break`); entries recorded after the scan started may be missed.
   */
  scan(range?: JournalScan): AsyncIterable<JournalEntry>;
  /** Number of entries. */
  size(): Promise<number>;
  /** Make everything accepted so far durable (no-op for in-memory adapters). */
  flush(): Promise<void>;
  /**
   * Flush and release resources. Idempotent. Afterwards every other method rejects with a
   * `JournalError` of code `'closed'`.
   */
  close(): Promise<void>;
}
