/**
 * `JetStreamJournal`: a journal adapter on a NATS JetStream stream — writing entries, the
 * local index the stream's tail keeps, and reads through it. Its options are in
 * `jetstream-journal.options.ts`, its message format in `jetstream-journal.record.ts`, the
 * connection and stream creation in `lib/core/nats/`.
 * @module
 */
import type { JetStreamApiError, JsMsg, StoredMsg, StreamInfo } from '@nats-io/jetstream';
import { JidoSignalError } from '../errors/jido-signal.error.js';
import {
  JournalClosedError,
  JournalIoError,
  JournalUnavailableError,
} from '../errors/journal.error.js';
import { StoreUnavailableError } from '../errors/store.error.js';
import { isApiError, JsApiCode } from '../nats/api-errors.js';
import { describeCause, NatsLink } from '../nats/connection.js';
import { followStream, type StreamFollower } from '../nats/follow-stream.js';
import { ensureStream, KEEP_EXISTING, streamConfig } from '../nats/stream-config.js';
import type { ExtensionRegistry } from '../signal/extensions.js';
import { STORED_MAX_DEPTH } from '../signal/safe-input.js';
import { Signal } from '../signal/signal.js';
import { AppliedWaiters } from './applied-waiters.js';
import type {
  JournalAdapter,
  JournalEntry,
  JournalMeta,
  JournalScan,
} from './journal-adapter.interface.js';
import {
  resolveJournalOptions,
  type JetStreamJournalOptions,
  type ResolvedJetStreamJournalOptions,
} from './jetstream-journal.options.js';
import { journalSubjectToken, parseRecord } from './jetstream-journal.record.js';
import { RecordIndex } from './record-index.js';
import type { WireRecord } from './wire-record.js';

/** Size and progress of a JetStream journal, see {@link JetStreamJournal.stats}. */
export interface JetStreamJournalStats {
  /** Entries in the local index. */
  readonly records: number;
  /** Last stream sequence the local index has applied. */
  readonly appliedSeq: number;
  /** Stream messages ignored because they were not journal records (or repeated an id). */
  readonly skipped: number;
  /** Decoded signals in the cache. */
  readonly cached: number;
}

const NAME = 'JetStreamJournal';
/** Signals fetched ahead of a `scan()` consumer. */
const SCAN_PREFETCH = 16;
const TWO_32 = 2 ** 32;

/**
 * A journal adapter on a NATS JetStream stream, so several application instances share one
 * causality journal:
 *
 * - one message per entry on `<subject>.<token(id)>` (JSON: the signal's CloudEvents JSON plus
 *   `time`, `recordedAt`, `causeId`, `conversationId`), published with `Nats-Msg-Id` = the
 *   signal id and `Nats-Expected-Last-Subject-Sequence: 0`, so the server stores an id once
 *   whoever publishes it, however late (the first record wins);
 * - every instance keeps an in-memory index (ids, cause edges, conversations, the sparse time
 *   index — like the file journal) built by an ordered consumer that replays the stream on
 *   open and then follows it live; record order is the stream order, so all instances agree
 *   on it;
 * - `putSignal` resolves once the server acknowledged the entry and the local index applied
 *   it; with `readConsistency: 'strong'` (default) every read first catches up with the
 *   stream's last sequence, so it sees what other instances stored before it started;
 * - signals are not kept in memory (only a small LRU cache): reads fetch the stored message
 *   by sequence.
 *
 * Runtime NATS access goes through {@link NatsLink}; the packages `@nats-io/transport-node`
 * and `@nats-io/jetstream` are optional peers loaded on `open`.
 *
 * @example
 * const journal = new SignalJournal({
 *   adapter: await JetStreamJournal.open({ servers: 'nats://127.0.0.1:4222' }),
 * });
 */
export class JetStreamJournal implements JournalAdapter {
  /** @inheritdoc */
  readonly name = 'jetstream';
  /** Stream in use. */
  readonly stream: string;
  /** Subject prefix in use. */
  readonly subject: string;
  /** Options in effect (connection options excluded). */
  readonly options: Readonly<ResolvedJetStreamJournalOptions>;

  readonly #link: NatsLink;
  readonly #extensions: ExtensionRegistry | undefined;
  readonly #label: string;
  readonly #index = new RecordIndex(256);
  /** Decoded signals by stream sequence (not index seq), least recently used first. */
  readonly #cache = new Map<number, Signal>();
  readonly #inflight = new Set<Promise<void>>();
  #tail: StreamFollower | undefined;
  #applied = 0;
  #skipped = 0;
  #lastRecordedAt = -Infinity;
  readonly #waiters: AppliedWaiters;
  #syncRunning: Promise<number> | undefined;
  #syncQueued: Promise<number> | undefined;
  #tailFailure: Error | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(
    link: NatsLink,
    options: ResolvedJetStreamJournalOptions,
    extensions: ExtensionRegistry | undefined,
  ) {
    this.#link = link;
    this.options = options;
    this.stream = options.stream;
    this.subject = options.subject;
    this.#extensions = extensions;
    this.#label = `${NAME} "${options.stream}"`;
    const limit = link.disconnectedWait + link.requestTimeout;
    this.#waiters = new AppliedWaiters(
      limit,
      () =>
        new JournalUnavailableError(
          this.#label,
          'catch up',
          `the stream tail made no progress for ${limit} ms`,
        ),
    );
  }

  /**
   * Connect, create the stream when missing and replay it into the local index; resolves once
   * the index has caught up with the stream as it was when opening.
   * @throws ValidationError (`invalid_attribute`) for invalid options
   * @throws MissingPeerDependencyError without the NATS packages
   * @throws JournalUnavailableError (`journal_io_error`, retryable) when no server answers
   * @throws JournalIoError when JetStream is not enabled or the stream does not capture
   *   `<subject>.>`
   */
  static async open(options: JetStreamJournalOptions = {}): Promise<JetStreamJournal> {
    const resolved = resolveJournalOptions(options);
    let link: NatsLink;
    try {
      link = await NatsLink.open(options, NAME);
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        throw new JournalUnavailableError(
          `${NAME} "${resolved.stream}"`,
          'open',
          'cannot connect',
          error,
        );
      }
      if (error instanceof JidoSignalError && error.code === 'store_error') {
        throw new JournalIoError(error.message, error, { stream: resolved.stream });
      }
      throw error;
    }
    const journal = new JetStreamJournal(link, resolved, options.extensions);
    try {
      await journal.#start();
    } catch (error) {
      const failure = journal.#wrap(error, 'open');
      await journal.#shutdown();
      throw failure;
    }
    return journal;
  }

  /** @inheritdoc */
  putSignal(entry: JournalEntry): Promise<void> {
    if (this.#closed) return Promise.reject(new JournalClosedError(NAME));
    const put = this.#put(entry);
    this.#inflight.add(put);
    const forget = (): void => {
      this.#inflight.delete(put);
    };
    put.then(forget, forget);
    return put;
  }

  /** @inheritdoc */
  async getSignal(id: string): Promise<JournalEntry | undefined> {
    await this.#read('getSignal');
    const seq = this.#index.seqOf(id);
    if (seq === undefined) return undefined;
    const signal = await this.#signalAt(seq, 'getSignal');
    return signal === undefined ? undefined : { ...this.#index.meta(seq), signal };
  }

  /** @inheritdoc */
  async getMeta(id: string): Promise<JournalMeta | undefined> {
    await this.#read('getMeta');
    const seq = this.#index.seqOf(id);
    return seq === undefined ? undefined : this.#index.meta(seq);
  }

  /** @inheritdoc */
  async getCause(id: string): Promise<string | undefined> {
    await this.#read('getCause');
    const seq = this.#index.seqOf(id);
    return seq === undefined ? undefined : this.#index.causeOf(seq);
  }

  /** @inheritdoc */
  async getEffects(id: string): Promise<string[]> {
    await this.#read('getEffects');
    const seq = this.#index.seqOf(id);
    return seq === undefined ? [] : this.#index.effectsOf(seq);
  }

  /** @inheritdoc */
  async getConversation(conversationId: string): Promise<string[]> {
    await this.#read('getConversation');
    return this.#index.conversation(conversationId);
  }

  /**
   * @inheritdoc
   * Signals are fetched from the stream (a few requests ahead of the consumer); an entry the
   * server removed meanwhile (`maxAge`) is skipped.
   */
  async *scan(range: JournalScan = {}): AsyncGenerator<JournalEntry> {
    await this.#read('scan');
    const seqs = this.#index.ordered(
      range.since ?? -Infinity,
      range.until ?? Infinity,
      range.order === 'desc',
    );
    const ahead: { seq: number; signal: Promise<Signal | undefined> }[] = [];
    const fill = (): void => {
      while (ahead.length < SCAN_PREFETCH) {
        const next = seqs.next();
        if (next.done === true) return;
        const seq = next.value;
        const signal = this.#signalAt(seq, 'scan');
        // Consumers may stop early: never leave a prefetched rejection unhandled.
        signal.catch(() => undefined);
        ahead.push({ seq, signal });
      }
    };
    fill();
    while (ahead.length > 0) {
      const { seq, signal: pending } = ahead.shift()!;
      const signal = await pending;
      this.#assertOpen();
      fill();
      if (signal !== undefined) yield { ...this.#index.meta(seq), signal };
      this.#assertOpen();
    }
  }

  /** @inheritdoc */
  async size(): Promise<number> {
    await this.#read('size');
    return this.#index.count;
  }

  /**
   * Resolves once every `putSignal` issued so far is acknowledged by the server (and applied
   * to the local index).
   * @throws the error of a `putSignal` that failed
   */
  async flush(): Promise<void> {
    this.#assertOpen();
    await Promise.all([...this.#inflight]);
    this.#assertOpen();
  }

  /**
   * Wait for pending `putSignal`s, stop the tail and close the connection (unless it was
   * passed in as `connection`). Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      await Promise.allSettled([...this.#inflight]);
      await this.#shutdown();
    })();
    return this.#closing;
  }

  /** Records, tail progress and cache size. */
  stats(): JetStreamJournalStats {
    return {
      records: this.#index.count,
      appliedSeq: this.#applied,
      skipped: this.#skipped,
      cached: this.#cache.size,
    };
  }

  // ---------------------------------------------------------------- writing

  async #put(entry: JournalEntry): Promise<void> {
    try {
      await this.#ready('putSignal');
      if (this.#index.seqOf(entry.id) !== undefined) return;
      const recordedAt = Math.max(entry.recordedAt, this.#lastRecordedAt);
      const record: WireRecord = {
        v: 1,
        id: entry.id,
        time: entry.time,
        recordedAt,
        causeId: entry.causeId,
        conversationId: entry.conversationId,
        signal: entry.signal,
      };
      const body = JSON.stringify(record);
      let seq: number;
      try {
        const ack = await this.#link.js.publish(
          `${this.subject}.${journalSubjectToken(entry.id)}`,
          body,
          {
            msgID: entry.id,
            expect: { lastSubjectSequence: 0, streamName: this.stream },
            timeout: this.#link.requestTimeout,
          },
        );
        seq = ack.seq;
        if (!ack.duplicate) this.#remember(seq, entry.signal);
      } catch (error) {
        if (!this.#isApiError(error, JsApiCode.WrongLastSequence)) throw error;
        // Stored already (by another instance, or longer ago than the duplicate window):
        // the first record wins; make it visible before resolving.
        seq = await this.#lastSeq();
      }
      await this.#waitApplied(seq);
    } catch (error) {
      throw this.#wrap(error, 'putSignal');
    }
  }

  #remember(seq: number, signal: Signal): void {
    const size = this.options.cacheSize;
    if (size === 0) return;
    this.#cache.delete(seq);
    this.#cache.set(seq, signal);
    if (this.#cache.size > size) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
  }

  // ---------------------------------------------------------------- reading

  /** Closed check, connection wait and (strong consistency) catch-up before a read. */
  async #read(operation: string): Promise<void> {
    this.#assertOpen();
    try {
      await this.#ready(operation);
      if (this.options.readConsistency === 'strong') await this.#waitApplied(await this.#lastSeq());
    } catch (error) {
      throw this.#wrap(error, operation);
    }
    this.#assertOpen();
  }

  /** The signal of index record `seq` (cache, else the stream); `undefined` when removed. */
  async #signalAt(seq: number, operation: string): Promise<Signal | undefined> {
    const streamSeq = this.#streamSeq(seq);
    const cached = this.#cache.get(streamSeq);
    if (cached !== undefined) {
      this.#remember(streamSeq, cached);
      return cached;
    }
    let message: StoredMsg | null;
    try {
      await this.#ready(operation);
      message = await this.#link.jsm.streams.getMessage(this.stream, { seq: streamSeq });
    } catch (error) {
      // 10037 "no message found": removed by maxAge or by hand since it was indexed.
      if (this.#isApiError(error, JsApiCode.NoMessageFound)) return undefined;
      throw this.#wrap(error, operation);
    }
    if (message === null) return undefined;
    const record = parseRecord(message.data);
    if (record === undefined || record.id !== this.#index.idOf(seq)) {
      throw new JournalIoError(
        `${this.#label}: message ${streamSeq} is not the journal record the index expects`,
        undefined,
        { stream: this.stream, seq: streamSeq },
      );
    }
    const signal = Signal.from(record.signal, {
      extensions: this.#extensions,
      maxDepth: STORED_MAX_DEPTH,
    });
    this.#remember(streamSeq, signal);
    return signal;
  }

  /** Stream sequence of index record `seq` (kept in the index's location columns). */
  #streamSeq(seq: number): number {
    const { segment, offset } = this.#index.location(seq);
    return segment * TWO_32 + offset;
  }

  // ---------------------------------------------------------------- tail

  async #start(): Promise<void> {
    const info = await this.#ensureStream();
    const target = info.state.messages === 0 ? 0 : info.state.last_seq;
    this.#tail = await followStream(
      this.#link,
      this.stream,
      { startSeq: 1 },
      (message) => this.#apply(message),
      (error) => this.#failTail(describeCause(error)),
    );
    await this.#waitApplied(target);
  }

  /**
   * Create the stream when missing (with `storage`, `replicas`, `maxAge`); an existing one is
   * used as it is configured, but it must capture `<subject>.>`.
   */
  async #ensureStream(): Promise<StreamInfo> {
    const wildcard = `${this.subject}.>`;
    const { storage, replicas, maxAge } = this.options;
    // A max age under the default duplicate window (2 min) needs a shorter window.
    const config = streamConfig(this.stream, storage, replicas, {
      subjects: [wildcard],
      max_age: maxAge * 1_000_000,
    });
    const info = await ensureStream(this.#link, config, KEEP_EXISTING);
    const subjects = info.config.subjects ?? [];
    if (!subjects.includes(wildcard)) {
      throw new JournalIoError(
        `${this.#label} exists but does not capture "${wildcard}" (subjects: ${subjects.join(', ')})`,
        undefined,
        { stream: this.stream, subject: this.subject },
      );
    }
    return info;
  }

  /** Apply one stream message to the index (the tail delivers them in stream order). */
  #apply(message: JsMsg): void {
    const seq = message.seq;
    if (seq <= this.#applied) return;
    this.#tailFailure = undefined; // the follower recovered
    const record = message.subject.startsWith(`${this.subject}.`)
      ? parseRecord(message.data)
      : undefined;
    if (record === undefined) this.#skipped++;
    else {
      const recordedAt = Math.max(record.recordedAt, this.#lastRecordedAt);
      const added = this.#index.add(
        {
          id: record.id,
          time: record.time,
          recordedAt,
          causeId: record.causeId,
          conversationId: record.conversationId,
        },
        Math.floor(seq / TWO_32),
        seq % TWO_32,
        0,
      );
      if (added < 0) this.#skipped++;
      else this.#lastRecordedAt = recordedAt;
    }
    this.#applied = seq;
    this.#waiters.applied(seq);
  }

  /**
   * Resolve once the tail has applied stream sequence `seq`; rejects when it makes no progress
   * for `disconnectedWait + requestTimeout` ms.
   */
  #waitApplied(seq: number): Promise<void> {
    if (this.#applied >= seq) return Promise.resolve();
    if (this.#tailFailure !== undefined) return Promise.reject(this.#tailFailure);
    if (this.#closed && this.#tail === undefined)
      return Promise.reject(new JournalClosedError(NAME));
    return this.#waiters.wait(seq);
  }

  #failTail(cause: Error): void {
    this.#tailFailure = new JournalIoError(
      `${this.#label}: the stream tail stopped`,
      describeCause(cause),
      { stream: this.stream },
    );
    this.#waiters.rejectAll(this.#tailFailure);
  }

  /**
   * The stream's last sequence (0 when it holds no message), from a stream-info request sent
   * after this call: concurrent callers share one request, but never one already in flight.
   */
  #lastSeq(): Promise<number> {
    if (this.#syncQueued !== undefined) return this.#syncQueued;
    const request = (): Promise<number> => {
      const running = this.#link.jsm.streams
        .info(this.stream)
        .then((info) => (info.state.messages === 0 ? 0 : info.state.last_seq));
      this.#syncRunning = running;
      const done = (): void => {
        if (this.#syncRunning === running) this.#syncRunning = undefined;
      };
      running.then(done, done);
      return running;
    };
    if (this.#syncRunning === undefined) return request();
    const queued = this.#syncRunning.then(
      () => undefined,
      () => undefined,
    );
    this.#syncQueued = queued.then(() => {
      this.#syncQueued = undefined;
      return request();
    });
    return this.#syncQueued;
  }

  // ---------------------------------------------------------------- lifecycle and errors

  async #shutdown(): Promise<void> {
    this.#closed = true;
    this.#waiters.rejectAll(new JournalClosedError(NAME));
    const tail = this.#tail;
    this.#tail = undefined;
    if (tail !== undefined) await tail.stop().catch(() => undefined);
    this.#cache.clear();
    await this.#link.close();
  }

  async #ready(operation: string): Promise<void> {
    await this.#link.ready(this.#label, operation);
  }

  #assertOpen(): void {
    if (this.#closed) throw new JournalClosedError(NAME);
  }

  #isApiError(error: unknown, code?: number): error is JetStreamApiError {
    return isApiError(this.#link, error, code);
  }

  /** Map a client failure to a journal error (no credentials or server URLs in messages). */
  #wrap(error: unknown, operation: string): Error {
    if (error instanceof StoreUnavailableError) {
      if (this.#closed) return new JournalClosedError(NAME);
      const waited = error.details.waitedMs;
      return new JournalUnavailableError(
        this.#label,
        operation,
        `no connection within ${String(waited)} ms`,
        error,
      );
    }
    if (error instanceof JidoSignalError) return error;
    if (this.#closed) return new JournalClosedError(NAME);
    if (this.#isApiError(error)) {
      return new JournalIoError(
        `${this.#label}: ${operation} was refused by JetStream (${error.message})`,
        describeCause(error),
        { stream: this.stream, operation, apiCode: error.code },
      );
    }
    return new JournalUnavailableError(
      this.#label,
      operation,
      describeCause(error).message,
      describeCause(error),
    );
  }
}
