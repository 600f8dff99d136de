import { describe, expect, it } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  InvalidPatternError,
  JidoSignalError,
  Signal,
  ValidationError,
} from '../../../lib/index.js';
import { TelemetryChannel } from '../../../lib/telemetry/index.js';
import {
  CausalityCycleError,
  CauseNotFoundError,
  DuplicateSignalError,
  InvalidTemporalOrderError,
  SelfCauseError,
  SignalNotFoundError,
} from '../../../lib/core/errors/journal.error.js';
import {
  MemoryJournal,
  SignalJournal,
  type JournalRecordErrorMessage,
  type JournalRecordMessage,
} from '../../../lib/core/journal/index.js';
import { createTestSignalFactory } from '../../../lib/testing/index.js';

const T0 = Date.UTC(2026, 0, 1);

function setup(options: { clockSkewToleranceMs?: number; now?: number } = {}) {
  const f = createTestSignalFactory({ start: T0, stepMs: 1000 });
  let now = options.now ?? T0 + 3_600_000;
  const journal = new SignalJournal({
    clockSkewToleranceMs: options.clockSkewToleranceMs,
    clock: () => now,
  });
  return { f, journal, setNow: (ms: number) => (now = ms) };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(JidoSignalError);
    return (error as JidoSignalError).code;
  }
  throw new Error('expected a rejection');
}

/** root → (a → (a1, a2 → a21), b) with increasing times. */
async function tree(f: ReturnType<typeof setup>['f'], journal: SignalJournal) {
  const root = f.create('order.created', { n: 0 }, { source: '/shop', subject: 'o-1' });
  const a = f.create('payment.requested', { n: 1 }, { source: '/pay' });
  const b = f.create('stock.reserved', { n: 2 }, { source: '/stock' });
  const a1 = f.create('payment.authorized', { n: 3 }, { source: '/pay' });
  const a2 = f.create('payment.captured', { n: 4 }, { source: '/pay', subject: 'o-1' });
  const a21 = f.create('receipt.sent', { n: 5 }, { source: '/mail' });
  await journal.record(root);
  await journal.record(a, { causeId: root.id });
  await journal.record(b, { causeId: root.id });
  await journal.record(a1, { causeId: a.id });
  await journal.record(a2, { causeId: a.id });
  await journal.record(a21, { causeId: a2.id });
  return { root, a, b, a1, a2, a21 };
}

describe('SignalJournal', () => {
  describe('record / get', () => {
    it('records roots and effects and returns the entry', async () => {
      const { f, journal } = setup();
      const root = f.create('a');
      const e = await journal.record(root);
      expect(e).toMatchObject({
        id: root.id,
        causeId: undefined,
        conversationId: root.id,
        time: T0,
        recordedAt: T0 + 3_600_000,
      });
      expect(e.signal).toBe(root);
      expect(await journal.get(root.id)).toBe(root);
      expect((await journal.getEntry(root.id))?.id).toBe(root.id);
      expect(await journal.get('unknown')).toBeUndefined();
      expect(await journal.size()).toBe(1);
      expect(journal.adapter).toBeInstanceOf(MemoryJournal);
    });

    it('takes the cause from the causationid extension unless causeId is given', async () => {
      const { f, journal } = setup();
      const a = f.create('a');
      const b = f.create('b');
      const c = f.create('c', null, { extensions: { causationid: a.id } });
      const d = f.create('d', null, { extensions: { causationid: a.id } });
      const ext = f.create('ext', null, { extensions: { causationid: 'remote-signal' } });
      await journal.record(a);
      await journal.record(b);
      expect((await journal.record(c)).causeId).toBe(a.id);
      expect((await journal.record(d, { causeId: b.id })).causeId).toBe(b.id);
      expect((await journal.record(ext, { causeId: null })).causeId).toBeUndefined();
    });

    it('a signal without time uses its record time (also for the temporal rule)', async () => {
      const { f, journal, setNow } = setup({ now: T0 });
      const cause = f.create('cause'); // T0
      const untimed = new Signal({ id: 'untimed-1', source: '/t', type: 'untimed' });
      await journal.record(cause);
      setNow(T0 + 42);
      const e = await journal.record(untimed, { causeId: cause.id });
      expect(e.time).toBe(T0 + 42);
      expect(e.recordedAt).toBe(T0 + 42);
      // A clock that went back: record time never decreases.
      setNow(T0);
      const again = await journal.record(new Signal({ id: 'untimed-2', source: '/t', type: 'u' }));
      expect(again.recordedAt).toBe(T0 + 42);
      // Clock before the cause: the effect would be earlier than its cause.
      const { f: f2, journal: j2, setNow: set2 } = setup({ now: T0 });
      const later = f2.create('x', null, { time: new Date(T0 + 10_000) });
      await j2.record(later);
      set2(T0);
      expect(
        await codeOf(
          j2.record(new Signal({ id: 'u3', source: '/t', type: 'u' }), { causeId: later.id }),
        ),
      ).toBe('invalid_temporal_order');
    });

    it('records are applied in call order, so an effect recorded without awaiting its cause works', async () => {
      const { f, journal } = setup();
      const a = f.create('a');
      const b = f.create('b', null, { extensions: { causationid: a.id } });
      const [ea, eb] = await Promise.all([journal.record(a), journal.record(b)]);
      expect(ea.id).toBe(a.id);
      expect(eb.causeId).toBe(a.id);
    });

    it('rejects non-signals and bad causeIds with ValidationError', async () => {
      const { journal } = setup();
      await expect(journal.record({} as unknown as Signal)).rejects.toBeInstanceOf(ValidationError);
      const s = createTestSignalFactory().create('a');
      await expect(journal.record(s, { causeId: '' })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('rules (typed errors with codes)', () => {
    it('self_cause: explicit or through causationid', async () => {
      const { f, journal } = setup();
      const s = f.create('a');
      await expect(journal.record(s, { causeId: s.id })).rejects.toBeInstanceOf(SelfCauseError);
      const viaExt = new Signal({
        id: 'x',
        source: '/t',
        type: 't',
        extensions: { causationid: 'x' },
      });
      expect(await codeOf(journal.record(viaExt))).toBe('self_cause');
      expect(await journal.size()).toBe(0);
    });

    it('cause_not_found: explicit or through causationid; nothing is stored', async () => {
      const { f, journal } = setup();
      const s = f.create('a', null, { extensions: { causationid: 'ghost' } });
      const error = await journal.record(s).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CauseNotFoundError);
      expect(error).toMatchObject({
        code: 'cause_not_found',
        signalId: s.id,
        causeId: 'ghost',
        details: { signalId: s.id, causeId: 'ghost' },
      });
      expect(await codeOf(journal.record(f.create('b'), { causeId: 'ghost' }))).toBe(
        'cause_not_found',
      );
      expect(await journal.size()).toBe(0);
    });

    it('invalid_temporal_order: an effect earlier than its cause; equal times and tolerance are fine', async () => {
      const { f, journal } = setup();
      const cause = f.create('cause', null, { time: new Date(T0 + 5000) });
      await journal.record(cause);
      const early = f.create('early', null, { time: new Date(T0 + 4999) });
      const error = await journal.record(early, { causeId: cause.id }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidTemporalOrderError);
      expect(error).toMatchObject({ effectTime: T0 + 4999, causeTime: T0 + 5000 });
      const same = f.create('same', null, { time: new Date(T0 + 5000) });
      await expect(journal.record(same, { causeId: cause.id })).resolves.toBeDefined();
      // Offsets and sub-millisecond digits are compared as instants.
      const offset = f.create('offset', null, { time: '2026-01-01T01:00:04.999+01:00' });
      expect(await codeOf(journal.record(offset, { causeId: cause.id }))).toBe(
        'invalid_temporal_order',
      );

      const { f: f2, journal: tolerant } = setup({ clockSkewToleranceMs: 100 });
      const c2 = f2.create('cause', null, { time: new Date(T0 + 5000) });
      await tolerant.record(c2);
      await expect(
        tolerant.record(f2.create('skewed', null, { time: new Date(T0 + 4900) }), {
          causeId: c2.id,
        }),
      ).resolves.toBeDefined();
      expect(
        await codeOf(
          tolerant.record(f2.create('too-early', null, { time: new Date(T0 + 4899) }), {
            causeId: c2.id,
          }),
        ),
      ).toBe('invalid_temporal_order');
      expect(() => new SignalJournal({ clockSkewToleranceMs: -1 })).toThrow(ValidationError);
    });

    it('recording the same id twice: identical is a no-op, anything else duplicate_signal', async () => {
      const { f, journal } = setup();
      const a = f.create('a', { v: 1 });
      const b = f.create('b', { v: 2 }, { extensions: { causationid: a.id } });
      const first = await journal.record(a);
      await journal.record(b);
      // Identical (same content, same resolved cause; key order does not matter).
      const reparsed = Signal.from(JSON.parse(JSON.stringify(b)));
      expect(await journal.record(reparsed)).toMatchObject({ id: b.id, causeId: a.id });
      expect((await journal.record(a)).recordedAt).toBe(first.recordedAt);
      expect(await journal.size()).toBe(2);
      // Different content.
      const changed = b.with({ data: { v: 3 } });
      const error = await journal.record(changed).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DuplicateSignalError);
      expect(error).toMatchObject({ code: 'duplicate_signal', signalId: b.id });
      // Same content, different cause.
      const other = f.create('other');
      await journal.record(other);
      expect(await codeOf(journal.record(b, { causeId: other.id }))).toBe('duplicate_signal');
      expect(await codeOf(journal.record(b, { causeId: null }))).toBe('duplicate_signal');
      expect((await journal.get(b.id))?.data).toEqual({ v: 2 });
    });

    it('causality_cycle: re-recording a signal as an effect of its own descendant', async () => {
      const { f, journal } = setup();
      const { root, a21, a } = await tree(f, journal);
      const error = await journal.record(root, { causeId: a21.id }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CausalityCycleError);
      expect(error).toMatchObject({ code: 'causality_cycle', signalId: root.id, causeId: a21.id });
      expect(await codeOf(journal.record(a, { causeId: a21.id }))).toBe('causality_cycle');
      expect(await journal.getCause(root.id)).toBeUndefined();
    });

    it('publishes record and record_error telemetry', async () => {
      const { f, journal } = setup();
      const ok: JournalRecordMessage[] = [];
      const bad: JournalRecordErrorMessage[] = [];
      const onOk = (m: unknown) => ok.push(m as JournalRecordMessage);
      const onBad = (m: unknown) => bad.push(m as JournalRecordErrorMessage);
      subscribe(TelemetryChannel.JournalRecord, onOk);
      subscribe(TelemetryChannel.JournalRecordError, onBad);
      try {
        const a = f.create('a', null, { extensions: { correlationid: 'k' } });
        await journal.record(a);
        await journal.record(a);
        await journal.record(f.create('b'), { causeId: 'ghost' }).catch(() => undefined);
        expect(ok).toEqual([
          {
            journal: 'memory',
            signalId: a.id,
            signalType: 'a',
            causeId: undefined,
            conversationId: 'k',
            duplicate: false,
          },
          {
            journal: 'memory',
            signalId: a.id,
            signalType: 'a',
            causeId: undefined,
            conversationId: 'k',
            duplicate: true,
          },
        ]);
        expect(bad).toHaveLength(1);
        expect(bad[0]).toMatchObject({
          journal: 'memory',
          causeId: 'ghost',
          errorCode: 'cause_not_found',
        });
        expect(bad[0].error).toBeInstanceOf(CauseNotFoundError);
      } finally {
        unsubscribe(TelemetryChannel.JournalRecord, onOk);
        unsubscribe(TelemetryChannel.JournalRecordError, onBad);
      }
    });
  });

  describe('getCause / getEffects', () => {
    it('direct cause and direct effects oldest first; empty for roots, leaves and unknown ids', async () => {
      const { f, journal } = setup();
      const { root, a, b, a1, a2, a21 } = await tree(f, journal);
      expect((await journal.getCause(a21.id))?.id).toBe(a2.id);
      expect((await journal.getCause(a.id))?.id).toBe(root.id);
      expect(await journal.getCause(root.id)).toBeUndefined();
      expect(await journal.getCause('unknown')).toBeUndefined();
      expect((await journal.getEffects(root.id)).map((s) => s.id)).toEqual([a.id, b.id]);
      expect((await journal.getEffects(a.id)).map((s) => s.id)).toEqual([a1.id, a2.id]);
      expect(await journal.getEffects(a21.id)).toEqual([]);
      expect(await journal.getEffects('unknown')).toEqual([]);
    });

    it('effects are sorted by time even when recorded out of order', async () => {
      const { f, journal } = setup();
      const root = f.create('root');
      const late = f.create('late', null, { time: new Date(T0 + 50_000) });
      const early = f.create('early', null, { time: new Date(T0 + 10_000) });
      await journal.record(root);
      await journal.record(late, { causeId: root.id });
      await journal.record(early, { causeId: root.id });
      expect((await journal.getEffects(root.id)).map((s) => s.type)).toEqual(['early', 'late']);
    });
  });

  describe('traceChain', () => {
    it('effects: depth-first pre-order, siblings oldest first, with relation and depth', async () => {
      const { f, journal } = setup();
      const { root, a, b, a1, a2, a21 } = await tree(f, journal);
      const steps = await journal.traceChain(root.id, { direction: 'effects' });
      expect(steps.map((s) => [s.id, s.relation, s.depth])).toEqual([
        [root.id, 'origin', 0],
        [a.id, 'effect', 1],
        [a1.id, 'effect', 2],
        [a2.id, 'effect', 2],
        [a21.id, 'effect', 3],
        [b.id, 'effect', 1],
      ]);
      expect(steps[4].signal.type).toBe('receipt.sent');
      expect(steps[4].causeId).toBe(a2.id);
      // Default direction is 'effects'.
      expect((await journal.traceChain(a.id)).map((s) => s.id)).toEqual([
        a.id,
        a1.id,
        a2.id,
        a21.id,
      ]);
    });

    it('causes: nearest first up to the root', async () => {
      const { f, journal } = setup();
      const { root, a, a2, a21 } = await tree(f, journal);
      const steps = await journal.traceChain(a21.id, { direction: 'causes' });
      expect(steps.map((s) => [s.id, s.relation, s.depth])).toEqual([
        [a21.id, 'origin', 0],
        [a2.id, 'cause', 1],
        [a.id, 'cause', 2],
        [root.id, 'cause', 3],
      ]);
    });

    it('both: causes then effects', async () => {
      const { f, journal } = setup();
      const { root, a, a1, a2, a21 } = await tree(f, journal);
      const steps = await journal.traceChain(a.id, { direction: 'both' });
      expect(steps.map((s) => [s.id, s.relation, s.depth])).toEqual([
        [a.id, 'origin', 0],
        [root.id, 'cause', 1],
        [a1.id, 'effect', 1],
        [a2.id, 'effect', 1],
        [a21.id, 'effect', 2],
      ]);
    });

    it('depth and limit bound the walk', async () => {
      const { f, journal } = setup();
      const { root, a, b, a1, a2, a21 } = await tree(f, journal);
      expect((await journal.traceChain(root.id, { depth: 1 })).map((s) => s.id)).toEqual([
        root.id,
        a.id,
        b.id,
      ]);
      expect(
        (await journal.traceChain(root.id, { depth: 0, direction: 'both' })).map((s) => s.id),
      ).toEqual([root.id]);
      expect(
        (await journal.traceChain(a21.id, { direction: 'causes', depth: 2 })).map((s) => s.id),
      ).toEqual([a21.id, a2.id, a.id]);
      expect((await journal.traceChain(root.id, { limit: 3 })).map((s) => s.id)).toEqual([
        root.id,
        a.id,
        a1.id,
      ]);
      expect(await journal.traceChain(a1.id)).toHaveLength(1);
      void a2;
      for (const bad of [{ depth: -1 }, { depth: 1.5 }, { limit: 0 }, { direction: 'up' }]) {
        await expect(journal.traceChain(root.id, bad as never)).rejects.toBeInstanceOf(
          ValidationError,
        );
      }
    });

    it('unknown id: not_found', async () => {
      const { journal } = setup();
      const error = await journal.traceChain('nope').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SignalNotFoundError);
      expect(error).toMatchObject({ code: 'not_found', signalId: 'nope' });
    });

    it('10,000-signal conversations: a chain and a wide tree, no stack overflow', async () => {
      const { f, journal } = setup({ now: T0 + 100_000_000 });
      const first = f.create('step', { i: 0 }, { extensions: { correlationid: 'long' } });
      await journal.record(first);
      let last = first;
      for (let i = 1; i < 10_000; i++) {
        const next = f.create('step', { i });
        await journal.record(next, { causeId: last.id });
        last = next;
      }
      const down = await journal.traceChain(first.id);
      expect(down).toHaveLength(10_000);
      expect(down[9999]).toMatchObject({ id: last.id, depth: 9999 });
      const up = await journal.traceChain(last.id, { direction: 'causes' });
      expect(up).toHaveLength(10_000);
      expect(up[9999].id).toBe(first.id);
      const conv = await journal.conversation('long');
      expect(conv).toHaveLength(10_000);

      const { f: g, journal: wide } = setup({ now: T0 + 100_000_000 });
      const root = g.create('root');
      await wide.record(root);
      const parents = [root.id];
      for (let i = 1; i < 10_000; i++) {
        const s = g.create('node');
        await wide.record(s, { causeId: parents[Math.floor((i - 1) / 3)] });
        parents.push(s.id);
      }
      const all = await wide.traceChain(root.id);
      expect(all).toHaveLength(10_000);
      expect(new Set(all.map((s) => s.id)).size).toBe(10_000);
      expect((await wide.conversation(root.id)).length).toBe(10_000);
    });
  });

  describe('conversation', () => {
    it('keys by correlationid; effects without one join their cause; roots without one key by their id', async () => {
      const { f, journal } = setup();
      const start = f.create('start', null, { extensions: { correlationid: 'conv-9' } });
      const child = f.create('child', null, { extensions: { causationid: start.id } });
      const grandchild = f.create('grandchild', null, { extensions: { causationid: child.id } });
      const elsewhere = f.create('elsewhere', null, {
        extensions: { causationid: child.id, correlationid: 'conv-other' },
      });
      const loneRoot = f.create('lone');
      const loneChild = f.create('lone.child', null, { extensions: { causationid: loneRoot.id } });
      for (const s of [start, child, grandchild, elsewhere, loneRoot, loneChild])
        await journal.record(s);
      expect((await journal.conversation('conv-9')).map((s) => s.type)).toEqual([
        'start',
        'child',
        'grandchild',
      ]);
      expect((await journal.conversation('conv-other')).map((s) => s.type)).toEqual(['elsewhere']);
      expect((await journal.conversation(loneRoot.id)).map((s) => s.type)).toEqual([
        'lone',
        'lone.child',
      ]);
      expect(await journal.conversation('unknown')).toEqual([]);
    });

    it('sorts by time, not record order', async () => {
      const { f, journal } = setup();
      const late = f.create('late', null, {
        time: new Date(T0 + 9000),
        extensions: { correlationid: 'k' },
      });
      const early = f.create('early', null, {
        time: new Date(T0 + 1000),
        extensions: { correlationid: 'k' },
      });
      await journal.record(late);
      await journal.record(early);
      expect((await journal.conversation('k')).map((s) => s.type)).toEqual(['early', 'late']);
    });
  });

  describe('query', () => {
    async function sample() {
      const ctx = setup();
      const t = await tree(ctx.f, ctx.journal);
      return { ...ctx, ...t };
    }

    it('everything, oldest first, by default', async () => {
      const { journal } = await sample();
      expect((await journal.query()).map((s) => (s.data as { n: number }).n)).toEqual([
        0, 1, 2, 3, 4, 5,
      ]);
    });

    it('type pattern (router grammar), source, subject', async () => {
      const { journal } = await sample();
      const n = (list: Signal[]) => list.map((s) => (s.data as { n: number }).n);
      expect(n(await journal.query({ type: 'payment.*' }))).toEqual([1, 3, 4]);
      expect(n(await journal.query({ type: '**.sent' }))).toEqual([5]);
      expect(n(await journal.query({ type: 'payment' }))).toEqual([]);
      expect(n(await journal.query({ source: '/pay' }))).toEqual([1, 3, 4]);
      expect(n(await journal.query({ subject: 'o-1' }))).toEqual([0, 4]);
      expect(
        n(await journal.query({ type: 'payment.**', subject: 'o-1', source: '/pay' })),
      ).toEqual([4]);
    });

    it('since / until are inclusive and accept Date, ms and ISO strings', async () => {
      const { journal } = await sample();
      const n = (list: Signal[]) => list.map((s) => (s.data as { n: number }).n);
      expect(n(await journal.query({ since: T0 + 2000 }))).toEqual([2, 3, 4, 5]);
      expect(n(await journal.query({ until: new Date(T0 + 2000) }))).toEqual([0, 1, 2]);
      expect(
        n(
          await journal.query({ since: '2026-01-01T00:00:01Z', until: '2026-01-01T00:00:03.000Z' }),
        ),
      ).toEqual([1, 2, 3]);
      expect(n(await journal.query({ since: T0 + 4000, until: T0 + 1000 }))).toEqual([]);
      await expect(journal.query({ since: 'yesterday' })).rejects.toBeInstanceOf(ValidationError);
      await expect(journal.query({ until: Number.NaN })).rejects.toBeInstanceOf(ValidationError);
    });

    it('order and limit', async () => {
      const { journal } = await sample();
      const n = (list: Signal[]) => list.map((s) => (s.data as { n: number }).n);
      expect(n(await journal.query({ order: 'desc' }))).toEqual([5, 4, 3, 2, 1, 0]);
      expect(n(await journal.query({ order: 'desc', limit: 2, source: '/pay' }))).toEqual([4, 3]);
      expect(n(await journal.query({ limit: 1, type: 'stock.*' }))).toEqual([2]);
      expect(await journal.query({ limit: 0 })).toEqual([]);
      await expect(journal.query({ limit: -1 })).rejects.toBeInstanceOf(ValidationError);
      await expect(journal.query({ order: 'random' as never })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });

    it('invalid type pattern: InvalidPatternError', async () => {
      const { journal } = await sample();
      await expect(journal.query({ type: 'a.**.**' })).rejects.toBeInstanceOf(InvalidPatternError);
    });
  });

  describe('lifecycle', () => {
    it('close waits for pending records; afterwards record and reads reject with closed', async () => {
      const { f, journal } = setup();
      const a = f.create('a');
      const pending = journal.record(a);
      await journal.flush();
      await journal.close();
      await journal.close();
      await expect(pending).resolves.toMatchObject({ id: a.id });
      expect(await codeOf(journal.record(f.create('b')))).toBe('closed');
      expect(await codeOf(journal.get(a.id))).toBe('closed');
      expect(await codeOf(journal.query())).toBe('closed');
    });
  });
});
