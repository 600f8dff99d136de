/**
 * The JetStream journal's options: what they mean, their defaults, and their check (the
 * connection options with the other NATS clients', {@link natsOptionProblem}).
 * @module
 */
import { ValidationError } from '../errors/validation.error.js';
import type { NatsConnectionOptions } from '../nats/connection.js';
import { natsOptionProblem } from '../nats/server-options.js';
import type { ExtensionRegistry } from '../signal/extensions.js';
import { integerProblem } from '../util/integer.js';

const STREAM_NAME_RE = /^[^\s.*>/\\]{1,255}$/;
const SUBJECT_RE = /^[^\s.*>]+(\.[^\s.*>]+)*$/;

/**
 * How reads relate to writes made through other `JetStreamJournal` instances on the same
 * stream:
 *
 * - `'strong'`: every read first asks the server for the stream's last sequence and waits
 *   until the local index has applied it, so a read sees everything any instance had stored
 *   (acknowledged) before the read started — one JetStream API round trip per read
 *   (concurrent reads share it);
 * - `'local'`: reads answer from the local index as the live tail has it (usually a few ms
 *   behind other instances); this instance's own writes are always visible.
 */
export type JetStreamJournalReadConsistency = 'strong' | 'local';

/** Options of {@link JetStreamJournal.open}. */
export interface JetStreamJournalOptions extends NatsConnectionOptions {
  /**
   * JetStream stream holding the journal. Created when missing (with `storage`, `replicas`,
   * `maxAge`); an existing stream is used as it is configured, it must capture
   * `<subject>.>`. Every instance that opens the same stream shares one journal.
   * @default 'JIDO_JOURNAL'
   */
  stream?: string;
  /**
   * Subject prefix: the entry of signal `id` is stored on `<subject>.<token>`, where `token`
   * is the id with every character outside `[A-Za-z0-9-]` escaped as `_XX` (UTF-8 bytes in
   * hex); ids whose token would be longer than 128 characters use `_H` + their SHA-256.
   * @default 'jido.journal'
   */
  subject?: string;
  /** Storage of a stream this journal creates. @default 'file' */
  storage?: 'file' | 'memory';
  /** Replicas of a stream this journal creates (1–5; more than 1 needs a cluster). @default 1 */
  replicas?: number;
  /**
   * Maximum age of entries in a stream this journal creates, in ms; older entries are
   * removed by the server. `0` keeps entries forever.
   * @default 0 (unlimited)
   */
  maxAge?: number;
  /** See {@link JetStreamJournalReadConsistency}. @default 'strong' */
  readConsistency?: JetStreamJournalReadConsistency;
  /**
   * Decoded signals kept in memory (least recently used first out), so repeated reads and
   * reads of this instance's own recent writes need no server round trip. `0` disables it.
   * @default 1024
   */
  cacheSize?: number;
  /** Extensions stored signals are parsed with. @default the default signal factory's */
  extensions?: ExtensionRegistry;
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError('invalid_attribute', field, `JetStreamJournal option ${message}`);
}

function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  const problem = integerProblem(v, 0, Number.MAX_SAFE_INTEGER);
  if (problem !== undefined) throw invalid(name, `${name} ${problem}`);
  return v;
}

/** The journal options in effect, see {@link JetStreamJournal.options}. */
export interface ResolvedJetStreamJournalOptions {
  /** See {@link JetStreamJournalOptions.stream}. */
  readonly stream: string;
  /** See {@link JetStreamJournalOptions.subject}. */
  readonly subject: string;
  /** See {@link JetStreamJournalOptions.storage} (what a created stream gets). */
  readonly storage: 'file' | 'memory';
  /** See {@link JetStreamJournalOptions.replicas} (what a created stream gets). */
  readonly replicas: number;
  /** See {@link JetStreamJournalOptions.maxAge} (what a created stream gets; `0`: unlimited). */
  readonly maxAge: number;
  /** See {@link JetStreamJournalOptions.readConsistency}. */
  readonly readConsistency: JetStreamJournalReadConsistency;
  /** See {@link JetStreamJournalOptions.cacheSize}. */
  readonly cacheSize: number;
}

/**
 * Check every option and apply the defaults.
 * @throws ValidationError (`invalid_attribute`) naming the first bad option
 * @internal
 */
export function resolveJournalOptions(
  options: JetStreamJournalOptions,
): ResolvedJetStreamJournalOptions {
  const stream = options.stream ?? 'JIDO_JOURNAL';
  if (typeof stream !== 'string' || !STREAM_NAME_RE.test(stream)) {
    throw invalid(
      'stream',
      `stream must be a JetStream stream name (no whitespace, '.', '*', '>', '/', '\\'), got ${JSON.stringify(stream)}`,
    );
  }
  const subject = options.subject ?? 'jido.journal';
  if (typeof subject !== 'string' || !SUBJECT_RE.test(subject)) {
    throw invalid(
      'subject',
      `subject must be a NATS subject without wildcards or empty tokens, got ${JSON.stringify(subject)}`,
    );
  }
  const storage = options.storage ?? 'file';
  if (storage !== 'file' && storage !== 'memory') {
    throw invalid('storage', `storage must be 'file' or 'memory', got ${String(storage)}`);
  }
  const replicas = options.replicas ?? 1;
  const replicasProblem = integerProblem(replicas, 1, 5);
  if (replicasProblem !== undefined) throw invalid('replicas', `replicas ${replicasProblem}`);
  const maxAge = nonNegativeInt('maxAge', options.maxAge, 0);
  const readConsistency = options.readConsistency ?? 'strong';
  if (readConsistency !== 'strong' && readConsistency !== 'local') {
    throw invalid(
      'readConsistency',
      `readConsistency must be 'strong' or 'local', got ${String(readConsistency)}`,
    );
  }
  const cacheSize = nonNegativeInt('cacheSize', options.cacheSize, 1024);
  const natsProblem = natsOptionProblem(options);
  if (natsProblem !== undefined) {
    throw invalid(natsProblem.field, `${natsProblem.field} ${natsProblem.reason}`);
  }
  return { stream, subject, storage, replicas, maxAge, readConsistency, cacheSize };
}
