import { describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { PersistentStats } from '../../../lib/core/bus/persistent/engine.js';
import type { DeliveryContext } from '../../../lib/core/dispatch/adapter.interface.js';
import { isJidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { prng } from '../../helpers/prng.js';
import { sig, sleep } from './helpers.js';

const OUTCOMES = [
  'succeed',
  'throw',
  'reject',
  'hang',
  'never-ack',
  'ack-twice',
  'nack',
  'slow-succeed',
] as const;
type Outcome = (typeof OUTCOMES)[number];

/**
 * Persistent subscriptions under random handler outcomes (seeded). Each delivery's outcome
 * is drawn from a PRNG seeded by (seed, signal, attempt), so it does not depend on timing.
 *
 * Invariants checked:
 * - at every sample (after each publish step and at every hand-over) the subscription holds
 *   at most `maxInFlight` in flight, at most `maxPending` pending, and at most
 *   `maxInFlight + maxPending` in all;
 * - every accepted signal ends acked XOR dead-lettered: `acked + DLQ = accepted`, no signal
 *   acked twice, none both acked by us and dead-lettered, the checkpoint reaches the end;
 * - a hung handler is always aborted (ackTimeout counts from hand-over), and nothing is left
 *   in flight, pending or retrying.
 */
describe('persistent subscriptions: random handler outcomes (seeded)', () => {
  const cases = [
    { seed: 11, autoAck: false },
    { seed: 2718, autoAck: true },
    { seed: 31337, autoAck: false },
  ];
  it.each(cases)(
    'seed $seed, autoAck $autoAck',
    async ({ seed, autoAck }) => {
      const MAX_IN_FLIGHT = 6;
      const MAX_PENDING = 60;
      const TOTAL = 240;
      const random = prng(seed);
      const bus = new SignalBus({ name: `outcomes-${seed}` });
      bus.errors$.subscribe(() => undefined);
      const unexpected: unknown[] = [];
      const ackedByUs = new Map<string, number>(); // signal id → successful explicit acks
      const hung: DeliveryContext[] = [];
      const outcomes = new Map<Outcome, number>();
      let violations = 0;
      let handovers = 0;
      let sampledHandovers = 0;

      const check = (st: PersistentStats): void => {
        if (
          st.inFlight > MAX_IN_FLIGHT ||
          st.pending > MAX_PENDING ||
          st.inFlight + st.pending + st.retrying > MAX_IN_FLIGHT + MAX_PENDING
        ) {
          violations++;
        }
      };
      const sample = async (): Promise<PersistentStats> => {
        const st = (await bus.stats()).subscriptions[0].persistence!;
        check(st);
        return st;
      };
      const ack = (id: string, expectOk: boolean): Promise<void> =>
        bus.ack('r', id).then(
          () => {
            ackedByUs.set(id, (ackedByUs.get(id) ?? 0) + 1);
          },
          (error: unknown) => {
            // A late ack (timed out and dead-lettered meanwhile, or acked already) is refused.
            if (expectOk && !isJidoSignalError(error, 'unknown_log_id')) unexpected.push(error);
            if (!expectOk && !isJidoSignalError(error, 'unknown_log_id')) unexpected.push(error);
          },
        );
      const later = (ms: number, fn: () => void): void => void setTimeout(fn, ms);

      const handler = (s: Signal, delivery?: DeliveryContext): unknown => {
        handovers++;
        sample().then(
          () => void sampledHandovers++,
          (error: unknown) => void unexpected.push(error),
        );
        const i = (s.data as { i: number }).i;
        const r = prng(seed * 7919 + i * 131 + delivery!.attempt);
        const outcome = OUTCOMES[Math.floor(r() * OUTCOMES.length)];
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        const delay = Math.floor(r() * 4);
        switch (outcome) {
          case 'succeed':
            if (!autoAck) later(delay, () => void ack(s.id, true));
            return undefined;
          case 'throw':
            throw new Error('handler threw');
          case 'reject':
            return sleep(delay).then(() => Promise.reject(new Error('handler rejected')));
          case 'hang':
            hung.push(delivery!);
            return new Promise<never>(() => undefined);
          case 'never-ack':
            return undefined;
          case 'ack-twice':
            later(delay, () => {
              void ack(s.id, true).then(() => ack(s.id, false));
            });
            return undefined;
          case 'nack': {
            const requeue = r() < 0.7;
            later(delay, () => {
              bus.nack('r', s.id, { requeue, delay: 0 }).catch((error: unknown) => {
                if (!isJidoSignalError(error, 'unknown_log_id')) unexpected.push(error);
              });
            });
            return undefined;
          }
          case 'slow-succeed':
            return sleep(1 + delay).then(() => {
              if (!autoAck) void ack(s.id, true);
            });
        }
      };

      await bus.subscribe('job.*', {
        persistent: true,
        subscriptionId: 'r',
        autoAck,
        maxInFlight: MAX_IN_FLIGHT,
        maxPending: MAX_PENDING,
        maxAttempts: 3,
        ackTimeout: 25,
        retryInterval: 1,
        dispatch: handler,
      });

      const accepted: Signal[] = [];
      let next = 0;
      while (next < TOTAL) {
        const n = 1 + Math.floor(random() * 8);
        const batch = Array.from({ length: Math.min(n, TOTAL - next) }, () =>
          sig('job.x', { i: next++ }),
        );
        try {
          await bus.publish(batch);
          accepted.push(...batch);
        } catch (error) {
          if (!isJidoSignalError(error, 'queue_full')) unexpected.push(error);
        }
        await sample();
        if (random() < 0.5) await sleep(Math.floor(random() * 5));
      }

      // Drain: hung and unacked deliveries time out, retries run, everything ends.
      const end = Date.now() + 15_000;
      let st = await sample();
      while (st.inFlight + st.pending + st.retrying > 0 && Date.now() < end) {
        await sleep(10);
        st = await sample();
      }
      await sleep(10); // late acks, nacks and rejections of aborted attempts come in

      st = await sample();
      expect({ inFlight: st.inFlight, pending: st.pending, retrying: st.retrying }).toEqual({
        inFlight: 0,
        pending: 0,
        retrying: 0,
      });
      expect(unexpected).toEqual([]);
      expect(violations).toBe(0);
      // Every hand-over was checked, and every accepted signal was handed over at least once.
      expect(sampledHandovers).toBe(handovers);
      expect(handovers).toBeGreaterThanOrEqual(accepted.length);
      const dead = await bus.dlq.list('r');
      const deadIds = new Set(dead.map((e) => e.signal.id));
      expect(deadIds.size).toBe(dead.length);
      expect(st.dlqDropped).toBe(0);
      // Acked XOR dead-lettered, each exactly once.
      expect(st.acked + dead.length).toBe(accepted.length);
      for (const [id, count] of ackedByUs) {
        expect(count).toBe(1);
        expect(deadIds.has(id)).toBe(false);
      }
      if (!autoAck) expect(ackedByUs.size).toBe(st.acked);
      const acceptedIds = new Set(accepted.map((s) => s.id));
      for (const id of deadIds) expect(acceptedIds.has(id)).toBe(true);
      const log = await bus.replay('job.*');
      const lastAccepted = log.filter((e) => acceptedIds.has(e.signal.id)).at(-1);
      expect(st.checkpoint).toBe(lastAccepted?.logId);
      // Every hung attempt was aborted by its ack deadline.
      expect(hung.length).toBeGreaterThan(0);
      for (const ctx of hung) expect(ctx.aborted).toBe(true);
      expect(outcomes.size).toBe(OUTCOMES.length);
      await bus.close();
    },
    30_000,
  );
});
