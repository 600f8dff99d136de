import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { DeliveryContext } from '../../../lib/core/dispatch/adapter.interface.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { sig, sleep } from './helpers.js';

/**
 * Docs: "A delivery not acked within `ackTimeout` **from its hand-over** ... is aborted"
 * (slack: up to 5 % *late*). The in-process engine reads the clock once per up to 64
 * hand-overs of async receivers (local-engine.ts #pump). An async handler runs
 * synchronously until its first await, so a later hand-over in the same pump is stamped
 * with the time of the first one and its deadline comes early.
 */
const buses: SignalBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 100 })));
});

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* spin: synchronous work before the handler's first await */
  }
}

describe('persistent: ackTimeout counts from hand-over for every delivery of a batch', () => {
  it('a delivery handed over 80 ms after the first of its batch gets its full ackTimeout', async () => {
    const bus = new SignalBus({ name: 'stale-clock' });
    buses.push(bus);
    bus.errors$.subscribe(() => undefined);
    const handedAt = new Map<string, number>();
    const abortedAfter = new Map<string, number>();
    await bus.subscribe('c.*', {
      persistent: true,
      subscriptionId: 's',
      autoAck: true,
      ackTimeout: 150,
      maxAttempts: 1,
      dispatch: async (s: Signal, delivery?: DeliveryContext) => {
        const name = (s.data as { n: string }).n;
        const at = Date.now();
        handedAt.set(name, at);
        delivery?.onAbort?.(() => abortedAfter.set(name, Date.now() - at));
        if (name === 'first') {
          busy(80); // synchronous part of an async handler
          await sleep(5);
          return;
        }
        await sleep(100); // well within 150 ms of its own hand-over
      },
    });
    await bus.publish([sig('c.x', { n: 'first' }), sig('c.x', { n: 'second' })]);
    await sleep(250);
    const st = (await bus.stats()).subscriptions[0].persistence!;
    // `second` was handed over ~80 ms after `first`; it settles ~100 ms after its hand-over.
    expect(handedAt.get('second')! - handedAt.get('first')!).toBeGreaterThanOrEqual(75);
    expect({
      aborted: [...abortedAfter.keys()],
      deadLettered: st.deadLettered,
      acked: st.acked,
    }).toEqual({ aborted: [], deadLettered: 0, acked: 2 });
  });
});
