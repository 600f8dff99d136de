import { StoreClosedError } from '../errors/store.error.js';
import { ValidationError } from '../errors/validation.error.js';
import { matches, validatePattern } from '../router/pattern.js';
import type { Signal } from '../signal/signal.js';
import { nextLogIdParts, parseIdParts, SignalId, type IdParts } from '../signal/signal-id.js';
import { LogRing } from './log-ring.js';
import type {
  DlqEntry,
  LogQuery,
  RecordedSignal,
  SignalStore,
  SnapshotRecord,
  SubscriptionState,
  TrimOptions,
} from './signal-store.interface.js';

interface BusData {
  log: LogRing;
  subscriptions: Map<string, SubscriptionState>;
  dlq: Map<string, DlqEntry[]>;
  snapshots: Map<string, SnapshotRecord>;
}

function copyState(state: SubscriptionState): SubscriptionState {
  return Object.freeze({
    ...state,
    options: JSON.parse(JSON.stringify(state.options)) as Record<string, unknown>,
    acked: Object.freeze([...state.acked]),
    attempts: Object.freeze({ ...state.attempts }),
  });
}

function assertLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new ValidationError(
      'invalid_attribute',
      'limit',
      `limit must be a non-negative integer, got ${limit}`,
    );
  }
}

/**
 * The embedded default store: everything in process memory, nothing survives a restart.
 * Reads are binary searches over the append-ordered log.
 */
export class MemoryStore implements SignalStore {
  private readonly buses = new Map<string, BusData>();
  private readonly parts: IdParts = { ms: 0, seq: 0, hi: 0, lo: 0 };
  private closed = false;
  private lastName: string | undefined;
  private lastData: BusData | undefined;

  private bus(name: string): BusData {
    if (this.closed) throw new StoreClosedError('MemoryStore');
    // Most stores serve one bus: the last one is kept at hand (a map lookup per publish less).
    if (name === this.lastName) return this.lastData!;
    let data = this.buses.get(name);
    if (data === undefined) {
      data = {
        log: new LogRing(),
        subscriptions: new Map(),
        dlq: new Map(),
        snapshots: new Map(),
      };
      this.buses.set(name, data);
    }
    this.lastName = name;
    this.lastData = data;
    return data;
  }

  /** Log-id parts of a cursor id. @throws ValidationError (`invalid_id`) for a malformed id */
  private static cursor(id: string): IdParts {
    if (!SignalId.isValid(id)) {
      throw new ValidationError(
        'invalid_id',
        'afterLogId',
        `"${String(id)}" is not a log id (UUIDv7)`,
      );
    }
    return parseIdParts(id, { ms: 0, seq: 0, hi: 0, lo: 0 });
  }

  /** Smallest id parts of a millisecond (every entry recorded at or after it compares ≥). */
  private static at(ms: number): IdParts {
    return { ms: Math.max(0, Math.floor(ms)), seq: 0, hi: 0, lo: 0 };
  }

  append(bus: string, signals: readonly Signal[]): Promise<RecordedSignal[]> {
    try {
      return Promise.resolve(this.appendSync(bus, signals));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  appendSync(bus: string, signals: readonly Signal[]): RecordedSignal[] {
    // The hot path of every publish: the log keeps no per-entry object (see LogRing); only
    // the returned entries are allocated, and they die young unless the caller keeps them.
    const log = this.bus(bus).log;
    const parts = this.parts;
    const out = new Array<RecordedSignal>(signals.length);
    for (let i = 0; i < signals.length; i++) {
      nextLogIdParts(parts);
      const signal = signals[i];
      out[i] = { logId: log.push(parts, signal), recordedAt: parts.ms, signal };
    }
    return out;
  }

  read(bus: string, query: LogQuery = {}): Promise<RecordedSignal[]> {
    return this.sync(() => {
      assertLimit(query.limit);
      if (query.pattern !== undefined) validatePattern(query.pattern);
      const log = this.bus(bus).log;
      let from = 0;
      if (query.afterLogId !== undefined)
        from = log.search(MemoryStore.cursor(query.afterLogId), false);
      if (query.since !== undefined)
        from = Math.max(from, log.search(MemoryStore.at(query.since), true));
      const limit = query.limit ?? Infinity;
      const out: RecordedSignal[] = [];
      for (let i = from; i < log.size && out.length < limit; i++) {
        if (query.until !== undefined && log.recordedAt(i) > query.until) break;
        const signal = log.signal(i);
        if (query.pattern !== undefined && !matches(signal.type, query.pattern)) continue;
        if (
          query.correlationId !== undefined &&
          signal.extensions.correlationid !== query.correlationId
        )
          continue;
        out.push(log.entry(i));
      }
      return out;
    });
  }

  trim(bus: string, options: TrimOptions): Promise<number> {
    return this.sync(() => this.trimSync(bus, options));
  }

  trimSync(bus: string, options: TrimOptions): number {
    const log = this.bus(bus).log;
    let drop = 0;
    if (options.olderThan !== undefined) drop = log.search(MemoryStore.at(options.olderThan), true);
    if (options.maxSize !== undefined) {
      assertLimit(options.maxSize);
      drop = Math.max(drop, log.size - options.maxSize);
    }
    log.dropOldest(drop);
    return drop;
  }

  size(bus: string): Promise<number> {
    return this.sync(() => {
      return this.bus(bus).log.size;
    });
  }

  getSubscription(bus: string, subscriptionId: string): Promise<SubscriptionState | undefined> {
    return this.sync(() => this.bus(bus).subscriptions.get(subscriptionId));
  }

  putSubscription(bus: string, state: SubscriptionState): Promise<void> {
    return this.sync(() => {
      this.bus(bus).subscriptions.set(state.subscriptionId, copyState(state));
    });
  }

  deleteSubscription(bus: string, subscriptionId: string): Promise<boolean> {
    return this.sync(() => this.bus(bus).subscriptions.delete(subscriptionId));
  }

  listSubscriptions(bus: string): Promise<SubscriptionState[]> {
    return this.sync(() => [...this.bus(bus).subscriptions.values()]);
  }

  putDlq(bus: string, entry: DlqEntry): Promise<void> {
    return this.sync(() => {
      const dlq = this.bus(bus).dlq;
      let list = dlq.get(entry.subscriptionId);
      if (list === undefined) dlq.set(entry.subscriptionId, (list = []));
      list.push(Object.freeze({ ...entry, lastError: Object.freeze({ ...entry.lastError }) }));
    });
  }

  listDlq(
    bus: string,
    subscriptionId: string,
    options: { limit?: number } = {},
  ): Promise<DlqEntry[]> {
    return this.sync(() => {
      assertLimit(options.limit);
      const list = this.bus(bus).dlq.get(subscriptionId) ?? [];
      return list.slice(0, options.limit ?? list.length);
    });
  }

  deleteDlq(bus: string, subscriptionId: string, ids: readonly string[]): Promise<number> {
    return this.sync(() => {
      const dlq = this.bus(bus).dlq;
      const list = dlq.get(subscriptionId);
      if (list === undefined) return 0;
      // Fast path for a bounded DLQ dropping its oldest entry (one per dead letter).
      if (ids.length === 1 && list.length > 0 && list[0].id === ids[0]) {
        list.shift();
        return 1;
      }
      const drop = new Set(ids);
      const kept = list.filter((e) => !drop.has(e.id));
      dlq.set(subscriptionId, kept);
      return list.length - kept.length;
    });
  }

  clearDlq(bus: string, subscriptionId: string): Promise<number> {
    return this.sync(() => {
      const dlq = this.bus(bus).dlq;
      const n = dlq.get(subscriptionId)?.length ?? 0;
      dlq.delete(subscriptionId);
      return n;
    });
  }

  dlqSize(bus: string, subscriptionId?: string): Promise<number> {
    return this.sync(() => {
      const dlq = this.bus(bus).dlq;
      if (subscriptionId !== undefined) return dlq.get(subscriptionId)?.length ?? 0;
      let n = 0;
      for (const list of dlq.values()) n += list.length;
      return n;
    });
  }

  putSnapshot(bus: string, snapshot: SnapshotRecord): Promise<void> {
    return this.sync(() => {
      this.bus(bus).snapshots.set(
        snapshot.id,
        // Log entries are shared with the live log unfrozen (publish hot path); a snapshot
        // holds frozen copies so it can never change.
        Object.freeze({
          ...snapshot,
          entries: Object.freeze(snapshot.entries.map((e) => Object.freeze({ ...e }))),
        }),
      );
    });
  }

  getSnapshot(bus: string, id: string): Promise<SnapshotRecord | undefined> {
    return this.sync(() => this.bus(bus).snapshots.get(id));
  }

  listSnapshots(bus: string): Promise<Array<Omit<SnapshotRecord, 'entries'> & { size: number }>> {
    return this.sync(() =>
      [...this.bus(bus).snapshots.values()]
        .map(({ entries, ...ref }) => ({ ...ref, size: entries.length }))
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)),
    );
  }

  deleteSnapshot(bus: string, id: string): Promise<boolean> {
    return this.sync(() => this.bus(bus).snapshots.delete(id));
  }

  ping(): Promise<void> {
    return this.closed ? Promise.reject(new StoreClosedError('MemoryStore')) : Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    this.buses.clear();
    this.lastName = this.lastData = undefined;
    return Promise.resolve();
  }

  // Runs a synchronous operation so that its errors become rejections, as a remote store's would.
  private sync<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
