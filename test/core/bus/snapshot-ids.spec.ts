import { describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { InvalidSnapshotIdError, SnapshotExistsError } from '../../../lib/core/errors/bus.error.js';
import { MemoryStore } from '../../../lib/core/store/memory.store.js';
import { rejection } from '../../helpers/errors.js';
import { busFactory, sig } from './helpers.js';

// Ported from jido_signal's snapshot tests (spec §5.8): jido's internal API takes `id:`;
// here `snapshots.create(pattern, { id })` does, with typed errors.
const makeBus = busFactory('snap-ids');
const newBus = (store?: MemoryStore): SignalBus => makeBus({ store });

describe('snapshots.create({ id })', () => {
  it('uses the caller-chosen id for create, read, list and delete', async () => {
    const bus = newBus();
    await bus.publish([sig('user.created', 1), sig('user.deleted', 2), sig('order.placed', 3)]);
    const ref = await bus.snapshots.create('user.*', { id: 'before-migration-42' });
    expect(ref).toMatchObject({ id: 'before-migration-42', pattern: 'user.*', size: 2 });
    const snap = await bus.snapshots.read('before-migration-42');
    expect(snap.entries.map((e) => e.signal.data)).toEqual([1, 2]);
    expect((await bus.snapshots.list()).map((r) => r.id)).toEqual(['before-migration-42']);
    await bus.snapshots.delete('before-migration-42');
    expect(await bus.snapshots.list()).toEqual([]);
  });

  it('refuses a taken id with snapshot_exists and leaves the first snapshot unchanged', async () => {
    const bus = newBus();
    await bus.publish(sig('a', 1));
    await bus.snapshots.create('**', { id: 'daily' });
    await bus.publish(sig('a', 2));
    const error = await rejection(bus.snapshots.create('**', { id: 'daily' }));
    expect(error).toBeInstanceOf(SnapshotExistsError);
    expect(error.code).toBe('snapshot_exists');
    expect(error.details).toMatchObject({ bus: bus.name, snapshotId: 'daily' });
    expect((await bus.snapshots.read('daily')).entries.map((e) => e.signal.data)).toEqual([1]);
    expect(await bus.snapshots.list()).toHaveLength(1);
  });

  it('two concurrent creates with one id: exactly one succeeds', async () => {
    const bus = newBus();
    await bus.publish(sig('a', 1));
    const results = await Promise.allSettled([
      bus.snapshots.create('**', { id: 'race' }),
      bus.snapshots.create('**', { id: 'race' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected');
    expect(failed?.status === 'rejected' && failed.reason).toBeInstanceOf(SnapshotExistsError);
  });

  it('an id may be reused once its snapshot is deleted (jido: "the same id can be reused")', async () => {
    const bus = newBus();
    await bus.publish(sig('a', 1));
    await bus.snapshots.create('**', { id: 'again' });
    await bus.snapshots.delete('again');
    await bus.publish(sig('a', 2));
    const ref = await bus.snapshots.create('**', { id: 'again' });
    expect(ref.size).toBe(2);
  });

  it('ids are per bus: two buses on one store may each have the same id', async () => {
    const store = new MemoryStore();
    const a = newBus(store);
    const b = newBus(store);
    await a.publish(sig('x', 'a'));
    await b.publish(sig('x', 'b'));
    await a.snapshots.create('**', { id: 'shared-name' });
    await b.snapshots.create('**', { id: 'shared-name' });
    expect((await a.snapshots.read('shared-name')).entries[0].signal.data).toBe('a');
    expect((await b.snapshots.read('shared-name')).entries[0].signal.data).toBe('b');
    await store.close();
  });

  it.each([
    ['an empty string', ''],
    ['a number', 42],
    ['null', null],
    ['a string with a space', 'a b'],
    ['a NATS wildcard', 'a.>'],
    ['a slash', 'a/b'],
    ['a leading dot', '.hidden'],
    ['129 characters', 'x'.repeat(129)],
  ])('refuses %s as an id with invalid_id, storing nothing', async (_what, id) => {
    const bus = newBus();
    await bus.publish(sig('a', 1));
    const error = await rejection(bus.snapshots.create('**', { id: id as unknown as string }));
    expect(error).toBeInstanceOf(InvalidSnapshotIdError);
    expect(error.code).toBe('invalid_id');
    expect(await bus.snapshots.list()).toEqual([]);
  });

  it('accepts ids up to 128 characters of letters, digits, ".", "_", ":" and "-"', async () => {
    const bus = newBus();
    const long = `a${'b'.repeat(127)}`;
    for (const id of ['0', 'v1.2_rc:3-x', long]) {
      expect((await bus.snapshots.create('**', { id })).id).toBe(id);
    }
  });

  it('without an id, each snapshot gets a new UUIDv7', async () => {
    const bus = newBus();
    const a = await bus.snapshots.create();
    const b = await bus.snapshots.create();
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.id).not.toBe(b.id);
  });
});
