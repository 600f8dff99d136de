import { describe, expect, it } from '@jest/globals';
import type { BusLogTruncatedTelemetryMessage } from '../../../lib/core/bus/bus-telemetry.js';
import { SnapshotNotFoundError } from '../../../lib/core/errors/bus.error.js';
import { InvalidPatternError } from '../../../lib/core/errors/router.error.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { busFactory, listen, sig, sleep } from './helpers.js';

const newBus = busFactory('sr');

describe('snapshots', () => {
  it('captures matching entries; later publishes and trims do not change it; objects are frozen', async () => {
    const bus = newBus({ maxLogSize: 3 });
    await bus.publish([sig('user.a', 1), sig('order.a', 2), sig('user.b', 3)]);
    const ref = await bus.snapshots.create('user.*');
    expect(ref).toMatchObject({ pattern: 'user.*', size: 2 });
    expect(typeof ref.createdAt).toBe('number');

    await bus.publish([sig('user.c', 4), sig('user.d', 5), sig('user.e', 6)]);
    expect((await bus.replay('user.*')).map((e) => e.signal.data)).toEqual([4, 5, 6]);

    const snap = await bus.snapshots.read(ref.id);
    expect(snap.entries.map((e) => e.signal.data)).toEqual([1, 3]);
    expect(snap).toMatchObject({ id: ref.id, pattern: 'user.*' });
    expect(Object.isFrozen(snap)).toBe(true);
    expect(Object.isFrozen(snap.entries)).toBe(true);
    expect(Object.isFrozen(snap.entries[0])).toBe(true);
    expect(() => (snap.entries as unknown[]).push('x')).toThrow(TypeError);
    expect((await bus.snapshots.read(ref.id)).entries).toHaveLength(2);
  });

  it('lists newest first, honours since/limit, deletes, and reports unknown ids with a typed error', async () => {
    const bus = newBus();
    const [first] = await bus.publish(sig('a', 1));
    await sleep(3);
    await bus.publish([sig('a', 2), sig('a', 3)]);
    const all = await bus.snapshots.create();
    await sleep(3);
    const limited = await bus.snapshots.create('a', { limit: 1 });
    await sleep(3);
    const since = await bus.snapshots.create('**', { since: first.recordedAt + 1 });
    expect(all.size).toBe(3);
    expect(limited.size).toBe(1);
    expect((await bus.snapshots.read(since.id)).entries.map((e) => e.signal.data)).toEqual([2, 3]);
    expect((await bus.snapshots.list()).map((r) => r.id)).toEqual([since.id, limited.id, all.id]);

    await bus.snapshots.delete(limited.id);
    expect((await bus.snapshots.list()).map((r) => r.id)).toEqual([since.id, all.id]);
    const missing = await bus.snapshots.read(limited.id).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SnapshotNotFoundError);
    expect(missing).toMatchObject({
      code: 'snapshot_not_found',
      snapshotId: limited.id,
      bus: bus.name,
    });
    await expect(bus.snapshots.delete(limited.id)).rejects.toMatchObject({
      code: 'snapshot_not_found',
    });
    await expect(bus.snapshots.create('a..')).rejects.toBeInstanceOf(InvalidPatternError);
  });

  it('an empty match gives an empty snapshot', async () => {
    const bus = newBus();
    const ref = await bus.snapshots.create('nothing.**');
    expect(ref.size).toBe(0);
    expect((await bus.snapshots.read(ref.id)).entries).toEqual([]);
  });
});

describe('log retention', () => {
  it('maxLogSize keeps the newest entries after each publish and reports truncation', async () => {
    const truncated = listen<BusLogTruncatedTelemetryMessage>(TelemetryChannel.BusLogTruncated);
    const bus = newBus({ maxLogSize: 5 });
    for (let i = 1; i <= 10; i++) await bus.publish(sig('n', i));
    await bus.publish([sig('n', 11), sig('n', 12), sig('n', 13)]);
    truncated.stop();
    expect((await bus.replay()).map((e) => e.signal.data)).toEqual([9, 10, 11, 12, 13]);
    expect((await bus.stats()).logSize).toBe(5);
    const mine = truncated.messages.filter((m) => m.bus === bus.name);
    expect(mine.map((m) => m.removed)).toEqual([1, 1, 1, 1, 1, 3]);
    expect(mine.every((m) => m.reason === 'max_size' && m.newSize === 5)).toBe(true);
  });

  it('maxLogSize 0 keeps nothing but still delivers', async () => {
    const bus = newBus({ maxLogSize: 0 });
    const got: unknown[] = [];
    await bus.subscribe('n', (s) => got.push(s.data));
    await bus.publish(sig('n', 1));
    expect(got).toEqual([1]);
    expect(await bus.replay()).toEqual([]);
  });

  it('logTtl sweeps entries older than the TTL on a timer and reports it', async () => {
    const truncated = listen<BusLogTruncatedTelemetryMessage>(TelemetryChannel.BusLogTruncated);
    const bus = newBus({ logTtl: 40 });
    await bus.publish([sig('old', 1), sig('old', 2)]);
    await sleep(130);
    await bus.publish(sig('new', 3));
    expect((await bus.replay()).map((e) => e.signal.data)).toEqual([3]);
    truncated.stop();
    const mine = truncated.messages.filter((m) => m.bus === bus.name);
    expect(mine[0]).toMatchObject({ reason: 'ttl', removed: 2, newSize: 0, ttlMs: 40 });
  });

  it('close stops the TTL sweep', async () => {
    const errors = listen<{ bus: string }>(TelemetryChannel.BusError);
    const truncated = listen<{ bus: string }>(TelemetryChannel.BusLogTruncated);
    const bus = newBus({ logTtl: 10 });
    await bus.publish(sig('a'));
    await bus.close();
    await sleep(40);
    errors.stop();
    truncated.stop();
    // A sweep after close would hit the closed store (a store error) or truncate.
    expect(errors.messages.filter((m) => m.bus === bus.name)).toEqual([]);
    expect(truncated.messages.filter((m) => m.bus === bus.name)).toEqual([]);
  });
});
