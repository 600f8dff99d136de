import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { coveringPattern } from '../../../lib/core/bus/pattern-list.js';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { matches } from '../../../lib/core/router/pattern.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';
import { MemoryStore } from '../../../lib/core/store/memory.store.js';
import { SignalSpy } from '../../../lib/testing/signal-spy.js';

const validPattern = fc
  .array(fc.constantFrom('a', 'b', 'c', '*', '**'), { minLength: 1, maxLength: 5 })
  .map((segments) => segments.filter((s, i) => !(s === '**' && segments[i - 1] === '**')))
  .map((segments) => segments.join('.'));
const type = fc
  .array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 6 })
  .map((segments) => segments.join('.'));

describe('coveringPattern', () => {
  it.each([
    [['payment.*', 'refund.*'], '*.*'],
    [['order.created', 'order.updated'], 'order.*'],
    [['order.created', 'order.item.added'], 'order.*.**'],
    [['a.**', 'a.b'], 'a.**'],
    [['x', 'y.z'], '*.**'],
    [['**.x', 'y'], '**'],
    [['only.one'], 'only.one'],
  ])('%j → %s', (patterns, expected) => {
    expect(coveringPattern(patterns)).toBe(expected);
  });

  // Invariant: every type one of the patterns matches, the cover matches (seed 14, 2000 runs).
  it('covers every type any pattern matches (seeded property)', () => {
    fc.assert(
      fc.property(fc.array(validPattern, { minLength: 1, maxLength: 4 }), type, (list, t) => {
        if (list.some((p) => matches(t, p))) expect(matches(t, coveringPattern(list))).toBe(true);
      }),
      { numRuns: 2000, seed: 14 },
    );
  });
});

describe('SignalBus.subscribe with a pattern list', () => {
  it('persistent: one subscription, each matching signal delivered once, resumed from the store', async () => {
    const store = new MemoryStore();
    const seen: string[] = [];
    const open = async (): Promise<SignalBus> => {
      const bus = new SignalBus({ name: 'b', store });
      await bus.subscribe(['payment.*', 'payment.captured', 'refund.*'], {
        persistent: true,
        autoAck: true,
        subscriptionId: 'settle',
        startFrom: 'origin',
        dispatch: (s: Signal) => void seen.push(s.type),
      });
      return bus;
    };
    const bus = await open();
    await bus.publish([
      createSignal('payment.captured'),
      createSignal('order.created'),
      createSignal('refund.issued'),
    ]);
    expect(seen).toEqual(['payment.captured', 'refund.issued']);
    expect(bus.subscriptions().map((s) => s.id)).toEqual(['settle']);
    await bus.close();

    const again = await open();
    await again.publish(createSignal('refund.partial'));
    expect(seen).toEqual(['payment.captured', 'refund.issued', 'refund.partial']);
    await again.close();
    await store.close();
  });

  it('persistent: a reconnected receiver still gets only the listed patterns, and dispatch telemetry still sees it', async () => {
    const bus = new SignalBus({ name: 'r' });
    await bus.subscribe(['payment.*', 'refund.*'], {
      persistent: true,
      autoAck: true,
      subscriptionId: 'settle',
      dispatch: () => undefined,
    });
    const seen: string[] = [];
    await bus.reconnect('settle', (s: Signal) => void seen.push(s.type));
    const spy = new SignalSpy(bus);
    await bus.publish([
      createSignal('payment.captured'),
      createSignal('order.created'), // matched by the covering pattern `*.*`, by no listed one
      createSignal('refund.issued'),
    ]);
    expect(seen).toEqual(['payment.captured', 'refund.issued']);
    expect(spy.dispatched.map((s) => s.type)).toEqual(['payment.captured', 'refund.issued']);
    spy.detach();
    await bus.close();
  });

  it('ordinary: a list is refused with a message pointing to persistent', async () => {
    const bus = new SignalBus({ name: 'o' });
    await expect(bus.subscribe(['a.*', 'b.*'], () => undefined)).rejects.toMatchObject({
      code: 'invalid_option',
      message: expect.stringContaining('persistent'),
    });
    await bus.close();
  });
});
