import { describe, expect, it } from '@jest/globals';
import { firstValueFrom, take, toArray } from 'rxjs';
import { BusClosedError } from '../../../lib/core/errors/bus.error.js';
import { InvalidPatternError } from '../../../lib/core/errors/router.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { MemoryStore } from '../../../lib/core/store/memory.store.js';
import type { LogQuery, RecordedSignal } from '../../../lib/core/store/signal-store.interface.js';
import { busFactory, sig, sleep } from './helpers.js';

const newBus = busFactory('rs');

/** A store whose reads answer late: entries appended meanwhile are in the answer. */
class SlowReadStore extends MemoryStore {
  override async read(bus: string, query?: LogQuery): Promise<RecordedSignal[]> {
    await sleep(30);
    return super.read(bus, query);
  }
}

const data = (entries: readonly RecordedSignal[]): unknown[] => entries.map((e) => e.signal.data);

describe('replay', () => {
  it('filters by pattern, since, until, limit, cursor and correlation id, in log order', async () => {
    const bus = newBus();
    const [a] = await bus.publish(sig('user.created', 'a', { correlationid: 'c1' }));
    await sleep(5);
    const [b] = await bus.publish(sig('user.updated', 'b', { correlationid: 'c2' }));
    await sleep(5);
    const [c, d] = await bus.publish([
      sig('order.placed', 'c', { correlationid: 'c1' }),
      sig('user.deleted.soft', 'd'),
    ]);

    expect(data(await bus.replay())).toEqual(['a', 'b', 'c', 'd']);
    expect(data(await bus.replay('user.*'))).toEqual(['a', 'b']);
    expect(data(await bus.replay('user.**'))).toEqual(['a', 'b', 'd']);
    expect(data(await bus.replay('**', { since: b.recordedAt }))).toEqual(['b', 'c', 'd']);
    expect(data(await bus.replay('**', { since: new Date(c.recordedAt) }))).toEqual(['c', 'd']);
    expect(data(await bus.replay('**', { until: b.recordedAt }))).toEqual(['a', 'b']);
    expect(data(await bus.replay('**', { since: a.recordedAt, until: a.recordedAt }))).toEqual([
      'a',
    ]);
    expect(data(await bus.replay('**', { limit: 2 }))).toEqual(['a', 'b']);
    expect(data(await bus.replay('**', { afterLogId: b.logId, limit: 1 }))).toEqual(['c']);
    expect(data(await bus.replay('**', { correlationId: 'c1' }))).toEqual(['a', 'c']);
    expect(data(await bus.replay('user.**', { correlationId: 'c1' }))).toEqual(['a']);
    expect(data(await bus.replay('nothing.here'))).toEqual([]);
    expect(d.logId > c.logId).toBe(true);
  });

  it('rejects a bad pattern or limit', async () => {
    const bus = newBus();
    await expect(bus.replay('a..b')).rejects.toBeInstanceOf(InvalidPatternError);
    await expect(bus.replay('**', { limit: -1 })).rejects.toMatchObject({
      code: 'invalid_attribute',
    });
  });
});

describe('stream', () => {
  it('emits live matching signals and removes its subscription on unsubscribe', async () => {
    const bus = newBus();
    const got: string[] = [];
    const subscription = bus.stream('user.*').subscribe((s) => got.push(s.type));
    expect(bus.subscriptions()).toMatchObject([{ kind: 'stream', pattern: 'user.*' }]);
    await bus.publish([sig('user.created'), sig('order.created'), sig('user.deleted')]);
    expect(got).toEqual(['user.created', 'user.deleted']);
    subscription.unsubscribe();
    expect(bus.subscriptions()).toEqual([]);
    await bus.publish(sig('user.created'));
    expect(got).toHaveLength(2);
  });

  it('starts with the replay and continues live, buffering signals published during the replay', async () => {
    const bus = newBus();
    for (let i = 0; i < 5; i++) await bus.publish(sig('n', i));
    const got: unknown[] = [];
    bus.stream('n', { replay: {} }).subscribe((s) => got.push(s.data));
    // Published while the replay read is in flight: buffered, emitted right after the history
    // — and awaiting the publish means the observer has them.
    await Promise.all([bus.publish(sig('n', 5)), bus.publish(sig('n', 6))]);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await bus.publish(sig('n', 7));
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('has no duplicate when the replay already contains signals that were also delivered live', async () => {
    const bus = newBus({ store: new SlowReadStore() });
    await bus.publish([sig('n', 0), sig('n', 1)]);
    const got: unknown[] = [];
    bus.stream('n', { replay: {} }).subscribe((s) => got.push(s.data));
    // Recorded before the (slow) replay read runs, so the replay holds them — and they are
    // delivered live (buffered) as well: the stream must emit each once.
    const publishing = Promise.all([bus.publish(sig('n', 2)), bus.publish(sig('n', 3))]);
    await sleep(5);
    expect(got).toEqual([]);
    await publishing;
    expect(got).toEqual([0, 1, 2, 3]);
    await bus.publish(sig('n', 4));
    expect(got).toEqual([0, 1, 2, 3, 4]);
    await bus.close();
    await bus.store.close();
  });

  it('replay options filter the history part', async () => {
    const bus = newBus();
    await bus.publish([
      sig('n', 0, { correlationid: 'x' }),
      sig('n', 1),
      sig('n', 2, { correlationid: 'x' }),
    ]);
    const first = firstValueFrom(
      bus.stream('n', { replay: { correlationId: 'x' } }).pipe(take(3), toArray()),
    );
    await sleep(1);
    await bus.publish(sig('n', 3));
    expect((await first).map((s: Signal) => s.data)).toEqual([0, 2, 3]);
  });

  it('completes when the bus closes and errors when it is already closed', async () => {
    const bus = newBus();
    let completed = false;
    bus.stream('**').subscribe({ complete: () => (completed = true) });
    await bus.close();
    expect(completed).toBe(true);
    let error: unknown;
    bus.stream('**').subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toBeInstanceOf(BusClosedError);
  });

  it('throws a bad pattern immediately', () => {
    const bus = newBus();
    expect(() => bus.stream('a.**.**')).toThrow(InvalidPatternError);
  });
});
