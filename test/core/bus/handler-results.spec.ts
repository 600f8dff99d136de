import { describe, expect, it } from '@jest/globals';
import { SubscriberError } from '../../../lib/core/errors/bus.error.js';
import { busFactory, collectErrors, deferred, sig, sleep } from './helpers.js';

// What a handler may return: any value, a promise, or any thenable — also one whose `then`
// throws, calls back at once or calls both callbacks. "A subscriber that throws, rejects or
// whose dispatch fails never fails the publish or the other subscribers" (SignalBus TSDoc).

const newBus = busFactory('handler-results', { timeout: 50 });

/** 'TIMEOUT' when `p` has not settled within `ms`. */
const within = <T>(p: Promise<T>, ms = 200): Promise<T | 'TIMEOUT'> =>
  Promise.race([p, sleep(ms).then(() => 'TIMEOUT' as const)]);

describe('a handler returning a thenable whose then() throws (per-delivery plain path)', () => {
  it('fails only that delivery; the publish and later publishes still resolve', async () => {
    const bus = newBus();
    const errors = collectErrors(bus);
    const throwingThen = {
      then(): never {
        throw new Error('then threw');
      },
    };
    await bus.subscribe('a', { subscriptionId: 'bad', dispatch: () => throwingThen });
    // Two signals in one publish: the per-delivery loop.
    const first = await within(
      bus.publish([sig('a'), sig('a')]).then(
        () => 'resolved',
        (e: Error) => `rejected: ${e.message}`,
      ),
    );
    // The publish queue goes on: later publishes settle too.
    const second = await within(bus.publish(sig('a')).then(() => 'resolved'));
    expect({
      first,
      second,
      reported: errors.map((e) => (e as SubscriberError).subscriptionId),
    }).toEqual({
      first: 'resolved',
      second: 'resolved',
      reported: ['bad', 'bad', 'bad'],
    });
  });
});

describe('a handler result whose `then` lookup throws', () => {
  it('fails only that delivery; later publishes still resolve', async () => {
    const bus = newBus();
    const errors = collectErrors(bus);
    // e.g. a revoked Proxy: any property read throws a TypeError.
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    await bus.subscribe('a', { subscriptionId: 'bad', dispatch: () => proxy });
    const first = await within(
      bus.publish(sig('a')).then(
        () => 'resolved',
        (e: Error) => `rejected: ${e.message}`,
      ),
    );
    const second = await within(bus.publish(sig('a')).then(() => 'resolved'));
    expect({
      first,
      second,
      reported: errors.map((e) => (e as SubscriberError).subscriptionId),
    }).toEqual({
      first: 'resolved',
      second: 'resolved',
      reported: ['bad', 'bad'],
    });
  });

  it('same with a plain object whose `then` getter throws', async () => {
    const bus = newBus();
    const errors = collectErrors(bus);
    const getterThrows = Object.defineProperty({}, 'then', {
      get(): never {
        throw new Error('getter threw');
      },
    });
    await bus.subscribe('a', { subscriptionId: 'bad', dispatch: () => getterThrows });
    const first = await within(
      bus.publish(sig('a')).then(
        () => 'resolved',
        (e: Error) => `rejected: ${e.message}`,
      ),
    );
    const second = await within(bus.publish(sig('a')).then(() => 'resolved'));
    expect({
      first,
      second,
      reported: errors.map((e) => (e as SubscriberError).subscriptionId),
    }).toEqual({
      first: 'resolved',
      second: 'resolved',
      reported: ['bad', 'bad'],
    });
  });
});

describe('a thenable that calls both callbacks (per-delivery plain path)', () => {
  it('counts the delivery once and holds the publish until the other delivery settles', async () => {
    const bus = newBus();
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
    let resolved = false;
    const publish = bus.publish([sig('a'), sig('a')]).then(() => (resolved = true));
    await sleep(10);
    // 'slow' still runs both its deliveries: the publish must not have resolved.
    const stats = (await bus.stats()).subscriptions.map((s) => [
      s.id,
      s.delivered,
      s.failed,
      s.inFlight,
    ]);
    expect({ resolved, stats, reported: errors.length }).toEqual({
      resolved: false,
      stats: [
        ['both', 2, 0, 0],
        ['slow', 0, 0, 2],
      ],
      reported: 0,
    });
    slow.resolve();
    await publish;
  });
});

describe('a Promise subclass whose then() calls back at once (shared publish)', () => {
  it('is settled like any thenable', async () => {
    const bus = newBus();
    // `instanceof Promise` does not mean native `then` semantics.
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
    const first = await within(
      bus.publish(sig('a')).then(
        () => 'resolved',
        (e: Error) => `rejected: ${e.message}`,
      ),
    );
    const second = await within(bus.publish(sig('a')).then(() => 'resolved'));
    const stats = (await bus.stats()).subscriptions.map((s) => [
      s.id,
      s.delivered,
      s.failed,
      s.inFlight,
    ]);
    expect({ first, second, stats }).toEqual({
      first: 'resolved',
      second: 'resolved',
      stats: [
        ['e1', 2, 0, 0],
        ['e2', 2, 0, 0],
      ],
    });
  });
});

describe('odd thenables on the observed path (a bus with middleware)', () => {
  it('a thenable whose then() throws fails only its delivery', async () => {
    const bus = newBus({ middleware: [{ name: 'noop', afterDispatch: () => undefined }] });
    const errors = collectErrors(bus);
    const throwingThen = {
      then(): never {
        throw new Error('then threw');
      },
    };
    await bus.subscribe('a', { subscriptionId: 'bad', dispatch: () => throwingThen });
    const first = await within(
      bus.publish(sig('a')).then(
        () => 'resolved',
        (e: Error) => `rejected: ${e.message}`,
      ),
    );
    const second = await within(bus.publish(sig('a')).then(() => 'resolved'));
    expect({ first, second, reported: errors.length }).toEqual({
      first: 'resolved',
      second: 'resolved',
      reported: 2,
    });
  });

  it('a thenable that calls both callbacks is settled once, by the first', async () => {
    const bus = newBus({ middleware: [{ name: 'noop', afterDispatch: () => undefined }] });
    const callsBoth = {
      then(ok: (v: unknown) => void, ko: (e: unknown) => void): void {
        ok(undefined);
        ko(new Error('ignored'));
      },
    };
    const slow = deferred();
    await bus.subscribe('a', { subscriptionId: 'both', dispatch: () => callsBoth });
    await bus.subscribe('a', { subscriptionId: 'slow', dispatch: () => slow.promise });
    let resolved = false;
    const publish = bus.publish(sig('a')).then(() => (resolved = true));
    await sleep(10);
    const stats = (await bus.stats()).subscriptions.map((s) => [
      s.id,
      s.delivered,
      s.failed,
      s.inFlight,
    ]);
    expect({ resolved, stats }).toEqual({
      resolved: false,
      stats: [
        ['both', 1, 0, 0],
        ['slow', 0, 0, 1],
      ],
    });
    slow.resolve();
    await publish;
  });
});
