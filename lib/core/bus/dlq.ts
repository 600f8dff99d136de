import { BusOptionError } from '../errors/bus.error.js';
import type { DlqEntry, SignalStore } from '../store/signal-store.interface.js';
import type { PersistentEngine, RedriveResult } from './persistent/engine.js';

/** Options of {@link BusDlq.list}. */
export interface DlqListOptions {
  /** At most this many entries, oldest first. @default undefined (all) */
  limit?: number;
}

/** Options of {@link BusDlq.redrive}. */
export interface DlqRedriveOptions {
  /** Redrive at most this many entries, oldest first. @default undefined (all) */
  limit?: number;
  /**
   * Delete an entry once its redelivery is acked. With `false` the entry stays in the DLQ
   * (for an audit trail, or to redrive it to another consumer later) and may be redriven
   * again; an entry whose redelivery fails is still replaced by a new one.
   * @default true
   */
  clearOnSuccess?: boolean;
  /**
   * Only the DLQ entries with these ids (`DlqEntry.id`); ids not in the DLQ are ignored.
   * @default undefined (the oldest entries, up to `limit`)
   */
  ids?: readonly string[];
}

/**
 * The dead-letter queues of a bus's persistent subscriptions (`bus.dlq`). Entries live in
 * the bus's store, so they survive restarts with a durable store.
 */
export class BusDlq {
  /** @internal — created by `SignalBus`. */
  constructor(
    readonly bus: string,
    private readonly store: SignalStore,
    private readonly ensureOpen: (operation: string) => void,
    private readonly lookup: (
      subscriptionId: string,
      /** `undefined`: look up softly (no error when missing or not persistent). */
      operation: string | undefined,
    ) => PersistentEngine | undefined,
  ) {}

  /**
   * Dead-lettered signals of a subscription (active or not), oldest first, with attempts,
   * last error and timestamps.
   * @throws (rejects with) BusClosedError, a `ValidationError` for a bad `limit`
   */
  async list(subscriptionId: string, options: DlqListOptions = {}): Promise<DlqEntry[]> {
    this.ensureOpen('list the DLQ');
    return this.store.listDlq(this.bus, subscriptionId, options);
  }

  /**
   * Send DLQ entries back through their (active, persistent) subscription as fresh
   * deliveries — attempts start over, flow control applies. An entry leaves the DLQ once
   * its redelivery is acked (unless `clearOnSuccess: false`); if it fails `maxAttempts`
   * times again it is replaced by a new entry. Entries that do not fit (subscription full)
   * stay and count as `failed`.
   * @throws (rejects with) SubscriptionNotFoundError, SubscriptionNotPersistentError,
   *   BusOptionError for a `clearOnSuccess` that is not a boolean, BusClosedError
   */
  async redrive(subscriptionId: string, options: DlqRedriveOptions = {}): Promise<RedriveResult> {
    this.ensureOpen('redrive the DLQ');
    const clearOnSuccess = options.clearOnSuccess ?? true;
    if (typeof clearOnSuccess !== 'boolean') {
      throw new BusOptionError(
        this.bus,
        'clearOnSuccess',
        `dlq.redrive option "clearOnSuccess" must be a boolean, got ${typeof clearOnSuccess}`,
      );
    }
    const sub = this.lookup(subscriptionId, 'redrive the DLQ')!;
    return sub.redrive(options.limit, clearOnSuccess, dlqIds(this.bus, options.ids));
  }

  /**
   * Delete some DLQ entries of a subscription (active or not) by id; resolves to how many
   * were removed (ids not in the DLQ are ignored).
   * @throws (rejects with) BusClosedError, BusOptionError when `ids` is not an array of strings
   */
  async delete(subscriptionId: string, ids: readonly string[]): Promise<number> {
    this.ensureOpen('delete DLQ entries');
    const wanted = dlqIds(this.bus, ids);
    if (wanted === undefined || wanted.size === 0) return 0;
    return this.store.deleteDlq(this.bus, subscriptionId, [...wanted]);
  }

  /**
   * Delete every DLQ entry of a subscription (active or not); resolves to how many.
   * @throws (rejects with) BusClosedError
   */
  async clear(subscriptionId: string): Promise<number> {
    this.ensureOpen('clear the DLQ');
    const removed = await this.store.clearDlq(this.bus, subscriptionId);
    this.lookup(subscriptionId, undefined)?.forgetRedrives();
    return removed;
  }

  /** Number of DLQ entries of one subscription, or of the whole bus. */
  async size(subscriptionId?: string): Promise<number> {
    this.ensureOpen('read the DLQ size');
    return this.store.dlqSize(this.bus, subscriptionId);
  }
}

function dlqIds(bus: string, ids: unknown): ReadonlySet<string> | undefined {
  if (ids === undefined) return undefined;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
    throw new BusOptionError(bus, 'ids', 'DLQ "ids" must be an array of entry id strings');
  }
  return new Set(ids as string[]);
}
