import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';
import {
  CausalityContext,
  causalityDeliveryScope,
  recordPublished,
  SignalJournal,
} from '../../../lib/core/journal/index.js';

/**
 * End to end through the real SignalBus, without bus changes: handlers run inside the
 * causality context through the bus's `deliveryScope` seam, and a catch-all subscriber with
 * the highest priority records every signal before any other handler sees it. Until the bus
 * applies causality in `publish()` itself, handlers call `CausalityContext.applyCausality`
 * (idempotent, so it stays harmless once the bus does it too).
 */
describe('automatic causality through SignalBus', () => {
  it('A → B → C (and a concurrent second conversation) are linked and journaled', async () => {
    const journal = new SignalJournal();
    const bus = new SignalBus({ name: 'causality-e2e', deliveryScope: causalityDeliveryScope });
    const publish = (s: Signal) => bus.publish(CausalityContext.applyCausality(s));
    await bus.subscribe('**', {
      priority: 100,
      dispatch: (signal: Signal) => {
        void recordPublished(journal, [signal]);
      },
    });
    await bus.subscribe('order.placed', async (signal: Signal) => {
      await sleep(2);
      await publish(createSignal('payment.requested', signal.data));
    });
    await bus.subscribe('payment.requested', async (signal: Signal) => {
      await sleep(1);
      await publish(createSignal('payment.captured', signal.data));
    });

    const [a1, a2] = await Promise.all([
      publish(createSignal('order.placed', 1)),
      publish(createSignal('order.placed', 2, { extensions: { correlationid: 'second' } })),
    ]);
    await journal.flush();
    const first = a1[0].signal;
    const second = a2[0].signal;
    const chain1 = await journal.traceChain(first.id);
    expect(chain1.map((s) => [s.signal.type, s.signal.data, s.depth])).toEqual([
      ['order.placed', 1, 0],
      ['payment.requested', 1, 1],
      ['payment.captured', 1, 2],
    ]);
    for (const step of chain1.slice(1)) {
      expect(step.signal.extensions.correlationid).toBe(first.id);
      expect(step.signal.extensions.causationid).toBe(step.causeId);
    }
    expect((await journal.conversation('second')).map((s) => s.data)).toEqual([2, 2, 2]);
    expect((await journal.traceChain(second.id)).map((s) => s.signal.type)).toEqual([
      'order.placed',
      'payment.requested',
      'payment.captured',
    ]);
    await bus.close();
    await journal.close();
  });
});
