import { describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { PersistentStats } from '../../../lib/core/bus/persistent/engine.js';
import type { DeliveryContext } from '../../../lib/core/dispatch/adapter.interface.js';
import { isJidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { prng } from '../../helpers/prng.js';
import { sig, sleep } from './helpers.js';

const OUTCOMES = [
  'ack-sync-return', // ack inside the handler, then return
  'ack-sync-throw', // ack inside the handler, then throw
  'ack-sync-reject', // ack inside, then reject later
  'nack-sync-resolve', // nack inside (delay 0), then resolve later
  'ack-twice-later',
  'nack-after-ack',
  'ack-late-stored', // ack 2..12 ms later via the stored id (maybe after the ack timeout)
  'hang',
  'throw',
  'reject-later',
  'never-ack',
  'ack-then-hang', // ack inside, then never settle
] as const;
type Outcome = (typeof OUTCOMES)[number];

/**
 * Several persistent subscriptions on overlapping patterns (one with maxInFlight 1 — the lone
 * fast path — one with several in flight, one autoAck), tiny ack timeouts, handlers that ack /
 * nack AND return / throw / hang, late acks from stored ids, un-awaited bursts of single and
 * batch publishes, and a reconnect in the middle. Outcomes are drawn from a PRNG seeded by
 * (seed, subscription, signal, attempt).
 *
 * Invariants checked:
 * - every publish promise settles (resolves, or rejects with queue_full only);
 * - per subscription, every accepted matching signal ends acked XOR dead-lettered:
 *   acked + DLQ entries = accepted matching signals, DLQ entries unique, no signal that we
 *   acked successfully is in the DLQ, no signal acked successfully twice;
 * - in flight / pending / retrying return to 0 and stay within bounds at every hand-over;
 * - no ack/nack fails with anything but unknown_log_id.
 */
interface SubSpec {
  id: string;
  pattern: string;
  maxInFlight: number;
  maxPending: number;
  autoAck: boolean;
  ackTimeout: number;
  matches: (type: string) => boolean;
}
const SUBS: SubSpec[] = [
  {
    id: 'lone',
    pattern: 'job.*',
    maxInFlight: 1,
    maxPending: 400,
    autoAck: false,
    ackTimeout: 3,
    matches: () => true,
  },
  {
    id: 'multi',
    pattern: 'job.*',
    maxInFlight: 4,
    maxPending: 400,
    autoAck: false,
    ackTimeout: 5,
    matches: () => true,
  },
  {
    id: 'auto',
    pattern: 'job.x',
    maxInFlight: 3,
    maxPending: 400,
    autoAck: true,
    ackTimeout: 4,
    matches: (t) => t === 'job.x',
  },
];

describe('persistent: random outcomes, reconnects and bursts (seeded)', () => {
  it.each([{ seed: 1 }, { seed: 42 }, { seed: 977 }])(
    'seed $seed',
    async ({ seed }) => {
      const TOTAL = 300;
      const random = prng(seed);
      const bus = new SignalBus({ name: `chaos-${seed}` });
      bus.errors$.subscribe(() => undefined);
      const unexpected: unknown[] = [];
      const ackedByUs = new Map<string, number>(); // `${sub}/${signal}` → successful acks
      let violations = 0;
      const tolerate = (e: unknown): void => {
        if (!isJidoSignalError(e, 'unknown_log_id')) unexpected.push(e);
      };
      const ack = (sub: string, id: string): Promise<void> =>
        bus.ack(sub, id).then(() => {
          const k = `${sub}/${id}`;
          ackedByUs.set(k, (ackedByUs.get(k) ?? 0) + 1);
        }, tolerate);
      const nack = (sub: string, id: string): Promise<void> =>
        bus.nack(sub, id, { delay: 0 }).catch(tolerate);
      const check = (spec: SubSpec, st: PersistentStats): void => {
        if (
          st.inFlight > spec.maxInFlight ||
          st.inFlight + st.pending + st.retrying > spec.maxInFlight + spec.maxPending
        ) {
          violations++;
        }
      };

      const handler =
        (spec: SubSpec, salt: number) =>
        (s: Signal, delivery?: DeliveryContext): unknown => {
          const i = (s.data as { i: number }).i;
          const r = prng(seed * 7919 + i * 131 + delivery!.attempt * 17 + salt);
          const outcome: Outcome = OUTCOMES[Math.floor(r() * OUTCOMES.length)];
          const delay = 1 + Math.floor(r() * 4);
          const sub = spec.id;
          // Sample the stats synchronously at the hand-over.
          void bus.stats().then((all) => {
            const st = all.subscriptions.find((x) => x.id === sub)?.persistence;
            if (st !== undefined) check(spec, st);
          });
          const ackNow = (): void => void ack(sub, s.id);
          switch (outcome) {
            case 'ack-sync-return':
              ackNow();
              return undefined;
            case 'ack-sync-throw':
              ackNow();
              throw new Error('threw after ack');
            case 'ack-sync-reject':
              ackNow();
              return sleep(delay).then(() => Promise.reject(new Error('rejected after ack')));
            case 'nack-sync-resolve':
              void nack(sub, s.id);
              return sleep(delay);
            case 'ack-twice-later':
              setTimeout(() => void ack(sub, s.id).then(() => ack(sub, s.id)), delay);
              return undefined;
            case 'nack-after-ack':
              setTimeout(() => void ack(sub, s.id).then(() => nack(sub, s.id)), delay);
              return undefined;
            case 'ack-late-stored': {
              const id = s.id;
              setTimeout(() => void ack(sub, id), 2 + Math.floor(r() * 10));
              return undefined;
            }
            case 'hang':
              return new Promise<never>(() => undefined);
            case 'throw':
              throw new Error('boom');
            case 'reject-later':
              return sleep(delay).then(() => Promise.reject(new Error('later')));
            case 'never-ack':
              return undefined;
            case 'ack-then-hang':
              ackNow();
              return new Promise<never>(() => undefined);
          }
        };

      for (const spec of SUBS) {
        await bus.subscribe(spec.pattern, {
          persistent: true,
          subscriptionId: spec.id,
          autoAck: spec.autoAck,
          maxInFlight: spec.maxInFlight,
          maxPending: spec.maxPending,
          maxAttempts: 3,
          ackTimeout: spec.ackTimeout,
          retryInterval: 1,
          dispatch: handler(spec, 0),
        });
      }

      const publishes: { signals: Signal[]; p: Promise<string> }[] = [];
      let next = 0;
      let reconnected = false;
      while (next < TOTAL) {
        const burst = 1 + Math.floor(random() * 12);
        for (let b = 0; b < burst && next < TOTAL; b++) {
          const n = random() < 0.5 ? 1 : 1 + Math.floor(random() * 5);
          const signals = Array.from({ length: Math.min(n, TOTAL - next) }, () =>
            sig(random() < 0.6 ? 'job.x' : 'job.y', { i: next++ }),
          );
          const p = bus.publish(signals.length === 1 ? signals[0] : signals).then(
            () => 'ok',
            (e: unknown) => {
              if (isJidoSignalError(e, 'queue_full')) return 'full';
              unexpected.push(e);
              return 'error';
            },
          );
          publishes.push({ signals, p });
        }
        if (!reconnected && next > TOTAL / 2) {
          reconnected = true;
          const spec = SUBS[Math.floor(random() * SUBS.length)];
          await bus.reconnect(spec.id, handler(spec, 99));
        }
        await sleep(Math.floor(random() * 4));
      }

      // Every publish settles.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settled = await Promise.race([
        Promise.all(publishes.map((x) => x.p)),
        new Promise<undefined>((r) => {
          timer = setTimeout(() => r(undefined), 10_000);
        }),
      ]);
      clearTimeout(timer);
      expect(settled).toBeDefined();

      // Drain.
      const stats = async (): Promise<Map<string, PersistentStats>> =>
        new Map((await bus.stats()).subscriptions.map((s) => [s.id, s.persistence!]));
      const end = Date.now() + 15_000;
      for (;;) {
        const all = await stats();
        const busy = [...all.values()].some((st) => st.inFlight + st.pending + st.retrying > 0);
        if (!busy || Date.now() > end) break;
        await sleep(10);
      }
      await sleep(30);

      const accepted: Signal[] = [];
      for (let k = 0; k < publishes.length; k++) {
        if ((await publishes[k].p) === 'ok') accepted.push(...publishes[k].signals);
      }
      const all = await stats();
      const report: Record<string, unknown> = {};
      const expected: Record<string, unknown> = {};
      for (const spec of SUBS) {
        const st = all.get(spec.id)!;
        const matching = accepted.filter((s) => spec.matches(s.type));
        const dead = await bus.dlq.list(spec.id);
        const deadIds = new Set(dead.map((e) => e.signal.id));
        let ackedAndDead = 0;
        let ackedTwice = 0;
        for (const [k, count] of ackedByUs) {
          const [sub, id] = k.split('/');
          if (sub !== spec.id) continue;
          if (count > 1) ackedTwice++;
          if (deadIds.has(id)) ackedAndDead++;
        }
        report[spec.id] = {
          live: [st.inFlight, st.pending, st.retrying],
          total: st.acked + dead.length,
          uniqueDlq: deadIds.size === dead.length,
          ackedAndDead,
          ackedTwice,
        };
        expected[spec.id] = {
          live: [0, 0, 0],
          total: matching.length,
          uniqueDlq: true,
          ackedAndDead: 0,
          ackedTwice: 0,
        };
      }
      expect({ report, violations, unexpected }).toEqual({
        report: expected,
        violations: 0,
        unexpected: [],
      });
      await bus.close({ timeout: 100 });
    },
    60_000,
  );
});
