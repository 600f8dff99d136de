import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { sig, sleep } from './helpers.js';

const buses: SignalBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 100 })));
});

describe('persistent: the same signal published twice (two log entries, one signal id)', () => {
  it('after the first delivery is acked by signal id, the second can be acked by signal id too', async () => {
    const bus = new SignalBus({ name: 'same-twice' });
    buses.push(bus);
    const got: { s: Signal; logId: string }[] = [];
    await bus.subscribe('d.*', {
      persistent: true,
      subscriptionId: 's',
      ackTimeout: 0,
      dispatch: (s: Signal, logId?: unknown) => void got.push({ s, logId: String(logId) }),
    });
    const s = sig('d.x');
    const [a] = await bus.publish(s);
    const [b] = await bus.publish(s);
    expect(a.logId).not.toBe(b.logId);
    expect(got).toHaveLength(2);
    await bus.ack('s', s.id); // acks the first delivery
    const second = await bus.ack('s', s.id).then(
      () => 'acked',
      (e: unknown) => (e as { code?: string }).code ?? String(e),
    );
    await sleep(5);
    const st = (await bus.stats()).subscriptions[0].persistence!;
    expect({ second, acked: st.acked, inFlight: st.inFlight }).toEqual({
      second: 'acked',
      acked: 2,
      inFlight: 0,
    });
  });

  it('a handler that acks every delivery by signal id never sees it dead-lettered (both deliveries in flight at once)', async () => {
    const bus = new SignalBus({ name: 'same-twice-dlq' });
    buses.push(bus);
    bus.errors$.subscribe(() => undefined);
    const ackErrors: string[] = [];
    await bus.subscribe('d.*', {
      persistent: true,
      subscriptionId: 's',
      ackTimeout: 30,
      maxAttempts: 3,
      dispatch: (s: Signal) => {
        // Ack from a later tick, by signal id (documented as accepted).
        setTimeout(() => {
          bus.ack('s', s.id).catch((e: unknown) => ackErrors.push((e as { code: string }).code));
        }, 1);
      },
    });
    const s = sig('d.x');
    await bus.publish(s);
    await bus.publish(s); // the same signal again (e.g. a producer retry), both in flight
    await sleep(200);
    const st = (await bus.stats()).subscriptions[0].persistence!;
    const dlq = await bus.dlq.list('s');
    expect({ ackErrors, acked: st.acked, dlq: dlq.length }).toEqual({
      ackErrors: [],
      acked: 2,
      dlq: 0,
    });
  });
});
