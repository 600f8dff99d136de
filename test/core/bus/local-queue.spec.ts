import { describe, expect, it } from '@jest/globals';
import {
  Delivery,
  DONE,
  IN_FLIGHT,
  QUEUED,
} from '../../../lib/core/bus/persistent/local-delivery.js';
import { LocalQueue } from '../../../lib/core/bus/persistent/local-queue.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';

function delivery(key: string, signal: Signal, state = IN_FLIGHT): Delivery {
  const d = new Delivery(key, key, signal, true, undefined, 1);
  d.state = state;
  return d;
}

const keys = (q: LocalQueue): string[] => [...q.values()].map((d) => d.key);

describe('LocalQueue (the in-process engine’s tracked deliveries)', () => {
  it('keeps tracking order through forgets at the head, middle and tail', () => {
    const q = new LocalQueue();
    const s = createSignal('order.placed', {});
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((k) => delivery(k, s));
    for (const x of [a, b, c, d]) q.track(x);
    q.forget(b);
    expect(keys(q)).toEqual(['a', 'c', 'd']);
    q.forget(a);
    q.forget(d);
    expect(keys(q)).toEqual(['c']);
    q.forget(d); // not tracked any more: nothing changes
    expect(keys(q)).toEqual(['c']);
    q.forget(c);
    expect(keys(q)).toEqual([]);
    q.hold(a);
    expect(keys(q)).toEqual(['a']);
  });

  it('forgetAll unlinks every delivery, so none keeps another alive, and lookups find none', () => {
    const q = new LocalQueue();
    const s = createSignal('order.placed', {});
    const all = ['a', 'b', 'c'].map((k) => delivery(k, s));
    for (const x of all) q.track(x);
    expect(q.awaiting('b')?.key).toBe('b'); // builds the lookups
    q.forgetAll();
    expect(keys(q)).toEqual([]);
    for (const x of all) expect([x.prev, x.next]).toEqual([undefined, undefined]);
    expect(q.awaiting('b')).toBeUndefined();
    q.forget(all[1]); // not tracked: nothing changes
    q.track(all[0]);
    expect(keys(q)).toEqual(['a']);
  });

  it('finds deliveries by key and by signal id, whether tracked before or after the first lookup', () => {
    const q = new LocalQueue();
    const first = createSignal('order.placed', {});
    const second = createSignal('order.placed', {});
    const a = delivery('log-a', first);
    const again = delivery('dlq:1', first); // the same signal, redriven under its own key
    q.track(a);
    q.track(again);
    expect(q.awaiting('log-a')).toBe(a);
    expect(q.awaiting(first.id)).toBe(a); // the first delivery of a signal keeps its id
    const b = delivery('log-b', second);
    q.track(b); // after the lookups were built
    expect(q.awaiting('log-b')).toBe(b);
    expect(q.awaiting(second.id)).toBe(b);
    q.forget(a);
    expect(q.awaiting('log-a')).toBeUndefined();
    expect(q.awaiting('dlq:1')).toBe(again);
    expect(q.byKey.get('dlq:1')).toBe(again);
    expect([...q.byKey.keys()]).toEqual(['dlq:1', 'log-b']);
  });

  it('answers only for deliveries that await an ack', () => {
    const q = new LocalQueue();
    const s = createSignal('order.placed', {});
    const queued = delivery('q', s, QUEUED);
    const done = delivery('d', createSignal('order.placed', {}), DONE);
    q.track(queued);
    q.track(done);
    expect(q.awaiting('q')).toBeUndefined();
    expect(q.awaiting('d')).toBeUndefined();
    queued.state = IN_FLIGHT;
    expect(q.awaiting('q')).toBe(queued);
  });
});
