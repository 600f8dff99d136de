import assert from 'node:assert/strict';
import { JidoSignalError } from '../core/errors/jido-signal.error.js';
import { createSignal, type Signal } from '../core/signal/signal.js';
import { SignalId } from '../core/signal/signal-id.js';
import type {
  DlqEntry,
  SignalStore,
  SubscriptionState,
} from '../core/store/signal-store.interface.js';

/** The subset of a test runner the conformance suite needs (Jest and Vitest both fit). */
export interface ConformanceTestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void>, timeout?: number): void;
  beforeEach(fn: () => Promise<void>): void;
  afterEach(fn: () => Promise<void>): void;
}

/** Options of {@link describeSignalStoreConformance}. */
export interface ConformanceOptions {
  /** Test functions. @default the runner's globals (`describe`, `it`, `beforeEach`, `afterEach`) */
  api?: ConformanceTestApi;
  /** Per-test timeout in ms (remote engines need more). @default 10_000 */
  timeout?: number;
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof JidoSignalError, `expected a JidoSignalError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

function dlqEntry(subscriptionId: string, signal: Signal, n: number): DlqEntry {
  const now = Date.now();
  return {
    id: SignalId.generate(),
    subscriptionId,
    signal,
    attempts: n,
    lastError: { code: 'timeout', message: `attempt ${n} timed out` },
    firstAttemptAt: now - 1000,
    lastAttemptAt: now,
    insertedAt: now,
  };
}

/**
 * Registers the `SignalStore` conformance suite: every store (memory, JetStream, your own)
 * must pass it. `factory` gets a fresh, empty store for each test; use a unique bus name
 * prefix per run if the store is shared (remote engines).
 *
 * @example
 * import { describeSignalStoreConformance } from 'nestjs-jido-signal/testing';
 * describeSignalStoreConformance('MemoryStore', () => new MemoryStore());
 */
export function describeSignalStoreConformance(
  name: string,
  factory: () => SignalStore | Promise<SignalStore>,
  options: ConformanceOptions = {},
): void {
  const api = options.api ?? (globalThis as unknown as ConformanceTestApi);
  const timeout = options.timeout ?? 10_000;
  const it = (title: string, fn: () => Promise<void>) => api.it(title, fn, timeout);
  let store: SignalStore;
  let bus: string;
  let seq = 0;

  api.describe(`SignalStore conformance: ${name}`, () => {
    api.beforeEach(async () => {
      store = await factory();
      bus = `conformance-${process.pid}-${Date.now()}-${seq++}`;
    });
    api.afterEach(async () => {
      await store.close();
    });

    api.describe('log', () => {
      it('append assigns strictly increasing log ids in order and keeps the signal', async () => {
        const signals = [createSignal('a.one', 1), createSignal('a.two', 2), createSignal('b', 3)];
        const before = Date.now();
        const recorded = await store.append(bus, signals);
        assert.equal(recorded.length, 3);
        for (let i = 0; i < 3; i++) {
          assert.equal(recorded[i].signal.id, signals[i].id);
          assert.ok(SignalId.isValid(recorded[i].logId));
          assert.ok(
            recorded[i].recordedAt >= before - 1 && recorded[i].recordedAt <= Date.now() + 1,
          );
          if (i > 0) assert.ok(recorded[i].logId > recorded[i - 1].logId);
        }
        const more = await store.append(bus, [createSignal('c', 4)]);
        assert.ok(more[0].logId > recorded[2].logId);
        assert.equal(await store.size(bus), 4);
        assert.deepEqual(await store.append(bus, []), []);
      });

      it('read returns the whole log in order and pages with afterLogId', async () => {
        const recorded = await store.append(
          bus,
          Array.from({ length: 10 }, (_, i) => createSignal('t', i)),
        );
        const all = await store.read(bus);
        assert.deepEqual(
          all.map((e) => e.logId),
          recorded.map((e) => e.logId),
        );
        const page = await store.read(bus, { afterLogId: recorded[3].logId, limit: 4 });
        assert.deepEqual(
          page.map((e) => e.signal.data),
          [4, 5, 6, 7],
        );
        assert.deepEqual(await store.read(bus, { afterLogId: recorded[9].logId }), []);
        assert.deepEqual(await store.read(bus, { limit: 0 }), []);
      });

      it('read filters by pattern with the one matcher (** matches zero segments)', async () => {
        await store.append(bus, [
          createSignal('audit', 0),
          createSignal('audit.user.login', 1),
          createSignal('user.created', 2),
          createSignal('user.profile.updated', 3),
        ]);
        const data = async (pattern: string) =>
          (await store.read(bus, { pattern })).map((e) => e.signal.data);
        assert.deepEqual(await data('audit.**'), [0, 1]);
        assert.deepEqual(await data('user.*'), [2]);
        assert.deepEqual(await data('**.updated'), [3]);
        assert.deepEqual(await data('**'), [0, 1, 2, 3]);
        await rejectsWithCode(store.read(bus, { pattern: 'a..b' }), 'invalid_pattern');
      });

      it('read filters by correlation id and by time range', async () => {
        await store.append(bus, [
          createSignal('x', 1, { extensions: { correlationid: 'c1' } }),
          createSignal('x', 2, { extensions: { correlationid: 'c2' } }),
        ]);
        await tick(15);
        const mid = Date.now();
        await tick(15);
        await store.append(bus, [createSignal('x', 3, { extensions: { correlationid: 'c1' } })]);
        assert.deepEqual(
          (await store.read(bus, { correlationId: 'c1' })).map((e) => e.signal.data),
          [1, 3],
        );
        assert.deepEqual(
          (await store.read(bus, { since: mid })).map((e) => e.signal.data),
          [3],
        );
        assert.deepEqual(
          (await store.read(bus, { until: mid })).map((e) => e.signal.data),
          [1, 2],
        );
        assert.deepEqual((await store.read(bus, { since: mid, correlationId: 'c2' })).length, 0);
      });

      it('trim keeps the newest maxSize entries and drops entries older than a time', async () => {
        await store.append(
          bus,
          Array.from({ length: 10 }, (_, i) => createSignal('t', i)),
        );
        assert.equal(await store.trim(bus, { maxSize: 5 }), 5);
        assert.deepEqual(
          (await store.read(bus)).map((e) => e.signal.data),
          [5, 6, 7, 8, 9],
        );
        assert.equal(await store.trim(bus, { maxSize: 5 }), 0);
        await tick(15);
        const cut = Date.now();
        await tick(5);
        await store.append(bus, [createSignal('t', 10)]);
        assert.equal(await store.trim(bus, { olderThan: cut }), 5);
        assert.deepEqual(
          (await store.read(bus)).map((e) => e.signal.data),
          [10],
        );
        assert.equal(await store.size(bus), 1);
        assert.equal(await store.trim(bus, { maxSize: 0 }), 1);
        assert.equal(await store.size(bus), 0);
      });

      it('buses sharing a store are isolated', async () => {
        await store.append(bus, [createSignal('a', 1)]);
        await store.append(`${bus}-other`, [createSignal('a', 2), createSignal('a', 3)]);
        assert.equal(await store.size(bus), 1);
        assert.equal(await store.size(`${bus}-other`), 2);
        assert.deepEqual(
          (await store.read(bus)).map((e) => e.signal.data),
          [1],
        );
      });

      it('bad limits are typed errors', async () => {
        await rejectsWithCode(store.read(bus, { limit: -1 }), 'invalid_attribute');
        await rejectsWithCode(store.read(bus, { limit: 1.5 }), 'invalid_attribute');
      });
    });

    api.describe('subscription state', () => {
      const state = (id: string): SubscriptionState => ({
        subscriptionId: id,
        pattern: 'order.**',
        options: { maxInFlight: 10, backoff: { type: 'fixed', delay: 100 } },
        ackFloor: undefined,
        acked: [],
        attempts: {},
        createdAt: Date.now(),
      });

      it('put / get / list / delete', async () => {
        assert.equal(await store.getSubscription(bus, 's1'), undefined);
        await store.putSubscription(bus, state('s1'));
        await store.putSubscription(bus, state('s2'));
        assert.equal((await store.getSubscription(bus, 's1'))!.pattern, 'order.**');
        assert.deepEqual((await store.listSubscriptions(bus)).map((s) => s.subscriptionId).sort(), [
          's1',
          's2',
        ]);
        const floor = SignalId.generate();
        await store.putSubscription(bus, {
          ...state('s1'),
          ackFloor: floor,
          acked: ['x'],
          attempts: { y: 2 },
        });
        const got = (await store.getSubscription(bus, 's1'))!;
        assert.equal(got.ackFloor, floor);
        assert.deepEqual(got.acked, ['x']);
        assert.deepEqual(got.attempts, { y: 2 });
        assert.deepEqual(got.options, { maxInFlight: 10, backoff: { type: 'fixed', delay: 100 } });
        assert.equal(await store.deleteSubscription(bus, 's1'), true);
        assert.equal(await store.deleteSubscription(bus, 's1'), false);
        assert.equal(await store.getSubscription(bus, 's1'), undefined);
      });

      it('stores a copy: later changes to the object passed in do not leak in', async () => {
        const s = { ...state('s1'), acked: ['a'], options: { n: 1 } as Record<string, unknown> };
        await store.putSubscription(bus, s);
        s.acked.push('b');
        s.options.n = 2;
        const got = (await store.getSubscription(bus, 's1'))!;
        assert.deepEqual(got.acked, ['a']);
        assert.equal(got.options.n, 1);
      });
    });

    api.describe('dead-letter queue', () => {
      it('keeps entries per subscription in insertion order', async () => {
        const signal = createSignal('order.failed', { id: 1 });
        await store.putDlq(bus, dlqEntry('s1', signal, 1));
        await store.putDlq(bus, dlqEntry('s1', signal, 2));
        await store.putDlq(bus, dlqEntry('s2', signal, 3));
        const list = await store.listDlq(bus, 's1');
        assert.deepEqual(
          list.map((e) => e.attempts),
          [1, 2],
        );
        assert.equal(list[0].signal.id, signal.id);
        assert.equal(list[0].signal.type, 'order.failed');
        assert.deepEqual(list[0].lastError, { code: 'timeout', message: 'attempt 1 timed out' });
        assert.deepEqual(
          (await store.listDlq(bus, 's1', { limit: 1 })).map((e) => e.attempts),
          [1],
        );
        assert.equal(await store.dlqSize(bus, 's1'), 2);
        assert.equal(await store.dlqSize(bus), 3);
        assert.deepEqual(await store.listDlq(bus, 'nobody'), []);
      });

      it('deletes selected entries and clears one subscription only', async () => {
        const signal = createSignal('x');
        const a = dlqEntry('s1', signal, 1);
        const b = dlqEntry('s1', signal, 2);
        await store.putDlq(bus, a);
        await store.putDlq(bus, b);
        await store.putDlq(bus, dlqEntry('s2', signal, 3));
        assert.equal(await store.deleteDlq(bus, 's1', [a.id, 'unknown']), 1);
        assert.deepEqual(
          (await store.listDlq(bus, 's1')).map((e) => e.id),
          [b.id],
        );
        assert.equal(await store.clearDlq(bus, 's1'), 1);
        assert.equal(await store.dlqSize(bus, 's1'), 0);
        assert.equal(await store.dlqSize(bus, 's2'), 1);
      });
    });

    api.describe('snapshots', () => {
      it('put / get / list newest first / delete, and entries do not change', async () => {
        const entries = await store.append(bus, [createSignal('a', 1), createSignal('a', 2)]);
        const first = {
          id: SignalId.generate(),
          pattern: 'a',
          createdAt: Date.now() - 10,
          entries,
        };
        const second = {
          id: SignalId.generate(),
          pattern: '**',
          createdAt: Date.now(),
          entries: entries.slice(0, 1),
        };
        await store.putSnapshot(bus, first);
        await store.putSnapshot(bus, second);
        const listed = await store.listSnapshots(bus);
        assert.deepEqual(
          listed.map((s) => [s.id, s.size]),
          [
            [second.id, 1],
            [first.id, 2],
          ],
        );
        await store.append(bus, [createSignal('a', 3)]);
        const read = (await store.getSnapshot(bus, first.id))!;
        assert.deepEqual(
          read.entries.map((e) => e.signal.data),
          [1, 2],
        );
        assert.equal(read.pattern, 'a');
        assert.equal(await store.deleteSnapshot(bus, first.id), true);
        assert.equal(await store.deleteSnapshot(bus, first.id), false);
        assert.equal(await store.getSnapshot(bus, first.id), undefined);
      });
    });

    api.describe('lifecycle', () => {
      it('ping resolves while open; after close, operations reject with code "closed"', async () => {
        await store.ping();
        await store.close();
        await rejectsWithCode(store.ping(), 'closed');
        await rejectsWithCode(store.append(bus, [createSignal('a')]), 'closed');
        await rejectsWithCode(store.read(bus), 'closed');
      });
    });
  });
}
