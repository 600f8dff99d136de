import { SignalId } from '../../signal/signal-id.js';
import type { DlqEntry } from '../../store/signal-store.interface.js';
import type { PersistentHost, RedriveResult } from './engine.js';
import type { LastError } from './failure.js';
import type { ReportedDelivery } from './telemetry.js';

/** What a DLQ entry records of a delivery (both engines' deliveries have it). @internal */
export interface DeadLetteredDelivery extends ReportedDelivery {
  /** When the first attempt was handed over; 0 before it. */
  readonly firstAttemptAt: number;
  /** When the last attempt was handed over; 0 before it. */
  readonly lastAttemptAt: number;
}

/**
 * The DLQ entry (a new id) of `d`, dead-lettered at `now` after `attempts` attempts.
 * @internal
 */
export function dlqEntry(
  subscriptionId: string,
  d: DeadLetteredDelivery,
  attempts: number,
  lastError: LastError,
  now: number,
): DlqEntry {
  return {
    id: SignalId.generate(),
    subscriptionId,
    ...(d.logId === undefined ? {} : { logId: d.logId }),
    signal: d.signal,
    attempts,
    lastError,
    firstAttemptAt: d.firstAttemptAt === 0 ? now : d.firstAttemptAt,
    lastAttemptAt: d.lastAttemptAt === 0 ? now : d.lastAttemptAt,
    insertedAt: now,
  };
}

/**
 * The DLQ entries a subscription is redriving: an entry is taken once at a time and leaves
 * the DLQ when its redelivery is acked — unless it was redriven with `clearOnSuccess: false`.
 * @internal
 */
export class Redrives {
  readonly #redriving = new Set<string>();
  /** DLQ entries being redriven with `clearOnSuccess: false`: kept when acked. */
  readonly #keepOnAck = new Set<string>();

  /** Whether entry `dlqId` is being redriven. */
  has(dlqId: string): boolean {
    return this.#redriving.has(dlqId);
  }

  /** Entry `dlqId` is redriven now. */
  start(dlqId: string, clearOnSuccess: boolean): void {
    this.#redriving.add(dlqId);
    if (!clearOnSuccess) this.#keepOnAck.add(dlqId);
  }

  /** The redrive of `dlqId` ended without an ack (dead-lettered again, dropped, halted). */
  end(dlqId: string): void {
    this.#redriving.delete(dlqId);
    this.#keepOnAck.delete(dlqId);
  }

  /**
   * The redelivery of `dlqId` was acked.
   * @returns whether its entry is to be deleted (not redriven with `clearOnSuccess: false`)
   */
  acked(dlqId: string): boolean {
    this.#redriving.delete(dlqId);
    return !this.#keepOnAck.delete(dlqId);
  }

  /** The DLQ was cleared: entries being redriven no longer have an entry to delete. */
  clear(): void {
    this.#redriving.clear();
    this.#keepOnAck.clear();
  }
}

/**
 * The entries of `listed` whose id is in `ids`, oldest first, at most `limit` of them: what
 * `bus.dlq.redrive(subscriptionId, { ids })` sends back.
 * @internal
 */
export function selectDlqEntries(
  listed: readonly DlqEntry[],
  ids: ReadonlySet<string>,
  limit: number | undefined,
): DlqEntry[] {
  const out: DlqEntry[] = [];
  for (const entry of listed) {
    if (limit !== undefined && out.length >= limit) break;
    if (ids.has(entry.id)) out.push(entry);
  }
  return out;
}

/** What one `redrive` asks for. @internal */
export interface RedriveRequest {
  readonly limit: number | undefined;
  readonly clearOnSuccess: boolean;
  /** Only these DLQ entries (the listing is then not limited). */
  readonly ids: ReadonlySet<string> | undefined;
}

/**
 * List the DLQ entries of a redrive and hand each one not being redriven yet to `take`,
 * under the key its delivery is tracked with: its log id, or `dlq:<id>` when `tracked`
 * holds that log id already. Entries `full()` refuses stay in the DLQ (`failed`).
 * @internal
 */
export async function redriveEntries(
  host: PersistentHost,
  subscriptionId: string,
  redrives: Redrives,
  request: RedriveRequest,
  tracked: ReadonlyMap<string, unknown>,
  full: () => boolean,
  take: (entry: DlqEntry, key: string) => void,
): Promise<RedriveResult> {
  const { limit, ids } = request;
  const listed = await host.store.listDlq(
    host.bus,
    subscriptionId,
    limit === undefined || ids ? {} : { limit },
  );
  const entries = ids === undefined ? listed : selectDlqEntries(listed, ids, limit);
  let redriven = 0;
  let failed = 0;
  for (const entry of entries) {
    if (redrives.has(entry.id)) continue;
    if (full()) {
      failed++;
      continue;
    }
    const key =
      entry.logId !== undefined && !tracked.has(entry.logId) ? entry.logId : `dlq:${entry.id}`;
    redrives.start(entry.id, request.clearOnSuccess);
    redriven++;
    take(entry, key);
  }
  return { redriven, failed };
}
