import { describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { isJidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { MemoryStore } from '../../../lib/core/store/memory.store.js';
import { sig, sleep } from './helpers.js';
import { prng } from '../../helpers/prng.js';

describe('persistent subscriptions: randomized at-least-once', () => {
  for (const seed of [1, 42, 2024]) {
    it(`seed ${seed}: every signal is acked exactly once or dead-lettered, none lost`, async () => {
      const random = prng(seed);
      const MAX_IN_FLIGHT = 25;
      const store = new MemoryStore();
      const bus = new SignalBus({ name: 'rand', store });
      bus.errors$.subscribe(() => undefined);
      const logIdOf = new Map<string, string>(); // signal id → log id
      const matching = new Set<string>(); // log ids the subscription must account for
      const ackedCount = new Map<string, number>();
      let held: Signal[] = []; // delivered to the current receiver, not resolved by us
      let maxSeen = 0;
      let deliveredNoise = 0;
      const receiver = (s: Signal): void => {
        if (!s.type.startsWith('job.')) deliveredNoise++;
        if (random() < 0.15) throw new Error('random failure');
        held.push(s);
        maxSeen = Math.max(maxSeen, held.length);
      };
      await bus.subscribe('job.*', {
        persistent: true,
        subscriptionId: 'r',
        maxInFlight: MAX_IN_FLIGHT,
        maxPending: 400,
        maxAttempts: 4,
        retryInterval: 0,
        ackTimeout: 0,
        dispatch: receiver,
      });
      let published = 0;
      let rejected = 0;
      const take = (n: number): Signal[] => {
        const out: Signal[] = [];
        for (let i = 0; i < n && held.length > 0; i++) {
          const k = Math.floor(random() * held.length);
          out.push(held[k]);
          held[k] = held[held.length - 1];
          held.pop();
        }
        return out;
      };
      const ackSome = async (n: number): Promise<void> => {
        const batch = take(n);
        if (batch.length === 0) return;
        const ids = batch.map((s) => (random() < 0.5 ? s.id : logIdOf.get(s.id)!));
        if (random() < 0.05) {
          await expect(bus.ack('r', [...ids, 'not-an-id'])).rejects.toMatchObject({
            code: 'invalid_log_id',
          });
        }
        await bus.ack('r', ids);
        for (const s of batch) {
          const logId = logIdOf.get(s.id)!;
          ackedCount.set(logId, (ackedCount.get(logId) ?? 0) + 1);
        }
      };
      for (let step = 0; published < 3000; step++) {
        const r = random();
        if (r < 0.45) {
          const n = 1 + Math.floor(random() * 20);
          const batch = Array.from({ length: n }, (_, i) =>
            random() < 0.2 ? sig('noise.x', { step, i }) : sig('job.x', { step, i }),
          );
          try {
            const entries = await bus.publish(batch);
            for (const e of entries) {
              logIdOf.set(e.signal.id, e.logId);
              if (e.signal.type.startsWith('job.')) matching.add(e.logId);
            }
            published += n;
          } catch (error) {
            expect(isJidoSignalError(error, 'queue_full')).toBe(true);
            rejected++;
          }
        } else if (r < 0.8) {
          await ackSome(1 + Math.floor(random() * 15));
        } else if (r < 0.93) {
          const [s] = take(1);
          if (s !== undefined) {
            const requeue = random() > 0.1;
            await bus.nack('r', random() < 0.5 ? s.id : logIdOf.get(s.id)!, {
              requeue,
              delay: 0,
            });
          }
        } else if (r < 0.98) {
          held = []; // the old receiver is gone with what it held
          await bus.reconnect('r', receiver);
        } else {
          await bus.dlq.redrive('r', { limit: 5 });
        }
        const stats = (await bus.stats()).subscriptions[0].persistence!;
        expect(stats.inFlight).toBeLessThanOrEqual(MAX_IN_FLIGHT);
        expect(held.length).toBeLessThanOrEqual(MAX_IN_FLIGHT);
      }
      // Drain: ack everything until nothing is outstanding.
      for (let i = 0; i < 10_000; i++) {
        const stats = (await bus.stats()).subscriptions[0].persistence!;
        if (stats.inFlight === 0 && stats.pending === 0) break;
        if (held.length === 0) {
          held = [];
          await bus.reconnect('r', receiver);
        }
        await ackSome(held.length);
      }
      await sleep(1);
      const final = (await bus.stats()).subscriptions[0].persistence!;
      expect(final).toMatchObject({ inFlight: 0, pending: 0 });
      const dlq = await bus.dlq.list('r');
      const dead = new Set(dlq.map((e) => e.logId!));
      expect(dead.size).toBe(dlq.length);
      for (const [logId, count] of ackedCount) {
        expect(count).toBe(1);
        expect(dead.has(logId)).toBe(false);
      }
      for (const logId of matching) expect(ackedCount.has(logId) || dead.has(logId)).toBe(true);
      expect(ackedCount.size + dead.size).toBe(matching.size);
      expect(deliveredNoise).toBe(0);
      expect(maxSeen).toBeLessThanOrEqual(MAX_IN_FLIGHT);
      expect(rejected).toBeGreaterThanOrEqual(0);
      const last = [...matching].sort().at(-1);
      expect(final.checkpoint).toBe(last);
      await bus.close();
      // The stored checkpoint agrees: nothing is left to redeliver.
      const bus2 = new SignalBus({ name: 'rand', store });
      const again: Signal[] = [];
      await bus2.subscribe('job.*', {
        persistent: true,
        subscriptionId: 'r',
        dispatch: (s: Signal) => void again.push(s),
      });
      expect(again).toEqual([]);
      await bus2.close();
    });
  }
});
