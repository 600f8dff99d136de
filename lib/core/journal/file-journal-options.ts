// The options of a FileJournal resolved and checked: defaults filled in, each value validated
// with a typed error naming the option.
import { ValidationError } from '../errors/validation.error.js';
import { integerProblem } from '../util/integer.js';
import type { FileJournalOptions } from './file-journal.types.js';

/** The options a `FileJournal` runs with: every default filled in. */
export type ResolvedFileJournalOptions = Readonly<
  Required<Omit<FileJournalOptions, 'onRecovery' | 'extensions'>>
>;

/** Largest `segmentMaxBytes`: offsets within a segment are 32-bit. */
const MAX_SEGMENT_BYTES = 2 ** 31;

function positiveInt(
  name: string,
  value: number | undefined,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = value ?? fallback;
  const problem = integerProblem(v, 1, max);
  if (problem !== undefined) {
    throw new ValidationError('invalid_attribute', name, `FileJournal option ${name} ${problem}`);
  }
  return v;
}

/**
 * Fill in the defaults of `options` and check them.
 * @throws ValidationError for an invalid option
 * @internal
 */
export function resolveFileJournalOptions(options: FileJournalOptions): ResolvedFileJournalOptions {
  const durability = options.durability ?? 'fsync';
  if (durability !== 'fsync' && durability !== 'relaxed') {
    throw new ValidationError(
      'invalid_attribute',
      'durability',
      `FileJournal option durability must be 'fsync' or 'relaxed', got ${String(durability)}`,
    );
  }
  return {
    durability,
    maxBatchRecords: positiveInt('maxBatchRecords', options.maxBatchRecords, 1000),
    maxBatchBytes: positiveInt('maxBatchBytes', options.maxBatchBytes, 1024 * 1024),
    flushIntervalMs: positiveInt('flushIntervalMs', options.flushIntervalMs, 10),
    segmentMaxBytes: positiveInt(
      'segmentMaxBytes',
      options.segmentMaxBytes,
      64 * 1024 * 1024,
      MAX_SEGMENT_BYTES,
    ),
    indexInterval: positiveInt('indexInterval', options.indexInterval, 256),
    maxPendingBytes: positiveInt('maxPendingBytes', options.maxPendingBytes, 64 * 1024 * 1024),
    readOnly: options.readOnly ?? false,
  };
}
