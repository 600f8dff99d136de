import assert from 'node:assert/strict';
import { JidoSignalError } from '../core/errors/jido-signal.error.js';
import type {
  JournalAdapter,
  JournalEntry,
  JournalScan,
} from '../core/journal/journal-adapter.interface.js';
import { SignalJournal } from '../core/journal/signal-journal.js';
import type { Signal } from '../core/signal/signal.js';
import type { ConformanceTestApi } from './store-conformance.js';
import { createTestSignalFactory } from './test-signals.js';

/** Options of {@link describeJournalAdapterConformance}. */
export interface JournalConformanceOptions {
  /** Test functions. @default the runner's globals (`describe`, `it`, `beforeEach`, `afterEach`) */
  api?: ConformanceTestApi;
  /** Per-test timeout in ms. @default 10_000 */
  timeout?: number;
  /**
   * For durable adapters: close `adapter` and open the same storage again. When given, the
   * suite also checks that everything survives a restart.
   * @default undefined (persistence tests are skipped)
   */
  reopen?: (adapter: JournalAdapter) => Promise<JournalAdapter>;
}

const T0 = Date.UTC(2026, 0, 1);

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof JidoSignalError, `expected a JidoSignalError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

function entryOf(
  signal: Signal,
  meta: { causeId?: string; conversationId?: string; time?: number } = {},
): JournalEntry {
  const time = meta.time ?? Date.parse(signal.time ?? new Date(T0).toISOString());
  return {
    id: signal.id,
    time,
    recordedAt: time,
    causeId: meta.causeId,
    conversationId: meta.conversationId ?? signal.id,
    signal,
  };
}

async function collect(adapter: JournalAdapter, range?: JournalScan): Promise<string[]> {
  const out: string[] = [];
  for await (const e of adapter.scan(range)) out.push(e.id);
  return out;
}

/**
 * Registers the `JournalAdapter` conformance suite: every journal adapter (memory, file, your
 * own) must pass it. `factory` gets a fresh, empty adapter for each test; the suite closes
 * it afterwards. It checks the adapter contract directly and then a {@link SignalJournal}
 * running on the adapter (rules, traces, queries); pass `reopen` for durable adapters.
 *
 * @example
 * import { describeJournalAdapterConformance } from 'nestjs-jido-signal/testing';
 * describeJournalAdapterConformance('MemoryJournal', () => new MemoryJournal());
 */
export function describeJournalAdapterConformance(
  name: string,
  factory: () => JournalAdapter | Promise<JournalAdapter>,
  options: JournalConformanceOptions = {},
): void {
  const api = options.api ?? (globalThis as unknown as ConformanceTestApi);
  const timeout = options.timeout ?? 10_000;
  const it = (title: string, fn: () => Promise<void>) => api.it(title, fn, timeout);
  let adapter: JournalAdapter;
  let f = createTestSignalFactory({ start: T0, stepMs: 1000 });

  api.describe(`JournalAdapter conformance: ${name}`, () => {
    api.beforeEach(async () => {
      adapter = await factory();
      f = createTestSignalFactory({ start: T0, stepMs: 1000 });
    });
    api.afterEach(async () => {
      await adapter.close();
    });

    api.describe('adapter contract', () => {
      it('putSignal / getSignal / getMeta round-trip the signal and its metadata', async () => {
        const s = f.create(
          'order.created',
          { orderId: 'o-1', lines: [{ sku: 'a', qty: 2 }], note: 'ünïcødé ✓' },
          {
            subject: 'o-1',
            extensions: {
              correlationid: 'conv-1',
              traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
              tenant: 'acme',
            },
          },
        );
        const bytes = f.create('blob.stored', new Uint8Array([0, 1, 2, 255]));
        await adapter.putSignal(entryOf(s, { conversationId: 'conv-1' }));
        await adapter.putSignal(entryOf(bytes));
        const got = await adapter.getSignal(s.id);
        assert.ok(got !== undefined);
        assert.deepEqual(got.signal.toJSON(), s.toJSON());
        assert.equal(got.id, s.id);
        assert.equal(got.time, Date.parse(s.time!));
        assert.equal(got.conversationId, 'conv-1');
        assert.equal(got.causeId, undefined);
        assert.deepEqual(
          (await adapter.getSignal(bytes.id))!.signal.data,
          new Uint8Array([0, 1, 2, 255]),
        );
        const meta = (await adapter.getMeta(s.id))!;
        assert.deepEqual(
          {
            id: meta.id,
            time: meta.time,
            recordedAt: meta.recordedAt,
            causeId: meta.causeId,
            conversationId: meta.conversationId,
          },
          {
            id: s.id,
            time: got.time,
            recordedAt: got.recordedAt,
            causeId: undefined,
            conversationId: 'conv-1',
          },
        );
        // An id stored already is ignored: the first record wins.
        await adapter.putSignal(entryOf(s.with({ data: 'other' }), { conversationId: 'conv-2' }));
        assert.equal((await adapter.getSignal(s.id))!.conversationId, 'conv-1');
        assert.deepEqual((await adapter.getSignal(s.id))!.signal.toJSON(), s.toJSON());
        assert.deepEqual(await adapter.getConversation('conv-2'), []);
        assert.equal(await adapter.getSignal('nope'), undefined);
        assert.equal(await adapter.getMeta('nope'), undefined);
        assert.equal(await adapter.size(), 2);
      });

      it('cause edges: getCause and getEffects (record order); leaves and unknown ids are empty', async () => {
        const root = f.create('a');
        const e1 = f.create('b');
        const e2 = f.create('c');
        const e11 = f.create('d');
        await adapter.putSignal(entryOf(root));
        await adapter.putSignal(entryOf(e1, { causeId: root.id, conversationId: root.id }));
        await adapter.putSignal(entryOf(e2, { causeId: root.id, conversationId: root.id }));
        await adapter.putSignal(entryOf(e11, { causeId: e1.id, conversationId: root.id }));
        assert.equal(await adapter.getCause(e1.id), root.id);
        assert.equal(await adapter.getCause(e11.id), e1.id);
        assert.equal(await adapter.getCause(root.id), undefined);
        assert.equal(await adapter.getCause('nope'), undefined);
        assert.deepEqual(await adapter.getEffects(root.id), [e1.id, e2.id]);
        assert.deepEqual(await adapter.getEffects(e1.id), [e11.id]);
        assert.deepEqual(await adapter.getEffects(e2.id), []);
        assert.deepEqual(await adapter.getEffects('nope'), []);
        assert.equal((await adapter.getMeta(e11.id))!.causeId, e1.id);
      });

      it('conversation index lists members in record order', async () => {
        const a = f.create('a');
        const b = f.create('b');
        const c = f.create('c');
        const lone = f.create('lone');
        await adapter.putSignal(entryOf(a, { conversationId: 'k' }));
        await adapter.putSignal(entryOf(lone));
        await adapter.putSignal(entryOf(b, { conversationId: 'k' }));
        await adapter.putSignal(entryOf(c, { conversationId: a.id }));
        assert.deepEqual(await adapter.getConversation('k'), [a.id, b.id]);
        assert.deepEqual(await adapter.getConversation(lone.id), [lone.id]);
        assert.deepEqual(await adapter.getConversation(a.id), [c.id]);
        assert.deepEqual(await adapter.getConversation('nope'), []);
      });

      it('scan is in time order (ties in record order), bounds inclusive, asc and desc', async () => {
        const ids: string[] = [];
        const times = [5, 1, 3, 3, 9, 7, 3];
        for (const t of times) {
          const s = f.create('t');
          ids.push(s.id);
          await adapter.putSignal(entryOf(s, { time: T0 + t }));
        }
        const byTime = [1, 2, 3, 6, 0, 5, 4].map((i) => ids[i]);
        assert.deepEqual(await collect(adapter), byTime);
        assert.deepEqual(await collect(adapter, { order: 'desc' }), [...byTime].reverse());
        assert.deepEqual(await collect(adapter, { since: T0 + 3, until: T0 + 7 }), [
          ids[2],
          ids[3],
          ids[6],
          ids[0],
          ids[5],
        ]);
        assert.deepEqual(await collect(adapter, { since: T0 + 3, until: T0 + 3, order: 'desc' }), [
          ids[6],
          ids[3],
          ids[2],
        ]);
        assert.deepEqual(await collect(adapter, { since: T0 + 10 }), []);
        assert.deepEqual(await collect(adapter, { until: T0 }), []);
        assert.deepEqual(await collect(adapter, { since: T0 + 8, until: T0 + 2 }), []);
        const first: string[] = [];
        for await (const e of adapter.scan({ since: T0 + 3 })) {
          first.push(e.id);
          if (first.length === 2) break;
        }
        assert.deepEqual(first, [ids[2], ids[3]]);
      });

      it('scan over many records stays ordered and complete', async () => {
        const n = 3000;
        // In groups of 100 concurrent puts (a durable adapter commits each group together),
        // mostly increasing with periodic stragglers.
        for (let start = 0; start < n; start += 100) {
          const group: Promise<void>[] = [];
          for (let i = start; i < start + 100; i++) {
            const t = i % 100 === 99 ? i - 150 : i;
            group.push(adapter.putSignal(entryOf(f.create('bulk', { i }), { time: T0 + t })));
          }
          await Promise.all(group);
        }
        const times: number[] = [];
        for await (const e of adapter.scan()) times.push(e.time);
        assert.equal(times.length, n);
        for (let i = 1; i < n; i++) assert.ok(times[i - 1] <= times[i]);
        let count = 0;
        for await (const e of adapter.scan({ since: T0 + 1000, until: T0 + 1999 })) {
          assert.ok(e.time >= T0 + 1000 && e.time <= T0 + 1999);
          count++;
        }
        assert.equal(count, 1000);
        await adapter.flush();
        assert.equal(await adapter.size(), n);
      });

      it('close is idempotent; afterwards every operation rejects with code "closed"', async () => {
        const s = f.create('a');
        await adapter.putSignal(entryOf(s));
        await adapter.flush();
        await adapter.close();
        await adapter.close();
        await rejectsWithCode(adapter.getSignal(s.id), 'closed');
        await rejectsWithCode(adapter.putSignal(entryOf(f.create('b'))), 'closed');
        await rejectsWithCode(adapter.size(), 'closed');
        await rejectsWithCode(adapter.getEffects(s.id), 'closed');
        await rejectsWithCode(
          (async () => {
            for await (const _ of adapter.scan()) void _;
          })(),
          'closed',
        );
      });
    });

    api.describe('SignalJournal on this adapter', () => {
      it('records causes, traces both ways and enforces the rules', async () => {
        const journal = new SignalJournal({ adapter });
        const a = f.create('order.created', { n: 1 }, { extensions: { correlationid: 'c-1' } });
        const b = f.create('payment.requested', null, { extensions: { causationid: a.id } });
        const c = f.create('payment.captured');
        await journal.record(a);
        const eb = await journal.record(b);
        const ec = await journal.record(c, { causeId: b.id });
        assert.equal(eb.causeId, a.id);
        assert.equal(eb.conversationId, 'c-1');
        assert.equal(ec.conversationId, 'c-1');
        assert.equal((await journal.getCause(c.id))?.id, b.id);
        assert.deepEqual(
          (await journal.getEffects(a.id)).map((s) => s.id),
          [b.id],
        );
        assert.deepEqual(
          (await journal.traceChain(a.id)).map((s) => [s.id, s.relation, s.depth]),
          [
            [a.id, 'origin', 0],
            [b.id, 'effect', 1],
            [c.id, 'effect', 2],
          ],
        );
        assert.deepEqual(
          (await journal.traceChain(c.id, { direction: 'causes' })).map((s) => s.id),
          [c.id, b.id, a.id],
        );
        assert.deepEqual(
          (await journal.conversation('c-1')).map((s) => s.id),
          [a.id, b.id, c.id],
        );
        await rejectsWithCode(
          journal.record(f.create('x'), { causeId: 'missing' }),
          'cause_not_found',
        );
        const early = f.create('early', null, { time: new Date(T0 - 60_000) });
        await rejectsWithCode(journal.record(early, { causeId: a.id }), 'invalid_temporal_order');
        const self = f.create('self');
        await rejectsWithCode(journal.record(self, { causeId: self.id }), 'self_cause');
        assert.equal((await journal.record(b)).id, b.id);
        await rejectsWithCode(journal.record(a, { causeId: c.id }), 'causality_cycle');
        await rejectsWithCode(journal.record(b.withExtension('tenant', 'x')), 'duplicate_signal');
        assert.equal(await journal.size(), 3);
        await rejectsWithCode(journal.traceChain('missing'), 'not_found');
      });

      it('query filters by type pattern, source, subject and time, with limit and order', async () => {
        const journal = new SignalJournal({ adapter });
        const made: Signal[] = [];
        for (let i = 0; i < 20; i++) {
          const s = f.create(
            i % 2 === 0 ? 'order.created' : 'order.line.added',
            { i },
            {
              source: i < 10 ? '/shop' : '/admin',
              subject: `o-${i % 3}`,
            },
          );
          made.push(s);
          await journal.record(s);
        }
        const ids = (list: Signal[]) => list.map((s) => s.data as { i: number }).map((d) => d.i);
        assert.deepEqual(
          ids(await journal.query({ type: 'order.*' })),
          [0, 2, 4, 6, 8, 10, 12, 14, 16, 18],
        );
        assert.deepEqual(
          ids(await journal.query({ type: 'order.**', source: '/admin', subject: 'o-0' })),
          [12, 15, 18],
        );
        assert.deepEqual(
          ids(await journal.query({ since: made[5].time, until: new Date(made[8].time!) })),
          [5, 6, 7, 8],
        );
        assert.deepEqual(ids(await journal.query({ order: 'desc', limit: 3 })), [19, 18, 17]);
        assert.deepEqual(await journal.query({ limit: 0 }), []);
        await rejectsWithCode(journal.query({ type: 'order..x' }), 'invalid_pattern');
      });

      it('a 2,000-signal chain traces in both directions without recursion', async () => {
        const journal = new SignalJournal({ adapter });
        let previous: Signal | undefined;
        const first = f.create('chain.0');
        for (let i = 0; i < 2000; i++) {
          const s: Signal = i === 0 ? first : f.create(`chain.${i}`);
          await journal.record(s, { causeId: previous?.id ?? null });
          previous = s;
        }
        const down = await journal.traceChain(first.id, { direction: 'effects' });
        assert.equal(down.length, 2000);
        assert.equal(down[1999].depth, 1999);
        const up = await journal.traceChain(previous!.id, { direction: 'causes', depth: 10 });
        assert.equal(up.length, 11);
        assert.equal((await journal.conversation(first.id)).length, 2000);
        await journal.close();
      });
    });

    if (options.reopen !== undefined) {
      const reopen = options.reopen;
      api.describe('persistence', () => {
        it('entries, edges, conversations and time order survive close and reopen', async () => {
          const journal = new SignalJournal({ adapter });
          const root = f.create('root', { x: 1 }, { extensions: { correlationid: 'p-1' } });
          const child = f.create('child', null, { extensions: { causationid: root.id } });
          const late = f.create('late', null, { time: new Date(T0 - 5000) });
          await journal.record(root);
          await journal.record(child);
          await journal.record(late);
          adapter = await reopen(adapter);
          const again = new SignalJournal({ adapter });
          assert.equal(await again.size(), 3);
          assert.deepEqual((await again.get(root.id))!.toJSON(), root.toJSON());
          assert.equal((await again.getCause(child.id))?.id, root.id);
          assert.deepEqual(
            (await again.conversation('p-1')).map((s) => s.id),
            [root.id, child.id],
          );
          assert.deepEqual(
            (await again.query()).map((s) => s.id),
            [late.id, root.id, child.id],
          );
          const grandchild = f.create('grandchild', null, {
            extensions: { causationid: child.id },
          });
          await again.record(grandchild);
          assert.deepEqual(
            (await again.traceChain(root.id)).map((s) => s.id),
            [root.id, child.id, grandchild.id],
          );
          assert.equal((await again.record(root)).id, root.id);
        });
      });
    }
  });
}
