import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';
import { SignalId } from '../../../lib/core/signal/signal-id.js';
import type { DurableMessage } from '../../../lib/core/store/distributed-store.interface.js';
import { JetStreamStore } from '../../../lib/core/store/jetstream/jetstream.store.js';
import type { RecordedSignal } from '../../../lib/core/store/signal-store.interface.js';
import { describeSignalStoreConformance } from '../../../lib/testing/store-conformance.js';
import { rejection } from '../../helpers/errors.js';
import {
  deleteTestStreams,
  freePort,
  NATS_URL,
  startServer,
  stopServer,
  testPrefix,
} from '../../helpers/nats.js';

const prefix = testPrefix('js');
const stores: JetStreamStore[] = [];

async function open(
  extra: Partial<Parameters<typeof JetStreamStore.connect>[0]> = {},
): Promise<JetStreamStore> {
  const store = await JetStreamStore.connect({ servers: NATS_URL, prefix, ...extra });
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
  await deleteTestStreams(prefix);
}, 30_000);

{
  describeSignalStoreConformance('JetStreamStore', () => open(), { timeout: 20_000 });
}

describe('JetStreamStore', () => {
  let store: JetStreamStore;
  beforeAll(async () => {
    store = await open();
  });

  describe('options and arguments', () => {
    it('rejects bad options with invalid_option before connecting', async () => {
      for (const bad of [
        { prefix: 'a_b' },
        { prefix: '' },
        { storage: 'disk' as 'file' },
        { replicas: 0 },
        { replicas: 1.5 },
        { maxMessages: -1 },
        { maxAge: 0 },
        { maxBytes: Number.NaN },
        { requestTimeout: 0 },
        { servers: [] as string[] },
      ]) {
        const error = await rejection(JetStreamStore.connect({ servers: NATS_URL, ...bad }));
        expect(error.code).toBe('invalid_option');
      }
    });

    it('rejects bus names that are not stream-name tokens', async () => {
      for (const bus of ['a.b', 'a b', '', 'a*', 'x'.repeat(200)]) {
        expect((await rejection(store.append(bus, [createSignal('a')]))).code).toBe(
          'invalid_bus_name',
        );
        expect((await rejection(store.read(bus))).code).toBe('invalid_bus_name');
      }
    });

    it('rejects bad limits and cursors with the same codes as MemoryStore', async () => {
      const bus = newBus();
      expect((await rejection(store.read(bus, { limit: -1 }))).code).toBe('invalid_attribute');
      expect((await rejection(store.read(bus, { limit: 0.5 }))).code).toBe('invalid_attribute');
      expect((await rejection(store.listDlq(bus, 's', { limit: -2 }))).code).toBe(
        'invalid_attribute',
      );
      expect((await rejection(store.trim(bus, { maxSize: -1 }))).code).toBe('invalid_attribute');
      expect((await rejection(store.read(bus, { afterLogId: 'nope' }))).code).toBe('invalid_id');
      expect((await rejection(store.read(bus, { pattern: 'a.**.**' }))).code).toBe(
        'invalid_pattern',
      );
    });

    it('read-only calls on an unknown bus create nothing and return empty results', async () => {
      const bus = newBus();
      expect(await store.size(bus)).toBe(0);
      expect(await store.read(bus)).toEqual([]);
      expect(await store.trim(bus, { maxSize: 0, olderThan: Date.now() })).toBe(0);
      expect(await store.deleteConsumer(bus, 'nobody')).toBe(false);
      const names = await streamNames();
      expect(names).not.toContain(store.logStreamName(bus));
    });
  });

  describe('log', () => {
    it('publishes odd signal types and reads them back by pattern', async () => {
      const bus = newBus();
      const types = ['a..b', 'a b', 'x.*', 'x.>', 'tab\tx', 'ünï.code', '.', 'a.b'];
      await store.append(
        bus,
        types.map((t, i) => createSignal(t, i)),
      );
      expect((await store.read(bus)).map((e) => e.signal.type)).toEqual(types);
      expect((await store.read(bus, { pattern: 'a.*' })).map((e) => e.signal.type)).toEqual([
        'a.b',
      ]);
      expect((await store.read(bus, { pattern: 'x.*' })).map((e) => e.signal.type)).toEqual([
        'x.*',
        'x.>',
      ]);
      expect((await store.read(bus, { pattern: 'a.**' })).map((e) => e.signal.type)).toEqual([
        'a..b',
        'a.b',
      ]);
    });

    it('applies the retention options itself (no server-side limits that would drop unacked entries)', async () => {
      const s = await open({
        maxMessages: 5,
        maxAge: 60_000,
        maxBytes: 1_000_000,
        storage: 'memory',
      });
      const bus = newBus();
      await s.append(
        bus,
        Array.from({ length: 8 }, (_, i) => createSignal('t', i)),
      );
      const info = await streamInfo(s.logStreamName(bus));
      expect(info.config.max_msgs).toBe(-1);
      expect(info.config.max_age).toBe(0);
      expect(info.config.max_bytes).toBe(-1);
      expect(info.config.storage).toBe('memory');
      expect(info.config.subjects).toEqual([`${prefix}.log.${bus}.>`]);
      // The store trims after the append (one batch: 1 % of 5, at least one entry).
      let size = 8;
      for (const deadline = Date.now() + 5_000; size !== 5 && Date.now() < deadline;) {
        size = await s.size(bus);
        await sleep(20);
      }
      expect(size).toBe(5);
      expect((await s.read(bus)).map((e) => e.signal.data)).toEqual([3, 4, 5, 6, 7]);
    });

    it('appends the same signal twice as two entries', async () => {
      const bus = newBus();
      const signal = createSignal('dup');
      await store.append(bus, [signal]);
      await store.append(bus, [signal, signal]);
      expect(await store.size(bus)).toBe(3);
    });

    it('returns the recorded time and log id that read returns, and replays by sequence and time', async () => {
      const bus = newBus();
      const first = await store.append(
        bus,
        Array.from({ length: 5 }, (_, i) => createSignal('t', i)),
      );
      await sleep(20);
      const cut = Date.now();
      await sleep(20);
      const second = await store.append(
        bus,
        Array.from({ length: 5 }, (_, i) => createSignal('t', 5 + i)),
      );
      const all = await store.read(bus);
      expect(all.map((e) => [e.logId, e.recordedAt])).toEqual(
        [...first, ...second].map((e) => [e.logId, e.recordedAt]),
      );
      for (const e of all) expect(SignalId.timestamp(e.logId)).toBe(e.recordedAt);
      expect(
        (await store.read(bus, { afterLogId: first[2].logId })).map((e) => e.signal.data),
      ).toEqual([3, 4, 5, 6, 7, 8, 9]);
      expect((await store.read(bus, { since: cut })).map((e) => e.signal.data)).toEqual([
        5, 6, 7, 8, 9,
      ]);
      expect((await store.read(bus, { since: cut, limit: 2 })).map((e) => e.signal.data)).toEqual([
        5, 6,
      ]);
      expect(
        (await store.read(bus, { until: cut, afterLogId: first[3].logId })).map(
          (e) => e.signal.data,
        ),
      ).toEqual([4]);
    });

    it('keeps order and strictly increasing ids over a large pipelined batch', async () => {
      const bus = newBus();
      const recorded = await store.append(
        bus,
        Array.from({ length: 2_000 }, (_, i) => createSignal('bulk', i)),
      );
      for (let i = 1; i < recorded.length; i++)
        expect(recorded[i].logId > recorded[i - 1].logId).toBe(true);
      const read = await store.read(bus);
      expect(read.map((e) => e.signal.data)).toEqual(recorded.map((e) => e.signal.data));
    });

    it('stores snapshots bigger than the max payload in chunks', async () => {
      const bus = newBus();
      const big = 'x'.repeat(300_000);
      const entries = await store.append(
        bus,
        Array.from({ length: 8 }, (_, i) => createSignal('big', { i, big })),
      );
      const id = SignalId.generate();
      await store.putSnapshot(bus, { id, pattern: '**', createdAt: Date.now(), entries });
      const got = (await store.getSnapshot(bus, id))!;
      expect(got.entries.map((e) => (e.signal.data as { i: number }).i)).toEqual([
        0, 1, 2, 3, 4, 5, 6, 7,
      ]);
      expect(got.entries[3].logId).toBe(entries[3].logId);
      expect((await store.listSnapshots(bus))[0]).toMatchObject({ id, size: 8 });
      expect(await store.deleteSnapshot(bus, id)).toBe(true);
      expect(await store.getSnapshot(bus, id)).toBeUndefined();
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
    const spec = (
      id: string,
      extra: Partial<Parameters<JetStreamStore['openConsumer']>[1]> = {},
    ) => ({
      subscriptionId: id,
      pattern: 'job.*',
      maxAckPending: 100,
      maxDeliver: 5,
      ackWait: 5_000,
      startFrom: 'origin' as const,
      ...extra,
    });

    it('two instances compete: each entry is handled by exactly one; non-matching ones are acked away', async () => {
      const bus = newBus();
      const a = await open();
      const b = await open();
      await a.append(bus, [
        ...Array.from({ length: 20 }, (_, i) => createSignal('job.run', i)),
        ...Array.from({ length: 5 }, (_, i) => createSignal('other', 100 + i)),
        ...Array.from({ length: 20 }, (_, i) => createSignal('job.run', 20 + i)),
      ]);
      const handled = new Map<number, string>();
      const dup: number[] = [];
      const handler = (who: string) => (m: DurableMessage) => {
        const n = m.entry.signal.data as number;
        if (handled.has(n)) dup.push(n);
        handled.set(n, who);
        setTimeout(() => m.ack(), 5);
      };
      const ca = await a.openConsumer(bus, spec('workers', { maxAckPending: 4 }), handler('a'));
      const cb = await b.openConsumer(bus, spec('workers', { maxAckPending: 4 }), handler('b'));
      await until('40 jobs handled', () => handled.size === 40);
      await sleep(100);
      expect(dup).toEqual([]);
      expect([...handled.keys()].every((n) => n < 40)).toBe(true);
      expect(new Set(handled.values()).size).toBe(2);
      await until('nothing pending', () => false, 0).catch(() => undefined);
      const info = await ca.info();
      expect(info.pending).toBe(0);
      await ca.stop();
      await cb.stop();
      expect(await a.deleteConsumer(bus, 'workers')).toBe(true);
      expect(await a.deleteConsumer(bus, 'workers')).toBe(false);
    });

    it('nak(delay) redelivers with deliveryCount 2; max_deliver stops redelivery', async () => {
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
      expect(second - started).toBeGreaterThanOrEqual(150);
      await sleep(600);
      expect(counts).toEqual([1, 2]);
      await c.stop();
    });

    it('redelivers after ack_wait when not settled; term never redelivers', async () => {
      const bus = newBus();
      await store.append(bus, [createSignal('job.slow', 1), createSignal('job.bad', 2)]);
      const seen: Array<[unknown, number]> = [];
      const c = await store.openConsumer(bus, spec('waiter', { ackWait: 300 }), (m) => {
        seen.push([m.entry.signal.data, m.deliveryCount]);
        if (m.entry.signal.data === 2) m.term();
        else if (m.deliveryCount === 2) m.ack();
      });
      await until(
        'redelivery after ack_wait',
        () => seen.some(([d, n]) => d === 1 && n === 2),
        5_000,
      );
      await sleep(500);
      expect(seen.filter(([d]) => d === 2)).toEqual([[2, 1]]);
      expect(seen.filter(([d]) => d === 1)).toEqual([
        [1, 1],
        [1, 2],
      ]);
      await c.stop();
    });

    it('resumes an existing consumer without replaying acked entries; startFrom current skips history', async () => {
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
      await sleep(50);
      await store.append(bus, [createSignal('job.a', 2)]);
      c = await store.openConsumer(
        bus,
        spec('resume', { ackWait: 2_000, maxAckPending: 7 }),
        onMessage,
      );
      await until('second', () => got.length === 2);
      expect(got).toEqual([1, 2]);
      await c.stop();
      const fresh: unknown[] = [];
      const cur = await store.openConsumer(bus, spec('current', { startFrom: 'current' }), (m) => {
        fresh.push(m.entry.signal.data);
        m.ack();
      });
      await store.append(bus, [createSignal('job.a', 3)]);
      await until('new entry only', () => fresh.length === 1);
      expect(fresh).toEqual([3]);
      await cur.stop();
    });

    it('terminates entries that cannot be decoded and reports them', async () => {
      const errors: string[] = [];
      const s = await open({ onError: (e) => errors.push(e.code) });
      const bus = newBus();
      await s.append(bus, [createSignal('job.ok', 0)]); // creates the stream
      await rawPublish(`${prefix}.log.${bus}.job.bad`, 'not json');
      await s.append(bus, [createSignal('job.ok', 1)]);
      const got: unknown[] = [];
      const c = await s.openConsumer(bus, spec('decoder'), (m) => {
        got.push(m.entry.signal.data);
        m.ack();
      });
      await until('both good ones', () => got.length === 2);
      expect(got).toEqual([0, 1]);
      expect(errors).toEqual(['store_error']);
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
      const port = await freePort();
      const error = await rejection(
        JetStreamStore.connect({
          servers: `nats://user:s3cret@127.0.0.1:${port}`,
          connectTimeout: 300,
        }),
      );
      expect(error.code).toBe('store_unavailable');
      expect(JSON.stringify(error.toJSON())).not.toContain('s3cret');
      expect(error.message).not.toContain('s3cret');
    });

    it('survives a server restart: unavailable while down, working after', async () => {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'jido-nats-'));
      let server = await startServer(port, dir);
      try {
        const s = await JetStreamStore.connect({
          servers: `nats://127.0.0.1:${port}`,
          prefix: 'restart',
          reconnectTimeWait: 100,
          disconnectedWait: 300,
          requestTimeout: 2_000,
        });
        stores.push(s);
        const changes: boolean[] = [];
        s.onConnectionChange((up) => changes.push(up));
        await s.append('bus', [createSignal('a', 1)]);
        const tailed: unknown[] = [];
        const tail = await s.tail('bus', (e) => tailed.push(e.signal.data));
        await stopServer(server);
        await until('disconnect seen', () => !s.connected, 5_000);
        expect((await rejection(s.ping())).code).toBe('store_unavailable');
        const t0 = Date.now();
        expect((await rejection(s.append('bus', [createSignal('a', 2)]))).code).toBe(
          'store_unavailable',
        );
        expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
        server = await startServer(port, dir);
        await until('reconnect', () => s.connected, 10_000);
        await s.ping();
        await s.append('bus', [createSignal('a', 3)]);
        expect((await s.read('bus')).map((e) => e.signal.data)).toEqual([1, 3]);
        // The tail feeds other instances' appends: one more store on the restarted server.
        const other = await JetStreamStore.connect({
          servers: `nats://127.0.0.1:${port}`,
          prefix: 'restart',
        });
        stores.push(other);
        await other.append('bus', [createSignal('a', 4)]);
        await s.append('bus', [createSignal('a', 5)]);
        await other.append('bus', [createSignal('a', 6)]);
        await until('tail resumes after the restart', () => tailed.includes(6), 20_000);
        expect(tailed).toEqual([4, 6]);
        expect(changes).toEqual([false, true]);
        await tail.stop();
        await s.close();
      } finally {
        await stopServer(server);
        rmSync(dir, { recursive: true, force: true });
      }
    }, 45_000);
  });
});

// --- helpers -----------------------------------------------------------------------------------

async function withNats<T>(
  fn: (
    nc: import('@nats-io/transport-node').NatsConnection,
    jsm: import('@nats-io/jetstream').JetStreamManager,
  ) => Promise<T>,
): Promise<T> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: NATS_URL });
  try {
    return await fn(nc, await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

function streamNames(): Promise<string[]> {
  return withNats(async (_nc, jsm) => {
    const out: string[] = [];
    for await (const n of jsm.streams.names()) out.push(n);
    return out;
  });
}

function streamInfo(name: string) {
  return withNats((_nc, jsm) => jsm.streams.info(name));
}

function rawPublish(subject: string, body: string): Promise<unknown> {
  return withNats((_nc, jsm) => jsm.jetstream().publish(subject, body));
}

export type { RecordedSignal, Signal };
