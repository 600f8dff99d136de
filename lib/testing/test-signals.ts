import { SignalFactory, type SignalFactoryOptions } from '../core/signal/signal.js';
import { formatIdParts, type GeneratedId } from '../core/signal/signal-id.js';

/** Options of {@link sequentialIds}. */
export interface SequentialIdsOptions {
  /** Timestamp (ms since the epoch) of the first id. @default Date.UTC(2026, 0, 1) */
  start?: number;
  /** Milliseconds added for every id. @default 1 */
  stepMs?: number;
}

/**
 * A deterministic, strictly increasing UUIDv7 sequence for snapshot-style tests: the n-th
 * id encodes `start + n * stepMs` and has `n` in its tail, so ids and `time` are stable
 * from run to run.
 */
export function sequentialIds(options: SequentialIdsOptions = {}): () => GeneratedId {
  const start = options.start ?? Date.UTC(2026, 0, 1);
  const step = options.stepMs ?? 1;
  let n = 0;
  return () => {
    const timestamp = start + n * step;
    // `tttttttt-tttt-7000-8000-nnnnnnnnnnnn`, built as one flat string like the ids of
    // SignalFactory (a template literal leaves a rope that every map lookup flattens again).
    const id = formatIdParts(timestamp, 0, Math.floor(n / 0x100000000) & 0xffff, n >>> 0);
    n++;
    return { id, timestamp };
  };
}

/**
 * A {@link SignalFactory} with deterministic ids and times (see {@link sequentialIds}) and
 * the source `/test` unless given.
 */
export function createTestSignalFactory(
  options: SignalFactoryOptions & SequentialIdsOptions = {},
): SignalFactory {
  const { start, stepMs, ...factoryOptions } = options;
  return new SignalFactory({
    source: '/test',
    ids: sequentialIds({ start, stepMs }),
    ...factoryOptions,
  });
}
