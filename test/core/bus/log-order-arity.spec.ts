import { describe, expect, it } from '@jest/globals';
import type { Signal } from '../../../lib/core/signal/signal.js';
import type { SignalHandler } from '../../../lib/core/bus/subscription.js';
import { prng } from '../../helpers/prng.js';
import { busFactory, sig, sleep } from './helpers.js';

const newBus = busFactory('log-order-arity', { timeout: 50 });

/**
 * Invariant (docs/bus.md "Ordering"): every subscription is handed its signals in log order
 * across a seeded burst of 3,000 un-awaited publishes (1–3 signals each, some from inside
 * handlers), whatever the handler's arity (0–3 parameters, arrow, function, bound, class
 * method); ordinary handlers get the signal (and `undefined` as the second argument when they
 * declare one) and no `this`; each publish resolves with its own entries, in its own order.
 */
describe('FIFO hand-over with handlers of every arity (seeded burst)', () => {
  it('hands each subscription its signals in log order', async () => {
    const random = prng(77);
    const bus = newBus();
    const got = new Map<string, string[]>();
    const argsSeen = new Map<string, Set<string>>();
    const note = (id: string, self: unknown, args: unknown[]): void => {
      const s = args[0] as Signal;
      got.get(id)!.push(s.id);
      argsSeen
        .get(id)!
        .add(
          `${self === undefined ? 'no-this' : 'this'}/${args.length}/${args.slice(1).map(String).join(',')}`,
        );
    };
    class Holder {
      onSignal(this: unknown, ...args: unknown[]): unknown {
        note('method', undefined, args);
        return random() < 0.5 ? Promise.resolve() : undefined;
      }
    }
    const holder = new Holder();
    // Handlers of every arity: their declared parameters are what the bus reads.
    const handlers: Record<string, (s: Signal, d: unknown, e: unknown) => unknown> = {
      zero: function (this: unknown) {
        // eslint-disable-next-line prefer-rest-params
        note('zero', this, [...arguments]);
        return sleep(random() < 0.1 ? 1 : 0);
      },
      one: function (this: unknown, s: Signal) {
        // eslint-disable-next-line prefer-rest-params
        note('one', this, [...arguments]);
        void s;
        return random() < 0.3 ? Promise.reject(new Error('x')) : undefined;
      },
      two: function (this: unknown, s: Signal, d: unknown) {
        // eslint-disable-next-line prefer-rest-params
        note('two', this, [...arguments]);
        void s;
        void d;
        return Promise.resolve();
      },
      three: function (this: unknown, s: Signal, d: unknown, e: unknown) {
        // eslint-disable-next-line prefer-rest-params
        note('three', this, [...arguments]);
        void s;
        void d;
        void e;
        return undefined;
      },
      bound: function (this: unknown, s: Signal) {
        // eslint-disable-next-line prefer-rest-params
        note('bound', undefined, [...arguments]);
        void s;
        return Promise.resolve();
      }.bind({}),
      method: holder.onSignal,
      arrow: (...args: unknown[]) => {
        note('arrow', undefined, args);
        if (random() < 0.2) void bus.publish(sig('ev.follow'));
        return random() < 0.5 ? sleep(0) : undefined;
      },
    };
    for (const [id, fn] of Object.entries(handlers)) {
      got.set(id, []);
      argsSeen.set(id, new Set());
      await bus.subscribe(id === 'arrow' ? 'ev.x' : 'ev.**', {
        subscriptionId: id,
        dispatch: fn as unknown as SignalHandler,
      });
    }
    const publishes: Promise<void>[] = [];
    for (let i = 0; i < 3000; i++) {
      const signals = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        sig(random() < 0.5 ? 'ev.x' : 'ev.y'),
      );
      publishes.push(
        bus.publish(signals).then((entries) => {
          expect(entries.map((e) => e.signal.id)).toEqual(signals.map((s) => s.id));
        }),
      );
    }
    await Promise.all(publishes);
    await sleep(5);
    const log = (await bus.replay('**')).map((e) => e.signal);
    for (const [id, seen] of got) {
      const expected = log
        .filter((s) => (id === 'arrow' ? s.type === 'ev.x' : true))
        .map((s) => s.id);
      expect({ id, seen }).toEqual({ id, seen: expected });
    }
    expect(Object.fromEntries([...argsSeen].map(([k, v]) => [k, [...v]]))).toEqual({
      zero: ['no-this/1/'],
      one: ['no-this/1/'],
      two: ['no-this/2/undefined'],
      three: ['no-this/2/undefined'],
      bound: ['no-this/1/'],
      method: ['no-this/1/'],
      arrow: ['no-this/1/'],
    });
  }, 20_000);
});
