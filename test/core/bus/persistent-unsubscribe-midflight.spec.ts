import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { MemoryStore } from '../../../lib/core/store/memory.store.js';
import { sig, sleep } from './helpers.js';

const buses: SignalBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 100 })));
});

/**
 * Invariant: publishes waiting on a hung first attempt settle when the subscription is
 * unsubscribed, and a resubscribe on the same store redelivers exactly the unacked signals.
 */
describe('persistent: unsubscribe with hung, queued and retrying deliveries', () => {
  it('publishes settle, and resuming redelivers only the unacked ones', async () => {
    const store = new MemoryStore();
    const bus = new SignalBus({ name: 'unsub-mid', store });
    buses.push(bus);
    bus.errors$.subscribe(() => undefined);
    const acked = new Set<number>();
    await bus.subscribe('u.*', {
      persistent: true,
      subscriptionId: 's',
      ackTimeout: 0,
      maxInFlight: 3,
      retryInterval: 10_000,
      dispatch: (s: Signal) => {
        const i = (s.data as { i: number }).i;
        if (i % 3 === 0) return new Promise<never>(() => undefined); // hangs
        if (i % 3 === 1) throw new Error('retry much later');
        acked.add(i);
        void bus.ack('s', s.id);
        return undefined;
      },
    });
    const ps = Array.from({ length: 12 }, (_, i) => bus.publish(sig('u.x', { i })));
    await sleep(10);
    await bus.unsubscribe('s');
    const settled = await Promise.race([
      Promise.allSettled(ps).then(() => 'settled'),
      sleep(500).then(() => 'hung'),
    ]);
    expect(settled).toBe('settled');
    const again: number[] = [];
    await bus.subscribe('u.*', {
      persistent: true,
      subscriptionId: 's',
      autoAck: true,
      dispatch: (s: Signal) => void again.push((s.data as { i: number }).i),
    });
    await sleep(20);
    const expected = Array.from({ length: 12 }, (_, i) => i).filter((i) => !acked.has(i));
    expect(again.sort((a, b) => a - b)).toEqual(expected);
  });
});
