import { describe, expect, it } from '@jest/globals';
import type { BusRateLimitedTelemetryMessage } from '../../../lib/core/bus/bus-telemetry.js';
import { TokenBucket, partitionOf } from '../../../lib/core/bus/token-bucket.js';
import { RateLimitedError } from '../../../lib/core/errors/bus.error.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { busFactory, collectErrors, deferred, listen, sig, sleep } from './helpers.js';

const newBus = busFactory('part');

/** `count` subscription ids that all hash to `partition` of `of`. */
function idsInPartition(partition: number, of: number, count: number, prefix = 'sub'): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++)
    if (partitionOf(`${prefix}-${i}`, of) === partition) ids.push(`${prefix}-${i}`);
  return ids;
}

describe('TokenBucket', () => {
  it('starts full, refills fractionally at the rate, caps at the capacity', () => {
    let now = 0;
    const bucket = new TokenBucket(5, 10, () => now);
    expect(bucket.take(4)).toBe(4);
    expect(bucket.take(10)).toBe(6);
    expect(bucket.take(1)).toBe(0);
    now += 100; // 0.5 token
    expect(bucket.take(1)).toBe(0);
    expect(bucket.available()).toBeCloseTo(0.5);
    now += 100;
    expect(bucket.take(3)).toBe(1);
    now += 60_000;
    expect(bucket.available()).toBe(10);
  });
});

describe('partitionOf', () => {
  it('is stable and spreads ids over the partitions', () => {
    expect(partitionOf('abc', 8)).toBe(partitionOf('abc', 8));
    expect(partitionOf('abc', 1)).toBe(0);
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 4000; i++) counts[partitionOf(`id-${i}`, 4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});

describe('partitioned bus', () => {
  it('assigns subscriptions to lanes by id hash and delivers the same signals as an unpartitioned bus', async () => {
    const plain = newBus();
    const parted = newBus({ partitionCount: 4 });
    const got = { plain: [] as string[], parted: [] as string[] };
    for (let i = 0; i < 12; i++) {
      const pattern = i % 3 === 0 ? '**' : i % 3 === 1 ? 'a.*' : 'a.b';
      await plain.subscribe(pattern, {
        subscriptionId: `s${i}`,
        dispatch: (s) => got.plain.push(`s${i}:${s.type}`),
      });
      await parted.subscribe(pattern, {
        subscriptionId: `s${i}`,
        dispatch: (s) => got.parted.push(`s${i}:${s.type}`),
      });
    }
    const signals = [sig('a.b'), sig('a.c'), sig('x')];
    await plain.publish(signals);
    await parted.publish(signals);
    await sleep(10);
    expect([...got.parted].sort()).toEqual([...got.plain].sort());
    const stats = await parted.stats();
    expect(stats.partitions).toHaveLength(4);
    for (const s of stats.subscriptions) expect(s.partition).toBe(partitionOf(s.id, 4));
    expect(stats.partitions.reduce((n, p) => n + p.subscriptions, 0)).toBe(12);
  });

  it('publish resolves once recorded, without waiting for deliveries; close drains them', async () => {
    const bus = newBus({ partitionCount: 2 });
    const gate = deferred();
    let done = false;
    await bus.subscribe('t', async () => {
      await gate.promise;
      done = true;
    });
    await expect(bus.publish(sig('t'))).resolves.toHaveLength(1);
    expect(done).toBe(false);
    const closing = bus.close();
    await sleep(5);
    gate.resolve();
    await closing;
    expect(done).toBe(true);
  });

  it('keeps each subscription in log order', async () => {
    const bus = newBus({ partitionCount: 3 });
    const got = new Map<string, number[]>();
    for (const id of ['x', 'y', 'z']) {
      got.set(id, []);
      await bus.subscribe('n', {
        subscriptionId: id,
        dispatch: async (s) => {
          got.get(id)!.push(s.data as number);
          await sleep(1);
        },
      });
    }
    await Promise.all(Array.from({ length: 10 }, (_, i) => bus.publish(sig('n', i))));
    await sleep(50);
    for (const list of got.values()) expect(list).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('charges one token per matching delivery and reports drops (errors$, telemetry, stats)', async () => {
    const bus = newBus({
      partitionCount: 2,
      partitionBurstSize: 5,
      partitionRateLimitPerSec: 0.001,
    });
    const errors = collectErrors(bus);
    const telemetry = listen<BusRateLimitedTelemetryMessage>(TelemetryChannel.BusRateLimited);
    const [first, second] = idsInPartition(0, 2, 2);
    const [other] = idsInPartition(1, 2, 1);
    const got: string[] = [];
    await bus.subscribe('t', {
      subscriptionId: first,
      dispatch: (s) => got.push(`${first}:${String(s.data)}`),
    });
    await bus.subscribe('t', {
      subscriptionId: second,
      dispatch: (s) => got.push(`${second}:${String(s.data)}`),
    });
    await bus.subscribe('t', {
      subscriptionId: other,
      dispatch: (s) => got.push(`${other}:${String(s.data)}`),
    });

    // Signals nobody in a lane matches cost that lane nothing.
    await bus.publish(Array.from({ length: 50 }, (_, i) => sig('unmatched', i)));
    // Partition 0 gets 3 signals × 2 subscriptions = 6 deliveries for 5 tokens; partition 1 gets 3.
    const entries = await bus.publish([sig('t', 1), sig('t', 2), sig('t', 3)]);
    await sleep(10);
    telemetry.stop();

    expect(got.filter((g) => g.startsWith(`${other}:`))).toHaveLength(3);
    expect(got.filter((g) => !g.startsWith(`${other}:`))).toEqual([
      `${first}:1`,
      `${second}:1`,
      `${first}:2`,
      `${second}:2`,
      `${first}:3`,
    ]);
    expect(errors).toHaveLength(1);
    const error = errors[0] as RateLimitedError;
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({
      code: 'rate_limited',
      partition: 0,
      requested: 6,
      available: 5,
      subscriptionId: second,
      signalId: entries[2].signal.id,
    });
    expect(error.dropped).toEqual([
      { subscriptionId: second, signalId: entries[2].signal.id, logId: entries[2].logId },
    ]);
    expect(telemetry.messages.filter((m) => m.bus === bus.name)).toEqual([
      { bus: bus.name, partition: 0, dropped: 1, requested: 6, available: 5 },
    ]);
    const stats = await bus.stats();
    expect(stats.subscriptions.find((s) => s.id === second)).toMatchObject({
      delivered: 2,
      rateLimited: 1,
    });
    expect(stats.partitions[0].tokens).toBeLessThan(1);

    // Partition 0's bucket is empty now: its deliveries of the next publish are dropped (the
    // signal is still recorded); partition 1 still had 2 tokens.
    await bus.publish(sig('t', 4));
    await sleep(5);
    expect(errors).toHaveLength(2);
    expect(errors[1]).toMatchObject({ partition: 0, requested: 2, available: 0 });
    expect(got.filter((g) => g.startsWith(`${other}:`))).toHaveLength(4);
    expect((await bus.replay('t')).map((e) => e.signal.data)).toEqual([1, 2, 3, 4]);
  });

  it('refills over time', async () => {
    const bus = newBus({ partitionCount: 2, partitionBurstSize: 1, partitionRateLimitPerSec: 100 });
    const errors = collectErrors(bus);
    const got: unknown[] = [];
    await bus.subscribe('t', (s) => got.push(s.data));
    await bus.publish(sig('t', 1));
    await bus.publish(sig('t', 2));
    await sleep(30);
    await bus.publish(sig('t', 3));
    await sleep(5);
    expect(got).toEqual([1, 3]);
    expect(errors).toHaveLength(1);
  });

  it('isolates failing subscribers in lanes as well', async () => {
    const bus = newBus({ partitionCount: 2 });
    const errors = collectErrors(bus);
    const got: string[] = [];
    await bus.subscribe('t', {
      subscriptionId: 'bad',
      dispatch: () => {
        throw new Error('x');
      },
    });
    await bus.subscribe('t', { subscriptionId: 'good', dispatch: (s) => got.push(s.type) });
    await bus.publish(sig('t'));
    await sleep(5);
    expect(got).toEqual(['t']);
    expect(errors.map((e) => [e.code, e.subscriptionId])).toEqual([['subscriber_failed', 'bad']]);
  });
});
