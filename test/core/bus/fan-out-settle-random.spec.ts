import { describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { SubscriberError } from '../../../lib/core/errors/bus.error.js';
import { matches } from '../../../lib/core/router/pattern.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { prng } from '../../helpers/prng.js';
import { collectErrors, sig, sleep } from './helpers.js';

type Outcome = 'ok' | 'reject' | 'throw' | 'sync';

/**
 * Ordinary subscriptions under random handler outcomes and random publish overlap (seeded,
 * bounded). A publish with several pending deliveries settles them through shared
 * per-subscription callbacks while other publishes are in flight, so outcomes must still be
 * attributed to the right subscription and signal. Invariants:
 * - every delivery is counted once: `delivered` + `failed` per subscription equals the
 *   signals it was handed, and each failure is reported once, naming its subscription and
 *   signal;
 * - a publish resolves only after every delivery of its signal settled;
 * - nothing stays in flight once all publishes resolved.
 */
describe('ordinary fan-out: random outcomes and overlapping publishes (seeded)', () => {
  it.each([{ seed: 7 }, { seed: 4242 }, { seed: 90210 }])('seed $seed', async ({ seed }) => {
    const random = prng(seed);
    const bus = new SignalBus({ name: `fan-settle-${seed}` });
    const errors = collectErrors(bus);
    const SUBS = 6;
    const TYPES = ['a.x', 'a.y', 'b.x'];
    const PATTERNS = ['a.*', '**', '*.x', 'a.x', 'b.*', '**'];
    const outcomeOf = new Map<string, Outcome>(); // `${sub}|${signal id}` → drawn outcome
    const delayOf = new Map<string, number>(); // ms before an async outcome settles
    const settled = new Set<string>();
    const expected = new Map<string, { handed: number; failed: Set<string> }>();
    for (let k = 0; k < SUBS; k++) {
      const id = `s${k}`;
      expected.set(id, { handed: 0, failed: new Set() });
      await bus.subscribe(PATTERNS[k], {
        subscriptionId: id,
        dispatch: (signal: Signal): unknown => {
          const key = `${id}|${signal.id}`;
          const outcome = outcomeOf.get(key)!;
          if (outcome === 'throw') {
            settled.add(key);
            throw new Error(key);
          }
          if (outcome === 'sync') {
            settled.add(key);
            return undefined;
          }
          const delay = delayOf.get(key)!;
          return (async () => {
            if (delay > 0) await sleep(delay);
            else await Promise.resolve();
            settled.add(key);
            if (outcome === 'reject') throw new Error(key);
          })();
        },
      });
    }
    const matching = (type: string): string[] =>
      PATTERNS.flatMap((p, k) => (matches(type, p) ? [`s${k}`] : []));
    const draw = (): Outcome => {
      const r = random();
      return r < 0.55 ? 'ok' : r < 0.7 ? 'reject' : r < 0.8 ? 'throw' : 'sync';
    };
    const publishes: Promise<void>[] = [];
    for (let round = 0; round < 40; round++) {
      const burst = 1 + Math.floor(random() * 4);
      for (let b = 0; b < burst; b++) {
        // Mostly one signal per publish (the shared path), sometimes two (per-delivery callbacks).
        const signals = Array.from({ length: random() < 0.8 ? 1 : 2 }, () =>
          sig(TYPES[Math.floor(random() * TYPES.length)]),
        );
        const keys: string[] = [];
        for (const signal of signals) {
          for (const id of matching(signal.type)) {
            const key = `${id}|${signal.id}`;
            keys.push(key);
            const outcome = draw();
            outcomeOf.set(key, outcome);
            delayOf.set(key, Math.floor(random() * 3));
            const e = expected.get(id)!;
            e.handed++;
            if (outcome === 'reject' || outcome === 'throw') e.failed.add(signal.id);
          }
        }
        publishes.push(
          bus.publish(signals).then(() => {
            // Resolved only once every delivery of its signals settled.
            for (const key of keys) expect(settled.has(key)).toBe(true);
          }),
        );
      }
      if (random() < 0.5) await publishes[publishes.length - 1];
    }
    await Promise.all(publishes);

    const { subscriptions } = await bus.stats();
    for (const s of subscriptions) {
      const e = expected.get(s.id)!;
      expect({ id: s.id, delivered: s.delivered, failed: s.failed, inFlight: s.inFlight }).toEqual({
        id: s.id,
        delivered: e.handed - e.failed.size,
        failed: e.failed.size,
        inFlight: 0,
      });
    }
    const reported = errors.map((error) => {
      expect(error).toBeInstanceOf(SubscriberError);
      const failure = error as SubscriberError;
      expect((failure.cause as Error).message).toBe(
        `${failure.subscriptionId}|${failure.signalId}`,
      );
      return `${failure.subscriptionId}|${failure.signalId}`;
    });
    expect(new Set(reported).size).toBe(reported.length);
    const failures = [...expected].flatMap(([id, e]) => [...e.failed].map((s) => `${id}|${s}`));
    expect(reported.sort()).toEqual(failures.sort());
    await bus.close();
  });
});

describe('ordinary fan-out: a delivery that never settles', () => {
  // Invariant: a hung delivery holds only its own publish; a burst of un-awaited publishes
  // after it settles and is counted exactly (delivered + failed + inFlight = handed).
  it('keeps the rest of a burst of 5,000 un-awaited publishes settling and counted', async () => {
    const bus = new SignalBus({ name: 'fan-hung' });
    let first = true;
    await bus.subscribe('job.*', {
      subscriptionId: 'hangs-once',
      dispatch: (): Promise<void> => {
        if (first) {
          first = false;
          return new Promise<void>(() => undefined); // never settles
        }
        return Promise.resolve();
      },
    });
    await bus.subscribe('job.*', { subscriptionId: 'ok', dispatch: async () => undefined });
    await bus.subscribe('job.*', {
      subscriptionId: 'odd-fails',
      dispatch: async (s: Signal) => {
        if ((s.data as number) % 2 === 1) throw new Error('odd');
      },
    });
    const hung = bus.publish(sig('job.x', 0));
    const rest = Array.from({ length: 5000 }, (_, i) => bus.publish(sig('job.x', i + 1)));
    await Promise.all(rest);
    let settled = false;
    void hung.then(() => (settled = true));
    await sleep(5);
    expect(settled).toBe(false);
    const stats = (await bus.stats()).subscriptions.map((s) => [
      s.id,
      s.delivered,
      s.failed,
      s.inFlight,
    ]);
    expect(stats).toEqual([
      ['hangs-once', 5000, 0, 1],
      ['ok', 5001, 0, 0],
      ['odd-fails', 2501, 2500, 0],
    ]);
    await bus.close({ timeout: 50 });
  });
});
