import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSignal, parseTraceparent, type Signal } from '../../../lib/index.js';
import {
  applyCausality,
  CausalityContext,
  causalityDeliveryScope,
  recordPublished,
  SignalJournal,
} from '../../../lib/core/journal/index.js';

const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

type Handler = (signal: Signal) => Promise<void>;

/**
 * The smallest bus that does what the real one is told to do: apply causality when a signal
 * is published (in the publisher's context), record it in the journal before delivery, and
 * run each handler inside `CausalityContext.run`.
 */
class MiniBus {
  readonly published: Signal[] = [];
  private readonly handlers = new Map<string, Handler[]>();

  constructor(private readonly journal: SignalJournal) {}

  on(type: string, handler: Handler): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler]);
  }

  async publish(signal: Signal): Promise<Signal> {
    const s = CausalityContext.applyCausality(signal); // bus line 1
    this.published.push(s);
    void recordPublished(this.journal, [s]); // bus line 2 (ordered by the journal queue)
    await Promise.all(
      (this.handlers.get(s.type) ?? []).map((h) => CausalityContext.run(s, () => h(s))),
    );
    return s;
  }
}

describe('CausalityContext', () => {
  it('current() is the handled signal inside run, across awaits and timers, and nothing outside', async () => {
    const handled = createSignal('a');
    expect(CausalityContext.current()).toBeUndefined();
    const seen: (Signal | undefined)[] = [];
    const result = await CausalityContext.run(handled, async () => {
      seen.push(CausalityContext.current());
      await sleep(1);
      seen.push(CausalityContext.current());
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          seen.push(CausalityContext.current());
          resolve();
        }, 1),
      );
      seen.push(CausalityContext.exit(() => CausalityContext.current()));
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual([handled, handled, handled, undefined]);
    expect(CausalityContext.current()).toBeUndefined();
  });

  it('nested runs replace the current signal and restore it', () => {
    const outer = createSignal('outer');
    const inner = createSignal('inner');
    CausalityContext.run(outer, () => {
      expect(CausalityContext.current()).toBe(outer);
      CausalityContext.run(inner, () => expect(CausalityContext.current()).toBe(inner));
      expect(CausalityContext.current()).toBe(outer);
    });
  });

  it('run returns synchronously for synchronous functions and propagates throws', () => {
    expect(CausalityContext.run(createSignal('a'), () => 'x')).toBe('x');
    expect(() =>
      CausalityContext.run(createSignal('a'), () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(CausalityContext.current()).toBeUndefined();
  });

  it('causalityDeliveryScope runs a delivery inside the context of its signal', async () => {
    const signal = createSignal('delivered');
    const seen = await causalityDeliveryScope.run({ signal }, async () => {
      await sleep(1);
      return CausalityContext.current();
    });
    expect(seen).toBe(signal);
  });
});

describe('applyCausality', () => {
  it('outside a handler returns the signal itself', () => {
    const s = createSignal('a');
    expect(CausalityContext.applyCausality(s)).toBe(s);
    expect(applyCausality(s)).toBe(s);
  });

  it('sets causationid, inherits correlationid and continues the trace', () => {
    const parent = createSignal('parent', null, {
      extensions: { correlationid: 'conv-1', traceparent: TRACE, tracestate: 'vendor=x' },
    });
    const child = CausalityContext.run(parent, () =>
      CausalityContext.applyCausality(createSignal('child', { k: 1 }, { subject: 's' })),
    );
    expect(child.extensions.causationid).toBe(parent.id);
    expect(child.extensions.correlationid).toBe('conv-1');
    expect(child.extensions.tracestate).toBe('vendor=x');
    const tp = parseTraceparent(child.extensions.traceparent)!;
    const ptp = parseTraceparent(TRACE)!;
    expect(tp.traceId).toBe(ptp.traceId);
    expect(tp.spanId).not.toBe(ptp.spanId);
    expect(tp.flags).toBe(ptp.flags);
    // Everything else is kept.
    expect(child.type).toBe('child');
    expect(child.data).toEqual({ k: 1 });
    expect(child.subject).toBe('s');
  });

  it('a parent without correlationid starts the conversation with its own id; no trace is invented', () => {
    const parent = createSignal('parent');
    const child = applyCausality(createSignal('child'), parent);
    expect(child.extensions).toEqual({ causationid: parent.id, correlationid: parent.id });
  });

  it('explicit attributes win', () => {
    const parent = createSignal('parent', null, {
      extensions: { correlationid: 'c', traceparent: TRACE },
    });
    const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const explicit = createSignal('child', null, {
      extensions: { causationid: 'other', correlationid: 'mine', traceparent: own },
    });
    expect(applyCausality(explicit, parent)).toBe(explicit);
    const partial = applyCausality(
      createSignal('child', null, { extensions: { correlationid: 'mine' } }),
      parent,
    );
    expect(partial.extensions.correlationid).toBe('mine');
    expect(partial.extensions.causationid).toBe(parent.id);
    expect(parseTraceparent(partial.extensions.traceparent)!.traceId).toBe(
      parseTraceparent(TRACE)!.traceId,
    );
  });

  it('forwarding the handled signal itself does not make it its own effect', () => {
    const parent = createSignal('parent');
    expect(CausalityContext.run(parent, () => CausalityContext.applyCausality(parent))).toBe(
      parent,
    );
  });
});

describe('automatic causality across nested handlers', () => {
  it('A → B → C keeps one correlation id; each causationid points to the parent; the journal has the chain', async () => {
    const journal = new SignalJournal();
    const bus = new MiniBus(journal);
    bus.on('order.placed', async () => {
      await sleep(2);
      await bus.publish(createSignal('payment.requested'));
    });
    bus.on('payment.requested', async () => {
      await Promise.resolve();
      await bus.publish(createSignal('payment.captured'));
    });
    const a = await bus.publish(
      createSignal('order.placed', { id: 1 }, { extensions: { traceparent: TRACE } }),
    );
    const [, b, c] = bus.published;
    expect(bus.published.map((s) => s.type)).toEqual([
      'order.placed',
      'payment.requested',
      'payment.captured',
    ]);
    expect(a.extensions.causationid).toBeUndefined();
    expect(b.extensions.causationid).toBe(a.id);
    expect(c.extensions.causationid).toBe(b.id);
    for (const s of [b, c]) {
      expect(s.extensions.correlationid).toBe(a.id);
      expect(parseTraceparent(s.extensions.traceparent)!.traceId).toBe(
        parseTraceparent(TRACE)!.traceId,
      );
    }
    await journal.flush();
    expect((await journal.traceChain(a.id)).map((s) => [s.signal.type, s.depth])).toEqual([
      ['order.placed', 0],
      ['payment.requested', 1],
      ['payment.captured', 2],
    ]);
    expect((await journal.traceChain(c.id, { direction: 'causes' })).map((s) => s.id)).toEqual([
      c.id,
      b.id,
      a.id,
    ]);
    expect((await journal.conversation(a.id)).map((s) => s.id)).toEqual([a.id, b.id, c.id]);
  });

  it('concurrent branches never see each other’s context', async () => {
    const journal = new SignalJournal();
    const bus = new MiniBus(journal);
    // Each root fans out to 3 children with random delays; each child publishes a grandchild.
    bus.on('root', async (root) => {
      await Promise.all(
        [0, 1, 2].map(async (i) => {
          await sleep(Math.floor(Math.random() * 5));
          await bus.publish(createSignal('child', { root: root.data, i }));
        }),
      );
    });
    bus.on('child', async (child) => {
      await sleep(Math.floor(Math.random() * 5));
      expect(CausalityContext.current()).toBe(child);
      await bus.publish(createSignal('grandchild', child.data));
    });
    const roots = await Promise.all(
      Array.from({ length: 8 }, (_, r) =>
        bus.publish(createSignal('root', r, { extensions: { correlationid: `conv-${r}` } })),
      ),
    );
    expect(bus.published).toHaveLength(8 + 24 + 24);
    const byId = new Map(bus.published.map((s) => [s.id, s]));
    for (const s of bus.published) {
      if (s.type === 'root') continue;
      const parent = byId.get(s.extensions.causationid as string)!;
      expect(parent).toBeDefined();
      expect(parent.type).toBe(s.type === 'child' ? 'root' : 'child');
      const r = (s.data as { root: number }).root;
      expect(s.extensions.correlationid).toBe(`conv-${r}`);
      if (s.type === 'grandchild') expect(parent.data).toEqual(s.data);
      else expect(parent.data).toBe(r);
    }
    await journal.flush();
    for (const [r, root] of roots.entries()) {
      const conv = await journal.conversation(`conv-${r}`);
      expect(conv).toHaveLength(7);
      const trace = await journal.traceChain(root.id);
      expect(trace).toHaveLength(7);
      expect(trace.filter((s) => s.depth === 2).every((s) => s.signal.type === 'grandchild')).toBe(
        true,
      );
    }
    expect(CausalityContext.current()).toBeUndefined();
  });
});

describe('recordPublished', () => {
  it('records a batch in order (signals of one batch may cause each other)', async () => {
    const journal = new SignalJournal();
    const a = createSignal('a');
    const b = applyCausality(createSignal('b'), a);
    const c = applyCausality(createSignal('c'), b);
    const result = await recordPublished(journal, [a, b, c]);
    expect(result.failed).toEqual([]);
    expect(result.recorded.map((e) => e.causeId)).toEqual([undefined, a.id, b.id]);
    expect(result.recorded.map((e) => e.conversationId)).toEqual([a.id, a.id, a.id]);
  });

  it('a cause not recorded yet: the edge is kept by default and links up once the cause is recorded', async () => {
    const journal = new SignalJournal();
    const cause = createSignal('cause');
    // The effect arrives first (its cause was published on another instance).
    const effect = applyCausality(createSignal('effect'), cause);
    const { recorded } = await recordPublished(journal, [effect]);
    expect(recorded[0]).toMatchObject({ id: effect.id, causeId: cause.id });
    expect(await journal.getCause(effect.id)).toBeUndefined();
    // Re-publishing it is an identical re-record.
    expect((await recordPublished(journal, [effect])).failed).toEqual([]);
    await recordPublished(journal, [cause]);
    expect((await journal.getCause(effect.id))!.id).toBe(cause.id);
    expect((await journal.getEffects(cause.id)).map((s) => s.id)).toEqual([effect.id]);
    expect((await journal.traceChain(cause.id)).map((s) => s.id)).toEqual([cause.id, effect.id]);
  });

  it('a cause this journal never saw: a root with unknownCause "root", reported with "error"', async () => {
    const journal = new SignalJournal();
    const external = createSignal('ext', null, { extensions: { causationid: 'remote-1' } });
    const { recorded } = await recordPublished(journal, [external], { unknownCause: 'root' });
    expect(recorded[0]).toMatchObject({ id: external.id, causeId: undefined });
    expect((await journal.get(external.id))!.extensions.causationid).toBe('remote-1');
    expect((await recordPublished(journal, [external], { unknownCause: 'root' })).failed).toEqual(
      [],
    );

    const errors: [string, string][] = [];
    const strict = await recordPublished(
      journal,
      [createSignal('ext2', null, { extensions: { causationid: 'remote-2' } })],
      { unknownCause: 'error', onError: (e, s) => errors.push([e.code, s.type]) },
    );
    expect(strict.recorded).toEqual([]);
    expect(strict.failed[0].error.code).toBe('cause_not_found');
    expect(errors).toEqual([['cause_not_found', 'ext2']]);
  });

  it('never rejects: rule violations and a closed journal become failures', async () => {
    const journal = new SignalJournal();
    const cause = createSignal('cause', null, { time: new Date(Date.now() + 60_000) });
    const early = applyCausality(createSignal('early', null, { time: new Date() }), cause);
    const result = await recordPublished(journal, [cause, early]);
    expect(result.recorded.map((e) => e.id)).toEqual([cause.id]);
    expect(result.failed.map((f) => f.error.code)).toEqual(['invalid_temporal_order']);
    await journal.close();
    const closed = await recordPublished(journal, [createSignal('late')]);
    expect(closed.failed[0].error.code).toBe('closed');
  });
});
