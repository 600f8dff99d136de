import { describe, expect, it } from '@jest/globals';
import type { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { SubscriberError } from '../../../lib/core/errors/bus.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { busFactory, collectErrors, deferred, sig, sleep } from './helpers.js';

// What a handler may return: any value, a promise, or any thenable — also one whose `then`
// throws, calls back at once or calls both callbacks. "A subscriber that throws, rejects or
// whose dispatch fails never fails the publish or the other subscribers" (SignalBus TSDoc).

const newBus = busFactory('handler-results', { timeout: 50 });
const observedBus = () =>
  newBus({ middleware: [{ name: 'noop', afterDispatch: () => undefined }] });

/** 'TIMEOUT' when `p` has not settled within `ms`. */
const within = <T>(p: Promise<T>, ms = 200): Promise<T | 'TIMEOUT'> =>
  Promise.race([p, sleep(ms).then(() => 'TIMEOUT' as const)]);

const outcome = (p: Promise<unknown>) =>
  within(
    p.then(
      () => 'resolved',
      (e: Error) => `rejected: ${e.message}`,
    ),
  );

const stats = async (bus: SignalBus) =>
  (await bus.stats()).subscriptions.map((s) => [s.id, s.delivered, s.failed, s.inFlight]);

/** Results whose `then` cannot be used: each fails its delivery, as `await` would. */
const unusable: [string, () => unknown][] = [
  [
    'then() throws',
    () => ({
      then(): never {
        throw new Error('then threw');
      },
    }),
  ],
  [
    '`then` lookup throws (a revoked proxy)',
    () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    },
  ],
  [
    '`then` getter throws',
    () =>
      Object.defineProperty({}, 'then', {
        get(): never {
          throw new Error('getter threw');
        },
      }),
  ],
];

/** The publishes that take each delivery path: shared (one signal), per delivery (two), observed. */
const paths: [string, () => SignalBus, (s: () => Signal) => Signal | Signal[]][] = [
  ['one signal (shared settle)', newBus, (s) => s()],
  ['two signals (per-delivery settle)', newBus, (s) => [s(), s()]],
  ['with middleware (observed path)', observedBus, (s) => s()],
];

describe.each(paths)('a publish of %s', (_path, make, signals) => {
  it.each(unusable)(
    'a handler result whose %s fails only its delivery; the publish queue goes on',
    async (_kind, result) => {
      const bus = make();
      const errors = collectErrors(bus);
      await bus.subscribe('a', { subscriptionId: 'bad', dispatch: result });
      await bus.subscribe('a', { subscriptionId: 'good', dispatch: async () => undefined });
      const first = signals(() => sig('a'));
      const n = Array.isArray(first) ? first.length : 1;
      expect(await outcome(bus.publish(first))).toBe('resolved');
      expect(await outcome(bus.publish(sig('a')))).toBe('resolved');
      expect(errors.map((e) => (e as SubscriberError).subscriptionId)).toEqual(
        Array(n + 1).fill('bad'),
      );
      expect(await stats(bus)).toEqual([
        ['bad', 0, n + 1, 0],
        ['good', n + 1, 0, 0],
      ]);
    },
  );

  it('a thenable that calls both callbacks is settled once, by the first', async () => {
    const bus = make();
    const errors = collectErrors(bus);
    // Promises/A+ 2.3.3.3.3: the first call wins, later ones are ignored (as `await` does).
    const callsBoth = {
      then(ok: (v: unknown) => void, ko: (e: unknown) => void): void {
        ok(undefined);
        ko(new Error('ignored'));
      },
    };
    const slow = deferred();
    await bus.subscribe('a', { subscriptionId: 'both', dispatch: () => callsBoth });
    await bus.subscribe('a', { subscriptionId: 'slow', dispatch: () => slow.promise });
    const first = signals(() => sig('a'));
    const n = Array.isArray(first) ? first.length : 1;
    let resolved = false;
    const publish = bus.publish(first).then(() => (resolved = true));
    await sleep(10);
    // 'slow' still runs: the publish must not have resolved.
    expect({ resolved, stats: await stats(bus), reported: errors.length }).toEqual({
      resolved: false,
      stats: [
        ['both', n, 0, 0],
        ['slow', 0, 0, n],
      ],
      reported: 0,
    });
    slow.resolve();
    await publish;
  });

  it('a Promise subclass whose then() calls back at once is settled like any thenable', async () => {
    const bus = make();
    // `instanceof Promise` does not mean native `then` timing.
    class EagerPromise<T> extends Promise<T> {
      override then<R1 = T, R2 = never>(
        ok?: ((v: T) => R1 | PromiseLike<R1>) | null,
        _ko?: ((e: unknown) => R2 | PromiseLike<R2>) | null,
      ): Promise<R1 | R2> {
        ok?.(undefined as T);
        return Promise.resolve() as Promise<R1 | R2>;
      }
    }
    await bus.subscribe('a', { subscriptionId: 'e1', dispatch: () => EagerPromise.resolve() });
    await bus.subscribe('a', { subscriptionId: 'e2', dispatch: () => EagerPromise.resolve() });
    const first = signals(() => sig('a'));
    const n = Array.isArray(first) ? first.length : 1;
    expect(await outcome(bus.publish(first))).toBe('resolved');
    expect(await outcome(bus.publish(sig('a')))).toBe('resolved');
    expect(await stats(bus)).toEqual([
      ['e1', n + 1, 0, 0],
      ['e2', n + 1, 0, 0],
    ]);
  });
});
