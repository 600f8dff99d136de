import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createSignal } from '../../../lib/core/signal/signal.js';
import { SignalId } from '../../../lib/core/signal/signal-id.js';
import type {
  DurableConsumerSpec,
  DurableMessage,
} from '../../../lib/core/store/distributed-store.interface.js';
import { logIdOf, streamIdOf } from '../../../lib/core/store/redis/keys.js';
import { RedisStore } from '../../../lib/core/store/redis/redis.store.js';
import { describeSignalStoreConformance } from '../../../lib/testing/store-conformance.js';
import { rejection } from '../../helpers/errors.js';
import {
  deleteRedisKeys,
  REDIS_URL,
  redisTestPrefix,
  startRedisServer,
  stopRedisServer,
} from '../../helpers/redis.js';

const prefix = redisTestPrefix('store');
const stores: RedisStore[] = [];
const raw = new Redis(REDIS_URL);

async function open(
  extra: Partial<Parameters<typeof RedisStore.connect>[0]> = {},
): Promise<RedisStore> {
  const store = await RedisStore.connect({ url: REDIS_URL, prefix, ...extra });
  stores.push(store);
  return store;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let busSeq = 0;
const newBus = () => `b${busSeq++}`;

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await deleteRedisKeys(prefix);
  raw.disconnect();
}, 30_000);

describeSignalStoreConformance('RedisStore', () => open(), { timeout: 20_000 });

describe('RedisStore', () => {
  let store: RedisStore;
  beforeAll(async () => {
    store = await open();
  });

  describe('options and arguments', () => {
    it('rejects bad options with invalid_option before connecting', async () => {
      for (const bad of [
        { prefix: 'a{b' },
        { prefix: '' },
        { maxMessages: 0 },
        { maxAge: 0 },
        { pollInterval: 1 },
        { requestTimeout: 0 },
        { url: 'http://127.0.0.1:6379' },
        { checkEvictionPolicy: 'yes' as unknown as boolean },
      ]) {
        const error = await rejection(RedisStore.connect({ url: REDIS_URL, ...bad }));
        expect(error.code).toBe('invalid_option');
      }
    });

    it('rejects bus names that cannot be a hash tag, and bad cursors', async () => {
      for (const bus of ['a.b', 'a b', '', 'a{', 'x'.repeat(200)]) {
        expect((await rejection(store.append(bus, [createSignal('a')]))).code).toBe(
          'invalid_bus_name',
        );
      }
      const bus = newBus();
      expect((await rejection(store.read(bus, { afterLogId: 'nope' }))).code).toBe('invalid_id');
      expect((await rejection(store.trim(bus, { maxSize: -1 }))).code).toBe('invalid_attribute');
      expect((await rejection(store.listDlq(bus, 's', { limit: -2 }))).code).toBe(
        'invalid_attribute',
      );
    });

    it('maps stream ids to log ids and back, in order', () => {
      const ids = ['0-1', '1-0', '1700000000000-0', '1700000000000-5', '1700000000001-0'];
      const logIds = ids.map(logIdOf);
      for (let i = 0; i < ids.length; i++) {
        expect(SignalId.isValid(logIds[i])).toBe(true);
        expect(streamIdOf(logIds[i])).toBe(ids[i]);
        if (i > 0) expect(logIds[i] > logIds[i - 1]).toBe(true);
      }
    });
  });

  describe('log', () => {
    it('keys every bus under its hash tag and records the server time as recordedAt', async () => {
      const bus = newBus();
      const recorded = await store.append(bus, [createSignal('a', 1), createSignal('b', 2)]);
      expect(store.logKey(bus)).toBe(`${prefix}:{${bus}}:log`);
      const entries = (await raw.xrange(store.logKey(bus), '-', '+')) as Array<[string, string[]]>;
      expect(entries.map(([id]) => logIdOf(id))).toEqual(recorded.map((r) => r.logId));
      for (const e of recorded) expect(SignalId.timestamp(e.logId)).toBe(e.recordedAt);
      const all = await store.read(bus);
      expect(all.map((e) => [e.logId, e.recordedAt])).toEqual(
        recorded.map((e) => [e.logId, e.recordedAt]),
      );
    });

    it('keeps order and strictly increasing ids over a large batch (one MULTI)', async () => {
      const bus = newBus();
      const recorded = await store.append(
        bus,
        Array.from({ length: 2_000 }, (_, i) => createSignal('bulk', i)),
      );
      for (let i = 1; i < recorded.length; i++) {
        expect(recorded[i].logId > recorded[i - 1].logId).toBe(true);
      }
      const read = await store.read(bus);
      expect(read.map((e) => e.signal.data)).toEqual(recorded.map((e) => e.signal.data));
      const page = await store.read(bus, { afterLogId: recorded[1_500].logId, pattern: 'bulk' });
      expect(page.length).toBe(499);
    });

    it('applies maxMessages itself and never trims entries a consumer group has not acked', async () => {
      const errors: string[] = [];
      const s = await open({ maxMessages: 5, onError: (e) => errors.push(e.message) });
      const bus = newBus();
      const held = await s.openConsumer(bus, spec('holder', { pattern: 'none' }), () => undefined);
      await held.stop(); // the group stays, at the start of the log
      await s.append(
        bus,
        Array.from({ length: 8 }, (_, i) => createSignal('t', i)),
      );
      await sleep(100);
      expect(await s.size(bus)).toBe(8);
      expect(errors.some((m) => m.includes('"holder"'))).toBe(true);
      expect(await s.deleteConsumer(bus, 'holder')).toBe(true);
      expect(await s.trim(bus, { maxSize: 5, olderThan: 0 })).toBe(3);
      expect((await s.read(bus)).map((e) => e.signal.data)).toEqual([3, 4, 5, 6, 7]);
    });

    it('reports an undecodable entry on read as store_error', async () => {
      const bus = newBus();
      await store.append(bus, [createSignal('ok')]);
      await raw.xadd(store.logKey(bus), '*', 'd', 'not json');
      expect((await rejection(store.read(bus))).code).toBe('store_error');
    });
  });

  describe('tail', () => {
    it("feeds each instance the other instances' appends, in order, skipping its own", async () => {
      const bus = newBus();
      const a = await open();
      const b = await open();
      await a.append(bus, [createSignal('before')]);
      const seenA: unknown[] = [];
      const seenB: unknown[] = [];
      const tailA = await a.tail(bus, (e) => seenA.push(e.signal.data));
      const tailB = await b.tail(bus, (e) => seenB.push(e.signal.data));
      for (let i = 0; i < 10; i++) {
        await (i % 2 === 0 ? a : b).append(bus, [createSignal('t', i)]);
      }
      await until('both tails to see 5 entries', () => seenA.length === 5 && seenB.length === 5);
      expect(seenA).toEqual([1, 3, 5, 7, 9]);
      expect(seenB).toEqual([0, 2, 4, 6, 8]);
      await tailA.stop();
      await a.append(bus, [createSignal('t', 10)]);
      await until('tail B to see the 11th', () => seenB.length === 6);
      await b.append(bus, [createSignal('t', 11)]);
      await sleep(50);
      expect(seenA).toEqual([1, 3, 5, 7, 9]);
      expect(seenB).toEqual([0, 2, 4, 6, 8, 10]);
      await tailB.stop();
    });
  });

  describe('durable consumers', () => {
    it('two instances compete: each entry is handled by exactly one; in-flight bound across both', async () => {
      const bus = newBus();
      const a = await open();
      const b = await open();
      const handled = new Map<number, string>();
      const dup: number[] = [];
      let inFlight = 0;
      let maxInFlight = 0;
      const handler = (who: string) => (m: DurableMessage) => {
        const n = m.entry.signal.data as number;
        if (handled.has(n)) dup.push(n);
        handled.set(n, who);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        setTimeout(() => {
          inFlight--;
          m.ack();
        }, 20);
      };
      const ca = await a.openConsumer(bus, spec('workers', { maxAckPending: 4 }), handler('a'));
      const cb = await b.openConsumer(bus, spec('workers', { maxAckPending: 4 }), handler('b'));
      await a.append(bus, [
        ...Array.from({ length: 20 }, (_, i) => createSignal('job.run', i)),
        ...Array.from({ length: 5 }, (_, i) => createSignal('other', 100 + i)),
        ...Array.from({ length: 20 }, (_, i) => createSignal('job.run', 20 + i)),
      ]);
      await until('40 jobs handled', () => handled.size === 40);
      await sleep(100);
      expect(dup).toEqual([]);
      expect(maxInFlight).toBeLessThanOrEqual(4);
      expect(new Set(handled.values()).size).toBe(2); // maxAckPending is shared, not grabbed
      expect([...handled.keys()].every((n) => n < 40)).toBe(true);
      expect(await ca.info()).toEqual({ pending: 0, ackPending: 0, redelivered: 0 });
      await ca.stop();
      await cb.stop();
      expect(await a.deleteConsumer(bus, 'workers')).toBe(true);
      expect(await a.deleteConsumer(bus, 'workers')).toBe(false);
    });

    it('nak(delay) redelivers after the delay with deliveryCount 2; maxDeliver stops redelivery', async () => {
      const bus = newBus();
      await store.append(bus, [createSignal('job.fail', 'x')]);
      const counts: number[] = [];
      const started = Date.now();
      let second = 0;
      const c = await store.openConsumer(bus, spec('nakker', { maxDeliver: 2 }), (m) => {
        counts.push(m.deliveryCount);
        if (m.deliveryCount === 2) second = Date.now();
        m.nak(200);
      });
      await until('two deliveries', () => counts.length === 2);
      expect(second - started).toBeGreaterThanOrEqual(190);
      expect(second - started).toBeLessThan(1_500);
      await sleep(600);
      expect(counts).toEqual([1, 2]);
      await c.stop();
    });

    it('redelivers after ackWait when not settled (XAUTOCLAIM); term never redelivers', async () => {
      const bus = newBus();
      await store.append(bus, [createSignal('job.slow', 1), createSignal('job.bad', 2)]);
      const seen: Array<[unknown, number]> = [];
      const c = await store.openConsumer(bus, spec('waiter', { ackWait: 300 }), (m) => {
        seen.push([m.entry.signal.data, m.deliveryCount]);
        if (m.entry.signal.data === 2) m.term();
        else if (m.deliveryCount === 2) m.ack();
      });
      await until('redelivery after ackWait', () => seen.some(([d, n]) => d === 1 && n === 2));
      await sleep(500);
      expect(seen.filter(([d]) => d === 2)).toEqual([[2, 1]]);
      expect(seen.filter(([d]) => d === 1)).toEqual([
        [1, 1],
        [1, 2],
      ]);
      await c.stop();
    });

    it("takes over a dead consumer's deliveries after ackWait", async () => {
      const bus = newBus();
      const a = await open();
      const b = await open();
      await a.append(bus, [createSignal('job.x', 1)]);
      const gotA: number[] = [];
      const ca = await a.openConsumer(bus, spec('takeover', { ackWait: 300 }), (m) =>
        gotA.push(m.deliveryCount),
      );
      await until('a got it', () => gotA.length === 1);
      await ca.stop(); // never settled: as if the process died
      const gotB: number[] = [];
      const cb = await b.openConsumer(bus, spec('takeover', { ackWait: 300 }), (m) => {
        gotB.push(m.deliveryCount);
        m.ack();
      });
      await until('b took it over', () => gotB.length === 1);
      expect(gotB).toEqual([2]);
      await cb.stop();
    });

    it('resumes an existing group without replaying acked entries; startFrom current and time', async () => {
      const bus = newBus();
      await store.append(bus, [createSignal('job.a', 1)]);
      const got: unknown[] = [];
      const onMessage = (m: DurableMessage) => {
        got.push(m.entry.signal.data);
        m.ack();
      };
      let c = await store.openConsumer(bus, spec('resume'), onMessage);
      await until('first', () => got.length === 1);
      await c.stop();
      await store.append(bus, [createSignal('job.a', 2)]);
      c = await store.openConsumer(bus, spec('resume', { maxAckPending: 7 }), onMessage);
      await until('second', () => got.length === 2);
      expect(got).toEqual([1, 2]);
      await c.stop();
      const fresh: unknown[] = [];
      const cur = await store.openConsumer(bus, spec('current', { startFrom: 'current' }), (m) => {
        fresh.push(m.entry.signal.data);
        m.ack();
      });
      await sleep(20);
      const cut = Date.now();
      await sleep(5);
      await store.append(bus, [createSignal('job.a', 3)]);
      await until('new entry only', () => fresh.length === 1);
      expect(fresh).toEqual([3]);
      await cur.stop();
      const timed: unknown[] = [];
      const byTime = await store.openConsumer(bus, spec('timed', { startFrom: cut }), (m) => {
        timed.push(m.entry.signal.data);
        m.ack();
      });
      await until('entries since the time', () => timed.length === 1);
      await sleep(50);
      expect(timed).toEqual([3]);
      await byTime.stop();
    });

    it('acks away entries that cannot be decoded and reports them', async () => {
      const errors: string[] = [];
      const s = await open({ onError: (e) => errors.push(e.code) });
      const bus = newBus();
      await s.append(bus, [createSignal('job.ok', 0)]);
      await raw.xadd(s.logKey(bus), '*', 'd', 'not json');
      await s.append(bus, [createSignal('job.ok', 1)]);
      const got: unknown[] = [];
      const c = await s.openConsumer(bus, spec('decoder'), (m) => {
        got.push(m.entry.signal.data);
        m.ack();
      });
      await until('both good ones', () => got.length === 2);
      expect(got).toEqual([0, 1]);
      expect(errors).toEqual(['store_error']);
      expect((await c.info()).ackPending).toBe(0);
      await c.stop();
    });
  });

  describe('lifecycle and connection loss', () => {
    it('close is idempotent and later calls reject with closed', async () => {
      const s = await open();
      await Promise.all([s.close(), s.close()]);
      expect(s.connected).toBe(false);
      expect((await rejection(s.size('x'))).code).toBe('closed');
      expect((await rejection(s.tail('x', () => undefined))).code).toBe('closed');
    });

    it('an unreachable server is store_unavailable with no secret in the message', async () => {
      const error = await rejection(
        RedisStore.connect({
          url: 'redis://user:s3cret@127.0.0.1:16399/0?token=t0k',
          connectTimeout: 300,
        }),
      );
      expect(error.code).toBe('store_unavailable');
      const text = JSON.stringify(error.toJSON()) + error.message;
      expect(text).not.toContain('s3cret');
      expect(text).not.toContain('t0k');
    });

    it('warns when maxmemory-policy may evict stream keys', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'jido-redis-'));
      const server = await startRedisServer(16381, dir, false, [
        '--maxmemory-policy',
        'allkeys-lru',
      ]);
      try {
        const warnings: string[] = [];
        const s = await RedisStore.connect({
          url: 'redis://127.0.0.1:16381',
          onError: (e) => warnings.push(e.message),
        });
        await s.close();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain('allkeys-lru');
      } finally {
        await stopRedisServer(server);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('survives a server restart: unavailable while down, working after, tail without gaps', async () => {
      const port = 16380;
      const dir = mkdtempSync(join(tmpdir(), 'jido-redis-'));
      let server = await startRedisServer(port, dir, true);
      try {
        const url = `redis://127.0.0.1:${port}`;
        const s = await RedisStore.connect({ url, reconnectTimeWait: 50, disconnectedWait: 300 });
        stores.push(s);
        const changes: boolean[] = [];
        s.onConnectionChange((up) => changes.push(up));
        await s.append('bus', [createSignal('a', 1)]);
        const tailed: unknown[] = [];
        const tail = await s.tail('bus', (e) => tailed.push(e.signal.data));
        await stopRedisServer(server);
        await until('disconnect seen', () => !s.connected, 5_000);
        expect((await rejection(s.ping())).code).toBe('store_unavailable');
        const t0 = Date.now();
        expect((await rejection(s.append('bus', [createSignal('a', 2)]))).code).toBe(
          'store_unavailable',
        );
        expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
        server = await startRedisServer(port, dir, true);
        await until('reconnect', () => s.connected, 10_000);
        await s.ping();
        await s.append('bus', [createSignal('a', 3)]);
        expect((await s.read('bus')).map((e) => e.signal.data)).toEqual([1, 3]);
        const other = await RedisStore.connect({ url });
        stores.push(other);
        await other.append('bus', [createSignal('a', 4)]);
        await s.append('bus', [createSignal('a', 5)]);
        await other.append('bus', [createSignal('a', 6)]);
        await until('tail resumes after the restart', () => tailed.includes(6), 10_000);
        expect(tailed).toEqual([4, 6]);
        expect(changes).toEqual([false, true]);
        await tail.stop();
        await s.close();
        await other.close();
      } finally {
        await stopRedisServer(server);
        rmSync(dir, { recursive: true, force: true });
      }
    }, 30_000);
  });
});

function spec(id: string, extra: Partial<DurableConsumerSpec> = {}): DurableConsumerSpec {
  return {
    subscriptionId: id,
    pattern: 'job.*',
    maxAckPending: 100,
    maxDeliver: 5,
    ackWait: 5_000,
    startFrom: 'origin',
    ...extra,
  };
}
