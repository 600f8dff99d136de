import type { Redis } from 'ioredis';
import { StoreError } from '../../errors/store.error.js';
import { stringifySignal } from '../../signal/serialization/json.serializer.js';
import {
  snapshotRecordOf,
  storedEntriesOf,
  type StoredSnapshotEntry,
  type StoredSnapshotMeta,
} from '../shared/snapshot-record.js';
import type { SnapshotRecord } from '../signal-store.interface.js';
import type { RedisKeys } from './keys.js';
import { firstReply, parseJson } from './stored.js';

const STORE = 'RedisStore';

/**
 * Snapshots of a {@link RedisStore}: per bus a hash of snapshot metadata (JSON) and one string
 * key of entries per snapshot, written together in a `MULTI` (see {@link RedisKeys}). Callers
 * check arguments and connection; this class only talks to Redis.
 * @internal
 */
export class RedisSnapshots {
  constructor(
    private readonly client: () => Redis,
    private readonly keys: RedisKeys,
  ) {}

  async put(bus: string, snapshot: SnapshotRecord): Promise<void> {
    const stored = storedEntriesOf(snapshot);
    const meta: StoredSnapshotMeta = {
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

  async get(bus: string, id: string): Promise<SnapshotRecord | undefined> {
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
    const m = parseJson<StoredSnapshotMeta>(meta, 'snapshot metadata');
    const stored = parseJson<StoredSnapshotEntry[]>(body, 'snapshot');
    return snapshotRecordOf(STORE, bus, id, m, stored);
  }

  async list(bus: string): Promise<Array<Omit<SnapshotRecord, 'entries'> & { size: number }>> {
    const all = await this.client().hvals(this.keys.snapshots(bus));
    return all
      .map((json) => {
        const m = parseJson<StoredSnapshotMeta>(json, 'snapshot metadata');
        return { id: m.id, pattern: m.pattern, createdAt: m.createdAt, size: m.size };
      })
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }

  async delete(bus: string, id: string): Promise<boolean> {
    const results = await this.client()
      .multi()
      .hdel(this.keys.snapshots(bus), id)
      .del(this.keys.snapshot(bus, id))
      .exec();
    return Number(firstReply(results)) > 0;
  }
}
