// A failed attempt is reported (errors$, and the handler's abort listeners at the ack timeout)
// while it still counts as in flight: a listener that acks or nacks it right there settles
// it, and the failure leads to no retry. Both engines: in-process (MemoryStore) and remote
// (RedisStore against the local Redis).
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { DeliveryContext } from '../../../lib/core/dispatch/adapter.interface.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { RedisStore } from '../../../lib/core/store/redis/redis.store.js';
import type { SignalStore } from '../../../lib/core/store/signal-store.interface.js';
import { deleteRedisKeys, REDIS_URL, redisTestPrefix } from '../../helpers/redis.js';
import { sig, until } from './helpers.js';

const prefix = redisTestPrefix('ackreport');
const buses: SignalBus[] = [];
const opened: SignalStore[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 100 })));
  // A store handed to a bus is the caller's to close.
  await Promise.all(opened.splice(0).map((s) => s.close?.()));
});
afterAll(() => deleteRedisKeys(prefix));

let n = 0;
const stores: [string, () => Promise<SignalStore | undefined>][] = [
  ['in-process engine', () => Promise.resolve(undefined)],
  ['remote engine (Redis)', () => RedisStore.connect({ url: REDIS_URL, prefix, pollInterval: 50 })],
];

async function settled(bus: SignalBus) {
  const st = (await bus.stats()).subscriptions[0].persistence!;
  return { inFlight: st.inFlight, acked: st.acked, deadLettered: st.deadLettered };
}

describe.each(stores)('%s', (_engine, connect) => {
  async function newBus(): Promise<SignalBus> {
    const store = await connect();
    if (store !== undefined) opened.push(store);
    const bus = new SignalBus({ name: `ack-in-report-${n++}`, store });
    buses.push(bus);
    return bus;
  }

  it('an abort listener that acks the timed-out attempt: acked once, not redelivered', async () => {
    const bus = await newBus();
    bus.errors$.subscribe(() => undefined);
    const attempts: number[] = [];
    await bus.subscribe('a.*', {
      persistent: true,
      subscriptionId: 's',
      ackTimeout: 30,
      maxAttempts: 3,
      retryInterval: 1,
      dispatch: (s: Signal, delivery?: DeliveryContext) => {
        attempts.push(delivery!.attempt);
        // Give up cleanly when aborted: ack, so it is not retried.
        delivery?.onAbort?.(() => void bus.ack('s', s.id).catch(() => undefined));
        return new Promise<never>(() => undefined); // runs until the ack deadline
      },
    });
    await bus.publish(sig('a.x'));
    await until(async () => (await settled(bus)).acked === 1);
    await new Promise((resolve) => setTimeout(resolve, 100)); // a redelivery would come now
    expect({ attempts, dlq: (await bus.dlq.list('s')).length, ...(await settled(bus)) }).toEqual({
      attempts: [1],
      dlq: 0,
      inFlight: 0,
      acked: 1,
      deadLettered: 0,
    });
  });

  it('an errors$ listener that dead-letters the failed attempt (nack, requeue: false): one DLQ entry, no retry', async () => {
    const bus = await newBus();
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
    await until(async () => (await settled(bus)).deadLettered === 1);
    await new Promise((resolve) => setTimeout(resolve, 100)); // a retry would come now
    expect({ attempts, dlq: (await bus.dlq.list('s')).length, ...(await settled(bus)) }).toEqual({
      attempts: [1],
      dlq: 1,
      inFlight: 0,
      acked: 0,
      deadLettered: 1,
    });
  });
});
