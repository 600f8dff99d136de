import { describe, expect, it } from '@jest/globals';
import {
  CausalityContext,
  createSignal,
  createTraceparent,
  parseTraceparent,
  SignalBus,
  SignalJournal,
  type Signal,
} from '../../../lib/index.js';

/** A → B → C through real bus handlers; resolves with every signal once C was handled. */
async function chain(bus: SignalBus): Promise<Signal[]> {
  const seen: Signal[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await bus.subscribe('order.placed', async (s) => {
    seen.push(s);
    await new Promise((r) => setTimeout(r, 1)); // the context survives awaits
    await bus.publish(createSignal('payment.requested', { order: (s.data as { id: number }).id }));
  });
  await bus.subscribe('payment.requested', async (s) => {
    seen.push(s);
    await bus.publish(createSignal('receipt.sent', {}));
  });
  await bus.subscribe('receipt.sent', (s) => {
    seen.push(s);
    done();
  });
  await bus.publish(
    createSignal(
      'order.placed',
      { id: 7 },
      { extensions: { correlationid: 'checkout-1', traceparent: createTraceparent() } },
    ),
  );
  await finished;
  return seen;
}

describe('automatic causality on the bus', () => {
  it('A → B → C: causationid points to the parent, one correlation id, child trace spans, all journaled', async () => {
    const journal = new SignalJournal();
    const bus = new SignalBus({ name: 'causal', journal });
    const [a, b, c] = await chain(bus);
    expect(b.extensions.causationid).toBe(a.id);
    expect(c.extensions.causationid).toBe(b.id);
    expect([a, b, c].map((s) => s.extensions.correlationid)).toEqual([
      'checkout-1',
      'checkout-1',
      'checkout-1',
    ]);
    const traces = [a, b, c].map((s) => parseTraceparent(s.extensions.traceparent)!);
    expect(new Set(traces.map((t) => t.traceId)).size).toBe(1);
    expect(new Set(traces.map((t) => t.spanId)).size).toBe(3);

    expect((await journal.getCause(c.id))!.id).toBe(b.id);
    expect((await journal.getEffects(a.id)).map((s) => s.id)).toEqual([b.id]);
    const chainIds = (await journal.traceChain(a.id, { direction: 'effects' })).map(
      (step) => step.signal.id,
    );
    expect(chainIds).toEqual([a.id, b.id, c.id]);
    expect((await journal.conversation('checkout-1')).map((s) => s.type)).toEqual([
      'order.placed',
      'payment.requested',
      'receipt.sent',
    ]);
    await bus.close();
  });

  it('concurrent handlers do not leak their context into each other', async () => {
    const bus = new SignalBus({ name: 'concurrent', causality: true });
    const effects: Signal[] = [];
    await bus.subscribe('job.start', async (s) => {
      await new Promise((r) => setTimeout(r, (s.data as number) === 1 ? 5 : 1));
      await bus.publish(createSignal('job.done', s.data));
    });
    await bus.subscribe('job.done', (s) => void effects.push(s));
    const [one] = await bus.publish(createSignal('job.start', 1));
    const [two] = await bus.publish(createSignal('job.start', 2));
    await new Promise((r) => setTimeout(r, 30));
    const byData = new Map(
      effects.filter((e) => e.data !== undefined).map((e) => [e.data, e] as const),
    );
    expect(byData.get(1)!.extensions.causationid).toBe(one.signal.id);
    expect(byData.get(2)!.extensions.causationid).toBe(two.signal.id);
    await bus.close();
  });

  it('explicit attributes win, and a publish outside any handler is a root', async () => {
    const bus = new SignalBus({ name: 'explicit', causality: true });
    let forwarded: Signal | undefined;
    await bus.subscribe('in', async () => {
      await bus.publish(createSignal('out', 1, { extensions: { correlationid: 'mine' } }));
    });
    await bus.subscribe('out', (s) => void (forwarded = s));
    const [root] = await bus.publish(createSignal('in', 0));
    expect(root.signal.extensions.causationid).toBeUndefined();
    expect(forwarded!.extensions.correlationid).toBe('mine');
    expect(forwarded!.extensions.causationid).toBe(root.signal.id);
    expect(CausalityContext.current()).toBeUndefined();
    await bus.close();
  });

  it('causality is off by default without a journal', async () => {
    const bus = new SignalBus({ name: 'plain' });
    let effect: Signal | undefined;
    await bus.subscribe('in', async () => {
      await bus.publish(createSignal('out', 1));
    });
    await bus.subscribe('out', (s) => void (effect = s));
    await bus.publish(createSignal('in', 0));
    expect(effect!.extensions.causationid).toBeUndefined();
    await bus.close();
  });
});
