import type { Redis } from 'ioredis';
import { decodeId, encodeId } from '../../redis/keys.js';
import { runScript } from '../../redis/scripts.js';
import { stringifySignal } from '../../signal/serialization/json.serializer.js';
import type { DlqEntry } from '../signal-store.interface.js';
import type { RedisKeys } from './keys.js';
import { DELETE_DLQ_SCRIPT, DLQ_SIZE_SCRIPT, PUT_DLQ_SCRIPT } from './scripts.js';
import { decodeSignal, firstReply, parseJson } from './stored.js';

type StoredDlqEntry = Omit<DlqEntry, 'signal'> & { readonly signal: unknown };

/**
 * Dead letters of a {@link RedisStore}: per subscription a zset of entry ids in insertion
 * order and a hash of the entries (JSON), plus the bus's insertion counter and the set of
 * subscriptions that have dead letters (see {@link RedisKeys}). Callers check arguments and
 * connection; this class only talks to Redis.
 * @internal
 */
export class RedisDlq {
  constructor(
    private readonly client: () => Redis,
    private readonly keys: RedisKeys,
  ) {}

  async put(bus: string, entry: DlqEntry): Promise<void> {
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

  async list(bus: string, sub: string, limit: number): Promise<DlqEntry[]> {
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

  async delete(bus: string, sub: string, ids: readonly string[]): Promise<number> {
    return Number(
      await runScript(
        this.client(),
        DELETE_DLQ_SCRIPT,
        [this.keys.dlq(bus, sub), this.keys.dlqData(bus, sub)],
        ids,
      ),
    );
  }

  async clear(bus: string, sub: string): Promise<number> {
    const k = this.keys;
    const results = await this.client()
      .multi()
      .zcard(k.dlq(bus, sub))
      .del(k.dlq(bus, sub), k.dlqData(bus, sub))
      .srem(k.dlqSubscriptions(bus), encodeId(sub))
      .exec();
    return Number(firstReply(results));
  }

  async size(bus: string, sub: string | undefined): Promise<number> {
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
  async subscriptions(bus: string): Promise<string[]> {
    return (await this.client().smembers(this.keys.dlqSubscriptions(bus))).map(decodeId);
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
