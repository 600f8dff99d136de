/**
 * The streams the library creates (the store's, the journal's): their common configuration,
 * the server's rules it must respect, and creating one or adopting one that exists already.
 * @module
 */
import type { StreamConfig, StreamInfo } from '@nats-io/jetstream';
import type { NatsLink } from './connection.js';

/** The server's default `duplicate_window`: 2 minutes, in ns. */
const DEFAULT_DUPLICATE_WINDOW = 120 * 1e9;

/**
 * The server refuses a `duplicate_window` longer than `max_age` ("duplicates window can not be
 * larger then max age"): lower it to `max_age` when a max age is set.
 * @internal
 */
export function fitDuplicateWindow<T extends Partial<StreamConfig>>(config: T): T {
  const age = config.max_age ?? 0;
  if (age > 0 && (config.duplicate_window ?? DEFAULT_DUPLICATE_WINDOW) > age) {
    return { ...config, duplicate_window: age };
  }
  return config;
}

/** One setting of an existing stream that differs from what the store would create. */
export interface StreamConfigMismatch {
  /** The stream config field (`num_replicas`, `max_msgs`, …). */
  readonly field: string;
  /** What the server has. */
  readonly server: unknown;
  /** What the store asked for. */
  readonly requested: unknown;
}

/**
 * The fields of `wanted` (only those listed) whose value differs on the server.
 * @internal
 */
export function configMismatches(
  server: StreamConfig,
  wanted: Partial<StreamConfig>,
  fields: readonly (keyof StreamConfig)[],
): StreamConfigMismatch[] {
  const out: StreamConfigMismatch[] = [];
  for (const field of fields) {
    const requested = wanted[field];
    if (requested === undefined) continue;
    const current = server[field] ?? defaultOf(field);
    if (current !== requested) out.push({ field, server: current, requested });
  }
  return out;
}

function defaultOf(field: keyof StreamConfig): unknown {
  switch (field) {
    case 'max_msgs':
    case 'max_bytes':
    case 'max_msgs_per_subject':
      return -1;
    case 'max_age':
      return 0;
    case 'num_replicas':
      return 1;
    default:
      return undefined;
  }
}

/** `a=1 (requested 2), …` for messages. @internal */
export function describeMismatches(mismatches: readonly StreamConfigMismatch[]): string {
  return mismatches
    .map((m) => `${m.field}=${String(m.server)} (requested ${String(m.requested)})`)
    .join(', ');
}

/**
 * The configuration of a stream the library creates: `limits` retention discarding the
 * oldest messages, the given storage and replicas, then `config` (subjects, limits, …), with
 * the duplicate window fitted to a max age.
 * @internal
 */
export function streamConfig(
  name: string,
  storage: 'file' | 'memory',
  replicas: number,
  config: Partial<StreamConfig>,
): Partial<StreamConfig> & { name: string } {
  return fitDuplicateWindow({
    name,
    storage,
    num_replicas: replicas,
    retention: 'limits',
    discard: 'old',
    ...config,
  });
}

/** What {@link ensureStream} does with a stream that exists already. @internal */
export interface ExistingStreamPolicy {
  /** Settings compared with the requested configuration; others are never looked at. */
  readonly compare: readonly (keyof StreamConfig)[];
  /** Change the compared settings that differ to the requested values. */
  readonly update: boolean;
  /** Hears the differing settings of a stream that is kept as the server has it. */
  readonly onMismatch: (mismatches: StreamConfigMismatch[]) => void;
}

/** Use an existing stream as it is, comparing nothing. @internal */
export const KEEP_EXISTING: ExistingStreamPolicy = {
  compare: [],
  update: false,
  onMismatch: () => undefined,
};

/**
 * Create the stream `config.name`, or adopt it when it exists already (created by another
 * instance, an operator, an older version): then the `policy.compare` settings that differ
 * are changed when `policy.update` is set, otherwise reported to `policy.onMismatch` and
 * kept. Storage never changes.
 * @returns the stream's info (as it was before an update)
 * @throws the creation failure when the stream does not exist afterwards either
 * @internal
 */
export async function ensureStream(
  link: NatsLink,
  config: Partial<StreamConfig> & { name: string },
  policy: ExistingStreamPolicy,
): Promise<StreamInfo> {
  const jsm = link.jsm;
  let info: StreamInfo;
  try {
    return await jsm.streams.add(config);
  } catch (error) {
    // The server refuses to create a stream whose name is taken by another configuration;
    // a concurrent creation may also have won. Either way it exists now, or the creation
    // failure stands.
    try {
      info = await jsm.streams.info(config.name);
    } catch {
      throw error;
    }
  }
  const mismatches = configMismatches(info.config, config, policy.compare);
  if (mismatches.length === 0) return info;
  if (!policy.update) {
    policy.onMismatch(mismatches);
    return info;
  }
  const update: Partial<StreamConfig> = { ...info.config };
  for (const m of mismatches) {
    (update as Record<string, unknown>)[m.field] = m.requested;
  }
  await jsm.streams.update(config.name, fitDuplicateWindow(update));
  return info;
}
