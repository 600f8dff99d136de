import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { DeliveryContext } from '../../../lib/core/dispatch/adapter.interface.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { sig, sleep } from './helpers.js';

/**
 * The engine reports a failed attempt (errors$, DeliveryContext abort listeners) while the
 * delivery is still DISPATCHING and after it already left the in-flight count
 * (local-engine.ts #failed / #expired). A listener that acks or nacks the delivery
 * synchronously right then is applied to it as if it were still running.
 */
const buses: SignalBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 100 })));
});

async function live(bus: SignalBus) {
  const st = (await bus.stats()).subscriptions[0].persistence!;
  return { inFlight: st.inFlight, pending: st.pending, retrying: st.retrying, acked: st.acked };
}

describe('persistent: ack or nack from inside the failure report of an attempt', () => {
  it('an abort listener that acks the timed-out delivery: acked once, never redelivered, counts stay sane', async () => {
    const bus = new SignalBus({ name: 'ack-in-abort' });
    buses.push(bus);
    bus.errors$.subscribe(() => undefined);
    const attempts: number[] = [];
    await bus.subscribe('a.*', {
      persistent: true,
      subscriptionId: 's',
      ackTimeout: 20,
      maxAttempts: 3,
      retryInterval: 1,
      dispatch: (s: Signal, delivery?: DeliveryContext) => {
        attempts.push(delivery!.attempt);
        // Give up cleanly when aborted: ack so it is not retried.
        delivery!.onAbort!(() => void bus.ack('s', s.id).catch(() => undefined));
        return new Promise<never>(() => undefined); // hangs until the ack deadline
      },
    });
    await bus.publish(sig('a.x'));
    await sleep(120);
    const dlq = await bus.dlq.list('s');
    expect({ attempts, dlq: dlq.length, ...(await live(bus)) }).toEqual({
      attempts: [1],
      dlq: 0,
      inFlight: 0,
      pending: 0,
      retrying: 0,
      acked: 1,
    });
  });

  it('an errors$ subscriber that dead-letters a failing delivery (nack requeue:false): one DLQ entry, no redelivery', async () => {
    const bus = new SignalBus({ name: 'nack-in-errors' });
    buses.push(bus);
    const attempts: number[] = [];
    bus.errors$.subscribe((e) => {
      const signalId = (e as { signalId?: string }).signalId;
      if (signalId !== undefined) {
        void bus.nack('s', signalId, { requeue: false, reason: 'poison' }).catch(() => undefined);
      }
    });
    await bus.subscribe('a.*', {
      persistent: true,
      subscriptionId: 's',
      ackTimeout: 0,
      maxAttempts: 3,
      retryInterval: 1,
      dispatch: (_s: Signal, delivery?: DeliveryContext) => {
        attempts.push(delivery!.attempt);
        throw new Error('poison message');
      },
    });
    await bus.publish(sig('a.x'));
    await sleep(60);
    const dlq = await bus.dlq.list('s');
    const st = (await bus.stats()).subscriptions[0].persistence!;
    expect({
      attempts,
      dlq: dlq.length,
      deadLettered: st.deadLettered,
      inFlight: st.inFlight,
      pending: st.pending,
      retrying: st.retrying,
    }).toEqual({ attempts: [1], dlq: 1, deadLettered: 1, inFlight: 0, pending: 0, retrying: 0 });
  });
});
