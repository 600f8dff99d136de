import { describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { isJidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import type { RecordedSignal } from '../../../lib/core/store/signal-store.interface.js';
import { prng } from '../../helpers/prng.js';
import { busFactory, sig, sleep } from './helpers.js';

type Outcome = PromiseSettledResult<RecordedSignal[]>;

/**
 * Settle `promises`, or fail naming how many were still pending after `ms` (a hung bus
 * must fail the test with a message, not time it out).
 */
async function settleAll(promises: Promise<RecordedSignal[]>[], ms = 10_000): Promise<Outcome[]> {
  let pending = promises.length;
  const all = Promise.allSettled(
    promises.map((p) =>
      p.finally(() => {
        pending--;
      }),
    ),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${pending} of ${promises.length} publishes never settled`)),
      ms,
    );
  });
  try {
    return await Promise.race([all, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** `'same'`, or where two id lists first differ (cheaper than `toEqual` on 10,000 items). */
function compareIds(actual: readonly string[], expected: readonly string[]): string {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      return `differ at ${i} of ${actual.length}/${expected.length}: ${actual[i]} ≠ ${expected[i]}`;
    }
  }
  return 'same';
}

function rejections(outcomes: readonly Outcome[]): unknown[] {
  return outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
}

const makeBus = busFactory('burst', { timeout: 1000 });
function newBus(name: string): SignalBus {
  const bus = makeBus({ name });
  bus.errors$.subscribe(() => undefined);
  return bus;
}

describe('SignalBus: a burst of un-awaited publishes (regression: issue 15, stack overflow)', () => {
  // Before the fix, `#run → #invokePlain → #pump → #run` recursed once per queued publish
  // while a persistent subscription existed: ~2,000 publishes overflowed the stack, the
  // rest never settled and every later publish hung.
  it.each([2_000, 5_000, 10_000])(
    '%i publishes with a persistent subscription all resolve, in order, and the bus still works',
    async (n) => {
      const bus = newBus('burst');
      const seen: string[] = [];
      await bus.subscribe('job.*', {
        persistent: true,
        subscriptionId: 'p',
        autoAck: true,
        maxPending: 20_000,
        dispatch: (s: Signal) => void seen.push(s.id),
      });
      const signals = Array.from({ length: n }, (_, i) => sig('job.x', { i }));
      const outcomes = await settleAll(signals.map((s) => bus.publish(s)));
      expect(rejections(outcomes)).toEqual([]);
      expect(
        compareIds(
          seen,
          signals.map((s) => s.id),
        ),
      ).toBe('same');
      await expect(bus.publish(sig('job.after'))).resolves.toHaveLength(1);
      expect(seen).toHaveLength(n + 1);
      const stats = (await bus.stats()).subscriptions[0].persistence!;
      expect(stats).toMatchObject({ acked: n + 1, inFlight: 0, pending: 0 });
    },
  );

  // handlerErrors: 'reject' publishes are never grouped either (each collects its own errors).
  it('10,000 publishes with handlerErrors: reject all settle: the failing ones reject, the bus still works', async () => {
    const bus = newBus('burst-reject');
    await bus.subscribe('job.*', (s: Signal) => {
      if ((s.data as { i: number }).i % 100 === 0) throw new Error('every 100th fails');
    });
    const outcomes = await settleAll(
      Array.from({ length: 10_000 }, (_, i) =>
        bus.publish(sig('job.x', { i }), { handlerErrors: 'reject' }),
      ),
    );
    const refused = rejections(outcomes);
    expect(refused).toHaveLength(100);
    for (const error of refused) expect(isJidoSignalError(error, 'handlers_failed')).toBe(true);
    await expect(
      bus.publish(sig('job.after', { i: 1 }), { handlerErrors: 'reject' }),
    ).resolves.toHaveLength(1);
  });

  it('a queue_full burst rejects only the publishes that do not fit, and the bus recovers', async () => {
    const bus = newBus('burst-full');
    const held: Signal[] = [];
    await bus.subscribe('job.*', {
      persistent: true,
      subscriptionId: 'p',
      maxInFlight: 10,
      maxPending: 90,
      ackTimeout: 0,
      dispatch: (s: Signal) => void held.push(s),
    });
    const outcomes = await settleAll(
      Array.from({ length: 5_000 }, (_, i) => bus.publish(sig('job.x', { i }))),
    );
    const refused = rejections(outcomes);
    expect(refused).toHaveLength(5_000 - 100);
    for (const error of refused) expect(isJidoSignalError(error, 'queue_full')).toBe(true);
    // The first 100 fit (10 in flight + 90 waiting), in publish order.
    expect(outcomes.slice(0, 100).every((o) => o.status === 'fulfilled')).toBe(true);
    expect(held).toHaveLength(10);
    // Acking everything frees the subscription: later publishes are accepted again.
    while (held.length > 0)
      await bus.ack(
        'p',
        held.splice(0).map((s) => s.id),
      );
    await expect(bus.publish(sig('job.after'))).resolves.toHaveLength(1);
    expect(held.map((s) => s.type)).toEqual(['job.after']);
  });
});

describe('SignalBus: randomized publish bursts (seeded)', () => {
  // Invariant: every publish of a burst settles; a publish either resolves with entries that
  // are in the log and were delivered (ordinary: exactly once, in order; persistent: acked
  // or dead-lettered), or rejects with queue_full and recorded nothing; a publish after the
  // burst resolves. Bursts go up to 10,000 un-awaited publishes.
  const seeds = [7, 1337, 4242];
  it.each(seeds)(
    'seed %i',
    async (seed) => {
      const random = prng(seed);
      for (let round = 0; round < 2; round++) {
        const persistent = random() < 0.7;
        const overflow = random() < 0.5 ? 'reject' : 'dead-letter';
        const tight = random() < 0.4;
        const count = 500 + Math.floor(random() * 9_500);
        const bus = newBus(`rand-${seed}-${round}`);
        const ordinary: string[] = [];
        const persisted: string[] = [];
        await bus.subscribe('job.**', (s: Signal) => {
          ordinary.push(s.id);
          return random() < 0.3 ? Promise.resolve() : undefined;
        });
        if (persistent) {
          await bus.subscribe('job.*', {
            persistent: true,
            subscriptionId: 'p',
            autoAck: true,
            overflow,
            maxInFlight: tight ? 5 : 1000,
            maxPending: tight ? 50 : 20_000,
            // Async deliveries keep signals in flight, so a tight subscription fills up.
            dispatch: async (s: Signal) => {
              persisted.push(s.id);
              if (random() < 0.5) await sleep(0);
            },
          });
        }
        const published: Signal[][] = [];
        const promises: Promise<RecordedSignal[]>[] = [];
        for (let i = 0; i < count; i++) {
          const size = random() < 0.9 ? 1 : 1 + Math.floor(random() * 5);
          const batch = Array.from({ length: size }, (_, k) => sig('job.x', { i, k }));
          published.push(batch);
          promises.push(bus.publish(size === 1 && random() < 0.5 ? batch[0] : batch));
        }
        const outcomes = await settleAll(promises);
        const accepted: Signal[] = [];
        let wrong = 0;
        outcomes.forEach((o, i) => {
          if (o.status === 'fulfilled') {
            if (
              compareIds(
                o.value.map((e) => e.signal.id),
                published[i].map((s) => s.id),
              ) !== 'same'
            )
              wrong++;
            accepted.push(...published[i]);
          } else if (!isJidoSignalError(o.reason, 'queue_full')) wrong++;
        });
        expect(wrong).toBe(0);
        if (!persistent || overflow === 'dead-letter')
          expect(accepted.length).toBe(published.reduce((n, b) => n + b.length, 0));
        // None lost: the log holds exactly the accepted signals, in order, and the ordinary
        // subscriber got each once, in order.
        const log = await bus.replay('**');
        const acceptedIds = accepted.map((s) => s.id);
        expect(
          compareIds(
            log.map((e) => e.signal.id),
            acceptedIds,
          ),
        ).toBe('same');
        expect(compareIds(ordinary, acceptedIds)).toBe('same');
        if (persistent) {
          // Drain: every accepted signal ends acked or dead-lettered (overflow), once.
          // (Signals that waited for a slot are delivered after their publish resolved.)
          for (const end = Date.now() + 10_000; Date.now() < end;) {
            const st = (await bus.stats()).subscriptions.find((s) => s.id === 'p')!.persistence!;
            if (st.inFlight === 0 && st.pending === 0 && st.retrying === 0) break;
            await sleep(5);
          }
          const st = (await bus.stats()).subscriptions.find((s) => s.id === 'p')!.persistence!;
          const dead = await bus.dlq.list('p');
          // (The DLQ keeps at most maxDlqSize entries; the oldest ones are dropped, counted.)
          expect(st.acked + dead.length + st.dlqDropped).toBe(accepted.length);
          expect(dead.length).toBeLessThanOrEqual(st.maxDlqSize);
          expect(new Set(persisted).size).toBe(persisted.length);
          const ids = new Set([...persisted, ...dead.map((e) => e.signal.id)]);
          expect(ids.size + st.dlqDropped).toBe(accepted.length);
        }
        // The bus still works after the burst.
        await expect(bus.publish(sig('job.after'))).resolves.toHaveLength(1);
        await bus.close();
      }
    },
    30_000,
  );
});
