import type { Redis } from 'ioredis';
import { StoreError } from '../../errors/store.error.js';
import { stringifySignal } from '../../signal/serialization/json.serializer.js';
import { STORED_MAX_DEPTH } from '../../signal/safe-input.js';
import { Signal } from '../../signal/signal.js';
import { describeThrown } from '../../errors/jido-signal.error.js';
import type { DlqEntry, SnapshotRecord, SubscriptionState } from '../signal-store.interface.js';
import { decodeId, encodeId, type RedisKeys } from './keys.js';
import { DELETE_DLQ_SCRIPT, DLQ_SIZE_SCRIPT, PUT_DLQ_SCRIPT, runScript } from './scripts.js';

const STORE = 'RedisStore';

interface SnapshotMeta {
  readonly id: string;
  readonly pattern: string;
  readonly createdAt: number;
  readonly size: number;
}

interface StoredEntry {
  readonly logId: string;
  readonly recordedAt: number;
  readonly signal: unknown;
}

type StoredDlqEntry = Omit<DlqEntry, 'signal'> & { readonly signal: unknown };

/**
 * Subscription state, dead letters and snapshots of a {@link RedisStore} (see {@link RedisKeys}
 * for the layout). Callers check arguments and connection; this class only talks to Redis.
 * @internal
 */
export class RedisStateStore {
  constructor(
    private readonly client: () => Redis,
    private readonly keys: RedisKeys,
  ) {}

  // --- subscription state ----------------------------------------------------------------------

  async getSubscription(bus: string, id: string): Promise<SubscriptionState | undefined> {
    const json = await this.client().hget(this.keys.subscriptions(bus), id);
    return json === null ? undefined : parseJson<SubscriptionState>(json, 'subscription');
  }

  async putSubscription(bus: string, state: SubscriptionState): Promise<void> {
    await this.client().hset(
      this.keys.subscriptions(bus),
      state.subscriptionId,
      JSON.stringify(state),
    );
  }

  async deleteSubscription(bus: string, id: string): Promise<boolean> {
    return (await this.client().hdel(this.keys.subscriptions(bus), id)) > 0;
  }

  async listSubscriptions(bus: string): Promise<SubscriptionState[]> {
    const all = await this.client().hvals(this.keys.subscriptions(bus));
    return all.map((json) => parseJson<SubscriptionState>(json, 'subscription'));
  }

  // --- dead letters ----------------------------------------------------------------------------

  async putDlq(bus: string, entry: DlqEntry): Promise<void> {
    const k = this.keys;
    const sub = entry.subscriptionId;
    const body = stringifySignal({ ...entry, signal: entry.signal.toJSON() });
    await runScript(
      this.client(),
      PUT_DLQ_SCRIPT,
      [k.dlq(bus, sub), k.dlqData(bus, sub), k.dlqSeq(bus), k.dlqSubscriptions(bus)],
      [entry.id, body, encodeId(sub)],
    );
  }

  async listDlq(bus: string, sub: string, limit: number): Promise<DlqEntry[]> {
    const ids = await this.client().zrange(
      this.keys.dlq(bus, sub),
      0,
      Number.isFinite(limit) ? limit - 1 : -1,
    );
    if (ids.length === 0) return [];
    const bodies = await this.client().hmget(this.keys.dlqData(bus, sub), ...ids);
    const out: DlqEntry[] = [];
    for (const body of bodies) if (body !== null) out.push(decodeDlq(body));
    return out;
  }

  async deleteDlq(bus: string, sub: string, ids: readonly string[]): Promise<number> {
    return Number(
      await runScript(
        this.client(),
        DELETE_DLQ_SCRIPT,
        [this.keys.dlq(bus, sub), this.keys.dlqData(bus, sub)],
        ids,
      ),
    );
  }

  async clearDlq(bus: string, sub: string): Promise<number> {
    const k = this.keys;
    const results = await this.client()
      .multi()
      .zcard(k.dlq(bus, sub))
      .del(k.dlq(bus, sub), k.dlqData(bus, sub))
      .srem(k.dlqSubscriptions(bus), encodeId(sub))
      .exec();
    const first = results?.[0];
    if (first === undefined || first[0] !== null)
      throw first?.[0] ?? new Error('transaction aborted');
    return Number(first[1]);
  }

  async dlqSize(bus: string, sub: string | undefined): Promise<number> {
    if (sub !== undefined) return this.client().zcard(this.keys.dlq(bus, sub));
    return Number(
      await runScript(
        this.client(),
        DLQ_SIZE_SCRIPT,
        [this.keys.dlqSubscriptions(bus)],
        [`${this.keys.bus(bus)}dlq:`],
      ),
    );
  }

  /** Subscription ids that have dead letters (operators, the DLQ size of a bus). */
  async dlqSubscriptions(bus: string): Promise<string[]> {
    return (await this.client().smembers(this.keys.dlqSubscriptions(bus))).map(decodeId);
  }

  // --- snapshots -------------------------------------------------------------------------------

  async putSnapshot(bus: string, snapshot: SnapshotRecord): Promise<void> {
    const stored: StoredEntry[] = snapshot.entries.map((e) => ({
      logId: e.logId,
      recordedAt: e.recordedAt,
      signal: e.signal.toJSON(),
    }));
    const meta: SnapshotMeta = {
      id: snapshot.id,
      pattern: snapshot.pattern,
      createdAt: snapshot.createdAt,
      size: stored.length,
    };
    const results = await this.client()
      .multi()
      .set(this.keys.snapshot(bus, snapshot.id), stringifySignal(stored))
      .hset(this.keys.snapshots(bus), snapshot.id, JSON.stringify(meta))
      .exec();
    for (const [error] of results ?? []) if (error !== null) throw error;
  }

  async getSnapshot(bus: string, id: string): Promise<SnapshotRecord | undefined> {
    const [meta, body] = await Promise.all([
      this.client().hget(this.keys.snapshots(bus), id),
      this.client().get(this.keys.snapshot(bus, id)),
    ]);
    if (meta === null) return undefined;
    if (body === null) {
      throw new StoreError(`${STORE}: snapshot "${id}" of bus "${bus}" has no entries`, {
        details: { bus, snapshot: id },
      });
    }
    const m = parseJson<SnapshotMeta>(meta, 'snapshot metadata');
    const entries = parseJson<StoredEntry[]>(body, 'snapshot').map((e) =>
      Object.freeze({
        logId: e.logId,
        recordedAt: e.recordedAt,
        signal: decodeSignal(e.signal, { bus, snapshot: id }),
      }),
    );
    return Object.freeze({
      id: m.id,
      pattern: m.pattern,
      createdAt: m.createdAt,
      entries: Object.freeze(entries),
    });
  }

  async listSnapshots(
    bus: string,
  ): Promise<Array<Omit<SnapshotRecord, 'entries'> & { size: number }>> {
    const all = await this.client().hvals(this.keys.snapshots(bus));
    return all
      .map((json) => {
        const m = parseJson<SnapshotMeta>(json, 'snapshot metadata');
        return { id: m.id, pattern: m.pattern, createdAt: m.createdAt, size: m.size };
      })
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }

  async deleteSnapshot(bus: string, id: string): Promise<boolean> {
    const results = await this.client()
      .multi()
      .hdel(this.keys.snapshots(bus), id)
      .del(this.keys.snapshot(bus, id))
      .exec();
    const first = results?.[0];
    if (first === undefined || first[0] !== null)
      throw first?.[0] ?? new Error('transaction aborted');
    return Number(first[1]) > 0;
  }
}

/** Parse stored JSON. @throws StoreError when it is not JSON */
export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new StoreError(`${STORE}: a stored ${what} is not valid JSON`, {
      cause: cause instanceof Error ? new Error(cause.message) : undefined,
    });
  }
}

/** Decode a stored signal. @throws StoreError when it is not a signal */
export function decodeSignal(value: unknown, details: Record<string, unknown>): Signal {
  try {
    return Signal.from(value, { maxDepth: STORED_MAX_DEPTH });
  } catch (cause) {
    throw new StoreError(`${STORE}: a stored signal cannot be decoded: ${describeThrown(cause)}`, {
      details,
      cause,
    });
  }
}

function decodeDlq(body: string): DlqEntry {
  const stored = parseJson<StoredDlqEntry>(body, 'DLQ entry');
  return Object.freeze({
    ...stored,
    lastError: Object.freeze({ ...stored.lastError }),
    signal: decodeSignal(stored.signal, { dlqEntry: stored.id }),
  });
}
