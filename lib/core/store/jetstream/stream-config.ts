import type { StreamConfig } from '@nats-io/jetstream';

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
