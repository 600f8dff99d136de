// The SignalBus scenarios every distributed engine passes (JetStream, Redis Streams): fan-out
// of ordinary subscriptions across instances and the remote persistent engine
// (lib/core/bus/persistent/remote-engine.ts) — competing consumers, acks, retries, DLQ,
// redrive, unsubscribe, resume, stats, broad filters. Two "app instances" = two buses of the same
// name on two separate store objects. Used by jetstream-bus.spec.ts and redis-bus.spec.ts.
import { afterAll, afterEach, expect, it, describe } from '@jest/globals';
import type { DistributedSignalStore } from '../../../lib/core/store/distributed-store.interface.js';
import type { PersistentDeliverMessage } from '../../../lib/core/bus/persistent/telemetry.js';
import type { PersistentSubscribeOptions } from '../../../lib/core/bus/persistent/options.js';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import {
  AckTimeoutError,
  BusClosedError,
  BusOptionError,
  InvalidAckArgumentError,
  InvalidLogIdError,
  SubscriberError,
  UnknownLogIdError,
} from '../../../lib/core/errors/bus.error.js';
import { StoreClosedError } from '../../../lib/core/errors/store.error.js';
import type { DeliveryContext } from '../../../lib/core/dispatch/adapter.interface.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { SignalId } from '../../../lib/core/signal/signal-id.js';
import type { BusError } from '../../../lib/core/errors/bus.error.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { rejection } from '../../helpers/errors.js';
import { collectErrors, listen, sig, sleep } from './helpers.js';

/** What the scenarios need from an engine. */
export interface DistributedBusEngine<S extends DistributedSignalStore> {
  /** Title of the describe block. */
  readonly title: string;
  /** Prefix of this run's streams / keys. */
  readonly prefix: string;
  /** Prefix of the bus names (one bus per test). */
  readonly busPrefix: string;
  /** A new store (connection) under `prefix`. */
  connect(prefix: string): Promise<S>;
  /** Remove everything stored under `prefix` (afterAll). */
  cleanup(prefix: string): Promise<unknown>;
  /** Assert, on the server, that the subscriptions' consumers hold nothing pending or redelivered. */
  expectSettledOnServer(store: S, bus: string, subscriptionIds: readonly string[]): Promise<void>;
}

/** Register the scenarios for `engine`. */
export function describeDistributedBus<S extends DistributedSignalStore>(
  engine: DistributedBusEngine<S>,
): void {
  const { prefix } = engine;
  const stores: S[] = [];
  const buses: SignalBus[] = [];
  const listeners: { stop: () => void }[] = [];
  let seq = 0;

  /** A bus name used by one test only. */
  const busName = (): string => `${engine.busPrefix}${seq++}`;

  async function openStore(): Promise<S> {
    const store = await engine.connect(prefix);
    stores.push(store);
    return store;
  }

  function newBus(store: S, name: string): SignalBus {
    const bus = new SignalBus({ name, store, maxLogSize: Infinity });
    buses.push(bus);
    return bus;
  }

  /** Two app instances of one bus: two stores (connections), two bus objects, one name. */
  async function twoInstances(): Promise<{
    a: SignalBus;
    b: SignalBus;
    sa: S;
    sb: S;
    name: string;
  }> {
    const name = busName();
    const [sa, sb] = await Promise.all([openStore(), openStore()]);
    return { a: newBus(sa, name), b: newBus(sb, name), sa, sb, name };
  }

  async function until(
    what: string,
    check: () => boolean | Promise<boolean>,
    timeoutMs = 10_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(15);
    }
  }

  /** Deliveries of the remote engine (attempt numbers are the server's delivery count). */
  function deliveries(bus: string, subscriptionId: string) {
    const l = listen<PersistentDeliverMessage>(TelemetryChannel.SubscriptionDeliver);
    listeners.push(l);
    return {
      attemptsOf: (signalId: string): number[] =>
        l.messages
          .filter(
            (m) => m.bus === bus && m.subscriptionId === subscriptionId && m.signal.id === signalId,
          )
          .map((m) => m.attempt),
    };
  }

  async function pstats(bus: SignalBus, id: string) {
    const stats = await bus.stats();
    const sub = stats.subscriptions.find((s) => s.id === id);
    if (sub?.persistence === undefined) throw new Error(`no persistent subscription ${id}`);
    return sub;
  }

  function persistent(
    subscriptionId: string,
    dispatch: (s: Signal) => unknown,
    options: Partial<PersistentSubscribeOptions> = {},
  ): PersistentSubscribeOptions {
    return { persistent: true, subscriptionId, dispatch, ...options };
  }

  afterEach(async () => {
    for (const l of listeners.splice(0)) l.stop();
    await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 5_000 })));
    await Promise.all(stores.splice(0).map((s) => s.close()));
  }, 20_000);

  afterAll(async () => {
    await engine.cleanup(prefix);
  }, 30_000);

  describe(engine.title, () => {
    // ── 1. fan-out ────────────────────────────────────────────────────────────────────────────

    it('fan-out: ordinary subscribers and streams on both instances get every signal once, in each publisher order', async () => {
      const { a, b } = await twoInstances();
      await expect(a.ready()).resolves.toBeUndefined();
      await expect(b.ready()).resolves.toBeUndefined();
      await expect(b.ready()).resolves.toBeUndefined(); // idempotent

      const gotA: Signal[] = [];
      const gotB: Signal[] = [];
      const streamedB: Signal[] = [];
      const others: Signal[] = [];
      await a.subscribe('fan.*', (s) => {
        gotA.push(s);
      });
      await b.subscribe('fan.*', (s) => {
        gotB.push(s);
      });
      await b.subscribe('other.*', (s) => {
        others.push(s);
      });
      const rx = b.stream('fan.**').subscribe((s) => streamedB.push(s));
      try {
        const publishSome = async (bus: SignalBus, from: string, n: number): Promise<string[]> => {
          const ids: string[] = [];
          for (let i = 0; i < n; i++) {
            const [entry] = await bus.publish(sig(`fan.${from}`, { from, i }));
            ids.push(entry.signal.id);
          }
          // A batch too: recorded and fanned out in order.
          const batch = await bus.publish([
            sig(`fan.${from}`, { from, i: n }),
            sig(`fan.${from}`, { from, i: n + 1 }),
          ]);
          return [...ids, ...batch.map((e) => e.signal.id)];
        };
        const [idsA, idsB] = await Promise.all([publishSome(a, 'a', 8), publishSome(b, 'b', 8)]);
        const total = idsA.length + idsB.length;

        // The publisher's own subscribers have its signal when publish resolves.
        const [own] = await a.publish(sig('fan.a', { from: 'a', i: 99 }));
        expect(gotA.map((s) => s.id)).toContain(own.signal.id);
        idsA.push(own.signal.id);

        await until(
          'every signal on both instances',
          () =>
            gotA.length >= total + 1 && gotB.length >= total + 1 && streamedB.length >= total + 1,
        );
        await sleep(250); // a duplicate would arrive by now

        for (const got of [gotA, gotB, streamedB]) {
          const ids = got.map((s) => s.id);
          expect(ids).toHaveLength(total + 1);
          expect(new Set(ids).size).toBe(total + 1);
          // Each publisher's order is kept, on its own instance and on the other one.
          expect(ids.filter((id) => idsA.includes(id))).toEqual(idsA);
          expect(ids.filter((id) => idsB.includes(id))).toEqual(idsB);
        }
        expect(others).toEqual([]);
        // The signal crosses instances intact.
        const crossed = gotB.find((s) => s.id === idsA[0])!;
        expect(crossed.type).toBe('fan.a');
        expect(crossed.data).toEqual({ from: 'a', i: 0 });
        expect(crossed.source).toBe(gotA.find((s) => s.id === idsA[0])!.source);
      } finally {
        rx.unsubscribe();
      }
    });

    // ── 2. competing consumers ────────────────────────────────────────────────────────────────

    it('persistent competing consumers: every signal handled exactly once overall, work shared', async () => {
      const { a, b } = await twoInstances();
      const handled = new Map<string, string[]>();
      const handler = (who: string) => async (s: Signal) => {
        handled.set(s.id, [...(handled.get(s.id) ?? []), who]);
        await sleep(5);
      };
      const options = { autoAck: true, maxInFlight: 2, ackTimeout: 10_000 };
      await a.subscribe('job.*', persistent('workers', handler('a'), options));
      await b.subscribe('job.*', persistent('workers', handler('b'), options));

      const fromA = await a.publish(Array.from({ length: 20 }, (_, i) => sig('job.a', { i })));
      const fromB = await b.publish(Array.from({ length: 20 }, (_, i) => sig('job.b', { i })));
      const ids = [...fromA, ...fromB].map((e) => e.signal.id);

      await until('all 40 handled', () => ids.every((id) => handled.has(id)), 15_000);
      await sleep(300); // a duplicate delivery would show up by now
      expect(handled.size).toBe(40);
      for (const id of ids) expect(handled.get(id)).toHaveLength(1);
      const byA = ids.filter((id) => handled.get(id)![0] === 'a').length;
      const byB = ids.filter((id) => handled.get(id)![0] === 'b').length;
      expect(byA).toBeGreaterThan(0);
      expect(byB).toBeGreaterThan(0);

      const sa = (await pstats(a, 'workers')).persistence!;
      const sb = (await pstats(b, 'workers')).persistence!;
      expect(sa).toMatchObject({ delivered: byA, acked: byA, inFlight: 0, retried: 0 });
      expect(sb).toMatchObject({ delivered: byB, acked: byB, inFlight: 0, retried: 0 });
    });

    // ── 3. manual ack ─────────────────────────────────────────────────────────────────────────

    it('manual ack by log id and signal id; typed errors for bad ids; an unacked delivery is redelivered after ackTimeout', async () => {
      const { a, b, name } = await twoInstances();
      const got: Signal[] = [];
      const seen = deliveries(name, 'manual');
      await a.subscribe(
        'task.*',
        persistent('manual', (s) => void got.push(s), { ackTimeout: 1_000, maxAttempts: 3 }),
      );
      // Published by the other instance; the log ids agree across instances.
      const [e1, e2, e3] = await b.publish([sig('task.one'), sig('task.two'), sig('task.three')]);
      const started = Date.now();
      await until('3 deliveries', () => got.length === 3);
      expect(got.map((s) => s.id)).toEqual([e1.signal.id, e2.signal.id, e3.signal.id]);

      await expect(a.ack('manual', e1.logId)).resolves.toBeUndefined();
      await expect(a.ack('manual', e2.signal.id)).resolves.toBeUndefined();

      // Already acked → unknown; an unknown UUID → unknown_log_id.
      let error = await rejection(a.ack('manual', e1.logId));
      expect(error).toBeInstanceOf(UnknownLogIdError);
      expect(error.code).toBe('unknown_log_id');
      error = await rejection(a.ack('manual', SignalId.generate()));
      expect(error).toBeInstanceOf(UnknownLogIdError);
      expect(error.code).toBe('unknown_log_id');
      // Not a UUID → invalid_log_id.
      error = await rejection(a.ack('manual', 'not-a-log-id'));
      expect(error).toBeInstanceOf(InvalidLogIdError);
      expect(error.code).toBe('invalid_log_id');
      // Not a string (or an empty list) → invalid_ack_argument.
      error = await rejection(a.ack('manual', 42 as unknown as string));
      expect(error).toBeInstanceOf(InvalidAckArgumentError);
      expect(error.code).toBe('invalid_ack_argument');
      error = await rejection(a.ack('manual', []));
      expect(error.code).toBe('invalid_ack_argument');
      // All or nothing: one bad id in a list acks nothing (e3 stays unacked).
      error = await rejection(a.ack('manual', [e3.logId, SignalId.generate()]));
      expect(error.code).toBe('unknown_log_id');
      // The other instance holds no such subscription.
      expect((await rejection(b.ack('manual', e3.logId))).code).toBe('subscription_not_found');

      // Not acked within ackTimeout → redelivered (attempt 2, the server's count).
      await until('redelivery of e3', () => got.length >= 4, 6_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(got.map((s) => s.id)).toEqual([
        e1.signal.id,
        e2.signal.id,
        e3.signal.id,
        e3.signal.id,
      ]);
      expect(seen.attemptsOf(e3.signal.id)).toEqual([1, 2]);
      expect(seen.attemptsOf(e1.signal.id)).toEqual([1]);
      await expect(a.ack('manual', e3.logId)).resolves.toBeUndefined();
      await sleep(1_300); // past another ackTimeout: nothing comes back
      expect(got).toHaveLength(4);
      expect((await pstats(a, 'manual')).persistence).toMatchObject({
        delivered: 4,
        acked: 3,
        inFlight: 0,
        deadLettered: 0,
      });
    });

    // ── 4. failures ───────────────────────────────────────────────────────────────────────────

    it('a throwing handler is retried with the backoff, then dead-lettered; the entry is visible from the other instance', async () => {
      const { a, b, name } = await twoInstances();
      const calls: number[] = [];
      const errors = collectErrors(a);
      const seen = deliveries(name, 'failing');
      await a.subscribe(
        'pay.*',
        persistent(
          'failing',
          () => {
            calls.push(Date.now());
            throw new Error('boom');
          },
          { autoAck: true, maxAttempts: 3, backoff: { type: 'fixed', interval: 50 } },
        ),
      );
      const [e] = await b.publish(sig('pay.card', { amount: 42 }, { tenant: 't1' }));

      await until('a DLQ entry seen from the other instance', async () => {
        return (await b.dlq.list('failing')).length > 0;
      });
      const list = await b.dlq.list('failing');
      expect(list).toHaveLength(1);
      const [entry] = list;
      expect(entry).toMatchObject({
        subscriptionId: 'failing',
        logId: e.logId,
        attempts: 3,
        lastError: { code: 'dispatch_error', message: 'boom' },
      });
      expect(SignalId.isValid(entry.id)).toBe(true);
      expect(entry.signal.id).toBe(e.signal.id);
      expect(entry.signal.type).toBe('pay.card');
      expect(entry.signal.source).toBe(e.signal.source);
      expect(entry.signal.data).toEqual({ amount: 42 });
      expect(entry.signal.extensions).toMatchObject({ tenant: 't1' });
      expect(entry.lastAttemptAt).toBeGreaterThanOrEqual(entry.firstAttemptAt);
      expect(entry.insertedAt).toBeGreaterThanOrEqual(entry.lastAttemptAt);
      await expect(a.dlq.size('failing')).resolves.toBe(1);

      // maxAttempts attempts, spaced by the backoff, then nothing more (the server terminated it).
      expect(calls).toHaveLength(3);
      expect(seen.attemptsOf(e.signal.id)).toEqual([1, 2, 3]);
      for (let i = 1; i < calls.length; i++) {
        expect(calls[i] - calls[i - 1]).toBeGreaterThanOrEqual(40);
      }
      await sleep(300);
      expect(calls).toHaveLength(3);
      expect(await b.dlq.list('failing')).toHaveLength(1);

      expect(errors).toHaveLength(3);
      for (const err of errors) {
        expect(err).toBeInstanceOf(SubscriberError);
        expect(err).toMatchObject({ subscriptionId: 'failing', signalId: e.signal.id });
      }
      expect((await pstats(a, 'failing')).persistence).toMatchObject({
        delivered: 0,
        acked: 0,
        retried: 2,
        deadLettered: 1,
        inFlight: 0,
      });
    });

    it('nack with requeue: false dead-letters at once (code nacked); nack with delay redelivers after it', async () => {
      const { a, b, name } = await twoInstances();
      const got: Signal[] = [];
      const seen = deliveries(name, 'nacks');
      await a.subscribe(
        'n.*',
        persistent('nacks', (s) => void got.push(s), { maxAttempts: 5, ackTimeout: 10_000 }),
      );
      const [poison, later] = await a.publish([sig('n.poison', { p: 1 }), sig('n.later')]);
      await until('2 deliveries', () => got.length === 2);

      await expect(
        a.nack('nacks', poison.logId, { requeue: false, reason: 'poison pill' }),
      ).resolves.toBeUndefined();
      await until('the nacked entry in the DLQ', async () => (await b.dlq.size('nacks')) === 1);
      const [entry] = await b.dlq.list('nacks');
      expect(entry).toMatchObject({
        subscriptionId: 'nacks',
        logId: poison.logId,
        attempts: 1,
        lastError: { code: 'nacked', message: 'poison pill' },
      });
      expect(entry.signal.id).toBe(poison.signal.id);
      expect(entry.signal.data).toEqual({ p: 1 });
      // It is no longer this instance's delivery.
      expect((await rejection(a.ack('nacks', poison.logId))).code).toBe('unknown_log_id');

      // A bad delay → invalid_option; nothing changes.
      const bad = await rejection(a.nack('nacks', later.signal.id, { delay: -1 }));
      expect(bad).toBeInstanceOf(BusOptionError);
      expect(bad.code).toBe('invalid_option');

      const nackedAt = Date.now();
      await expect(a.nack('nacks', later.signal.id, { delay: 300 })).resolves.toBeUndefined();
      await until('the delayed redelivery', () => got.length === 3, 5_000);
      expect(Date.now() - nackedAt).toBeGreaterThanOrEqual(250);
      expect(got[2].id).toBe(later.signal.id);
      expect(seen.attemptsOf(later.signal.id)).toEqual([1, 2]);
      await expect(a.ack('nacks', later.logId)).resolves.toBeUndefined();

      await sleep(250);
      // The poison signal was never redelivered.
      expect(got.map((s) => s.type)).toEqual(['n.poison', 'n.later', 'n.later']);
      expect(seen.attemptsOf(poison.signal.id)).toEqual([1]);
      expect((await pstats(a, 'nacks')).persistence).toMatchObject({
        deadLettered: 1,
        retried: 1,
        acked: 1,
        inFlight: 0,
      });
    });

    it('ack timeouts on every attempt dead-letter the signal with code ack_timeout (never dropped)', async () => {
      const { a, b, name } = await twoInstances();
      const got: Signal[] = [];
      const seen = deliveries(name, 'slowpoke');
      await a.subscribe(
        'slow.*',
        persistent('slowpoke', (s) => void got.push(s), { maxAttempts: 2, ackTimeout: 1_000 }),
      );
      const [e] = await b.publish(sig('slow.one', { n: 1 }));
      await until('the DLQ entry', async () => (await b.dlq.size('slowpoke')) === 1, 8_000);
      const [entry] = await a.dlq.list('slowpoke');
      expect(entry).toMatchObject({
        subscriptionId: 'slowpoke',
        logId: e.logId,
        attempts: 2,
        lastError: { code: 'ack_timeout' },
      });
      expect(entry.signal.id).toBe(e.signal.id);
      expect(entry.signal.data).toEqual({ n: 1 });
      // Two handler attempts; the server's extra delivery only dead-lettered it.
      expect(got.map((s) => s.id)).toEqual([e.signal.id, e.signal.id]);
      expect(seen.attemptsOf(e.signal.id)).toEqual([1, 2]);
      expect((await rejection(a.ack('slowpoke', e.logId))).code).toBe('unknown_log_id');
      await sleep(1_200);
      expect(got).toHaveLength(2);
      await expect(b.dlq.size('slowpoke')).resolves.toBe(1);
      expect((await pstats(a, 'slowpoke')).persistence).toMatchObject({
        deadLettered: 1,
        acked: 0,
        inFlight: 0,
      });
    });

    // ── 5. redrive ────────────────────────────────────────────────────────────────────────────

    it('a handler running longer than ackTimeout is aborted at the deadline (counted from hand-over), redelivered, then dead-lettered', async () => {
      const { a, b, name } = await twoInstances();
      const seen = deliveries(name, 'patient');
      const started: string[] = [];
      const aborted: unknown[] = [];
      let settledLate = 0;
      const handler = async (s: Signal, delivery?: DeliveryContext): Promise<void> => {
        started.push(s.id);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 4_000);
          delivery!.signal.addEventListener('abort', () => {
            aborted.push(delivery!.signal.reason);
            clearTimeout(timer);
            resolve();
          });
        });
        settledLate++; // ignored: the attempt is over
      };
      for (const bus of [a, b]) {
        collectErrors(bus);
        await bus.subscribe(
          'long.*',
          persistent('patient', handler, { autoAck: true, ackTimeout: 1_000, maxAttempts: 2 }),
        );
      }
      const t0 = Date.now();
      const [e] = await a.publish(sig('long.job', { n: 1 }));
      await until('the DLQ entry', async () => (await a.dlq.size('patient')) === 1, 8_000);
      // Two attempts of ~1 s each, not 4 s each: the deadline runs while the handler runs.
      expect(Date.now() - t0).toBeLessThan(3_900);
      expect(started).toEqual([e.signal.id, e.signal.id]);
      expect(seen.attemptsOf(e.signal.id)).toEqual([1, 2]);
      expect(aborted).toHaveLength(2);
      for (const reason of aborted) expect(reason).toBeInstanceOf(AckTimeoutError);
      expect(settledLate).toBe(2);
      const [entry] = await b.dlq.list('patient');
      expect(entry).toMatchObject({ logId: e.logId, lastError: { code: 'ack_timeout' } });
      const acked =
        (await pstats(a, 'patient')).persistence!.acked +
        (await pstats(b, 'patient')).persistence!.acked;
      expect(acked).toBe(0);
    });

    it('close does not wait for a handler that never settles; its signal goes to the next start', async () => {
      const { a, name } = await twoInstances();
      let started = 0;
      await a.subscribe(
        'hang.*',
        persistent('hanger', () => {
          started++;
          return new Promise<void>(() => undefined);
        }),
      );
      const [e] = await a.publish(sig('hang.one', { n: 1 }));
      await until('the handler to start', () => started === 1, 5_000);
      const t0 = Date.now();
      await a.close({ timeout: 200 });
      expect(Date.now() - t0).toBeLessThan(5_000);
      const store = await openStore();
      const next = newBus(store, name);
      const got: string[] = [];
      await next.subscribe(
        'hang.*',
        persistent('hanger', (s) => void got.push(s.id), { autoAck: true }),
      );
      await until('the next start to get it', () => got.length === 1, 8_000);
      expect(got).toEqual([e.signal.id]);
    });

    it('dlq.redrive re-dispatches the entries on the calling instance; success removes them; clear empties the DLQ', async () => {
      const { a, b } = await twoInstances();
      let failing = true;
      const gotA: Signal[] = [];
      const gotB: Signal[] = [];
      const handler = (got: Signal[]) => (s: Signal) => {
        got.push(s);
        if (failing) throw new Error(`fail ${s.type}`);
      };
      const options: Partial<PersistentSubscribeOptions> = {
        autoAck: true,
        maxAttempts: 1,
        backoff: { type: 'fixed', interval: 50 },
      };
      await a.subscribe('r.*', persistent('redrive', handler(gotA), options));
      await b.subscribe('r.*', persistent('redrive', handler(gotB), options));

      const published = await a.publish([sig('r.1'), sig('r.2'), sig('r.3')]);
      const ids = published.map((e) => e.signal.id);
      await until('3 DLQ entries', async () => (await a.dlq.size('redrive')) === 3);
      const before = await b.dlq.list('redrive');
      expect(before.map((e) => e.signal.id).sort()).toEqual([...ids].sort());
      expect(before.every((e) => e.lastError.code === 'dispatch_error')).toBe(true);

      // Still failing: a redriven entry is replaced by a new one (nothing lost).
      const aBefore = gotA.length;
      const bBefore = gotB.length;
      await expect(b.dlq.redrive('redrive', { limit: 1 })).resolves.toEqual({
        redriven: 1,
        failed: 0,
      });
      await until('the replaced entry', async () => {
        const list = await a.dlq.list('redrive');
        return list.length === 3 && !list.some((e) => e.id === before[0].id);
      });
      expect(gotB.length).toBe(bBefore + 1); // dispatched on the calling instance
      expect(gotA.length).toBe(aBefore);
      const replaced = (await a.dlq.list('redrive')).find(
        (e) => e.signal.id === before[0].signal.id,
      )!;
      expect(replaced).toMatchObject({ attempts: 1, lastError: { code: 'dispatch_error' } });

      // Now succeeding: every entry is handled on B and leaves the DLQ.
      failing = false;
      const handledB = gotB.length;
      await expect(b.dlq.redrive('redrive')).resolves.toEqual({ redriven: 3, failed: 0 });
      await until('an empty DLQ', async () => (await a.dlq.size('redrive')) === 0);
      expect(
        gotB
          .slice(handledB)
          .map((s) => s.id)
          .sort(),
      ).toEqual([...ids].sort());
      expect(gotA.length).toBe(aBefore);
      expect((await pstats(b, 'redrive')).persistence).toMatchObject({ redriven: 4, acked: 3 });
      await expect(b.dlq.redrive('redrive')).resolves.toEqual({ redriven: 0, failed: 0 });

      // clear, from either instance.
      failing = true;
      await a.publish([sig('r.4'), sig('r.5')]);
      await until('2 new DLQ entries', async () => (await b.dlq.size('redrive')) === 2);
      await expect(a.dlq.clear('redrive')).resolves.toBe(2);
      await expect(b.dlq.list('redrive')).resolves.toEqual([]);
      await expect(b.dlq.size('redrive')).resolves.toBe(0);
    });

    // ── 6. unsubscribe ────────────────────────────────────────────────────────────────────────

    it('unsubscribe stops delivery on that instance; the other instance keeps getting the work', async () => {
      const { a, b } = await twoInstances();
      const gotA: Signal[] = [];
      const gotB: Signal[] = [];
      const options = { autoAck: true, maxInFlight: 2, ackTimeout: 3_000 };
      await a.subscribe(
        'u.*',
        persistent(
          'leaver',
          async (s) => {
            gotA.push(s);
            await sleep(2);
          },
          options,
        ),
      );
      await b.subscribe(
        'u.*',
        persistent(
          'leaver',
          async (s) => {
            gotB.push(s);
            await sleep(2);
          },
          options,
        ),
      );
      const first = await a.publish(Array.from({ length: 10 }, (_, i) => sig('u.x', { i })));
      await until('first batch handled', () => gotA.length + gotB.length >= first.length);

      await expect(a.unsubscribe('leaver')).resolves.toBeUndefined();
      expect(a.subscriptions().map((s) => s.id)).not.toContain('leaver');
      const handledByA = gotA.length;
      const second = await a.publish(Array.from({ length: 10 }, (_, i) => sig('u.y', { i })));
      const secondIds = second.map((e) => e.signal.id);
      await until(
        'second batch handled on B',
        () => secondIds.every((id) => gotB.some((s) => s.id === id)),
        10_000,
      );
      await sleep(200);
      expect(gotA).toHaveLength(handledByA);
      for (const id of secondIds) expect(gotB.filter((s) => s.id === id)).toHaveLength(1);
      // Unsubscribed → ack/nack/redrive on A no longer know it.
      expect((await rejection(a.ack('leaver', secondIds[0]))).code).toBe('subscription_not_found');
    });

    it('unsubscribe with deletePersistence deletes the durable consumer, the state and the DLQ', async () => {
      const { a, b, sa, name } = await twoInstances();
      const got: Signal[] = [];
      await a.subscribe(
        'd.*',
        persistent('doomed', (s) => void got.push(s), { ackTimeout: 10_000 }),
      );
      const [old1, old2] = await a.publish([sig('d.old'), sig('d.old')]);
      await until('2 deliveries', () => got.length === 2);
      await a.nack('doomed', old1.logId, { requeue: false }); // one DLQ entry
      await until('the DLQ entry', async () => (await b.dlq.size('doomed')) === 1);
      expect(await sa.getSubscription(name, 'doomed')).toBeDefined();

      // old2 is unacked: without deletePersistence it would come back to a resumed subscription.
      await expect(a.unsubscribe('doomed', { deletePersistence: true })).resolves.toBeUndefined();
      await expect(b.dlq.list('doomed')).resolves.toEqual([]);
      expect(await sa.getSubscription(name, 'doomed')).toBeUndefined();
      await expect(sa.deleteConsumer(name, 'doomed')).resolves.toBe(false); // already gone

      // A new subscription with the same id (and another pattern: allowed now) starts afresh.
      const gotB: Signal[] = [];
      await b.subscribe(
        'd.**',
        persistent('doomed', (s) => void gotB.push(s), { autoAck: true, startFrom: 'current' }),
      );
      const [fresh] = await a.publish(sig('d.new'));
      await until('the fresh signal', () => gotB.length >= 1);
      await sleep(300);
      expect(gotB.map((s) => s.id)).toEqual([fresh.signal.id]);
      expect(gotB.map((s) => s.id)).not.toContain(old2.signal.id);
    });

    it('re-subscribing an existing id with a different pattern → invalid_option (BusOptionError)', async () => {
      const { a, b } = await twoInstances();
      await a.subscribe(
        'p.a.*',
        persistent('patterned', () => undefined, { autoAck: true }),
      );

      // The other instance, while A holds it.
      let error = await rejection(
        b.subscribe(
          'p.b.*',
          persistent('patterned', () => undefined, { autoAck: true }),
        ),
      );
      expect(error).toBeInstanceOf(BusOptionError);
      expect(error.code).toBe('invalid_option');
      expect(b.subscriptions().map((s) => s.id)).not.toContain('patterned');

      // The same instance after a plain unsubscribe (the state is kept).
      await a.unsubscribe('patterned');
      error = await rejection(
        a.subscribe(
          'p.*.*',
          persistent('patterned', () => undefined, { autoAck: true }),
        ),
      );
      expect(error).toBeInstanceOf(BusOptionError);
      expect(error.code).toBe('invalid_option');
      expect(a.subscriptions().map((s) => s.id)).not.toContain('patterned');

      // Same pattern: resumes.
      const got: Signal[] = [];
      await expect(
        b.subscribe(
          'p.a.*',
          persistent('patterned', (s) => void got.push(s), { autoAck: true }),
        ),
      ).resolves.toBe('patterned');
      const [e] = await a.publish(sig('p.a.x'));
      await until('delivery after resuming', () => got.length === 1);
      expect(got[0].id).toBe(e.signal.id);
    });

    // ── 7. resume ─────────────────────────────────────────────────────────────────────────────

    /** Subscribes `resumable` on a new instance, gets 3 signals, acks the first, closes. */
    async function closeWithUnacked(name: string, ackTimeout: number) {
      const store = await openStore();
      const first = newBus(store, name);
      const got: Signal[] = [];
      await first.subscribe(
        'res.*',
        persistent('resumable', (s) => void got.push(s), { ackTimeout }),
      );
      const entries = await first.publish([sig('res.1'), sig('res.2'), sig('res.3')]);
      await until('3 deliveries', () => got.length === 3);
      await first.ack('resumable', entries[0].logId);
      await first.close();
      await store.close();
      return entries;
    }

    it('a subscription closed with unacked signals resumes on a new bus/store with the same id and gets them', async () => {
      const name = busName();
      const entries = await closeWithUnacked(name, 1_500);
      const unacked = [entries[1].signal.id, entries[2].signal.id];

      const second = newBus(await openStore(), name);
      const again: Signal[] = [];
      await second.subscribe(
        'res.*',
        persistent('resumable', (s) => void again.push(s), { ackTimeout: 1_500 }),
      );
      // At least once: every unacked signal comes back (at the latest after ackTimeout).
      await until(
        'the unacked signals',
        () => unacked.every((id) => again.some((s) => s.id === id)),
        8_000,
      );
      expect(again.map((s) => s.id)).not.toContain(entries[0].signal.id);
      await expect(second.ack('resumable', unacked)).resolves.toBeUndefined();
      // New signals flow too.
      const [next] = await second.publish(sig('res.4'));
      await until('the new signal', () => again.some((s) => s.id === next.signal.id));
      expect(again.map((s) => s.id)).not.toContain(entries[0].signal.id);
    });

    it('bus.close hands unacked deliveries back: the next start gets each of them once, long before ackTimeout', async () => {
      // RemotePersistentSubscription.stop(): "hand every delivery still awaiting an ack back to
      // the server at once (another instance, or this subscription's next start, gets it)".
      const name = busName();
      const entries = await closeWithUnacked(name, 30_000);

      const second = newBus(await openStore(), name);
      const seen = deliveries(name, 'resumable');
      const again: Signal[] = [];
      await second.subscribe(
        'res.*',
        persistent('resumable', (s) => void again.push(s), { ackTimeout: 30_000 }),
      );
      // Far below ackTimeout (30 s): they were handed back, not left to time out.
      await until('the unacked signals', () => again.length >= 2, 4_000).catch(() => undefined);
      await sleep(300);
      expect(again.map((s) => s.id)).toEqual([entries[1].signal.id, entries[2].signal.id]);
      expect(seen.attemptsOf(entries[1].signal.id)).toEqual([2]);
      expect(seen.attemptsOf(entries[2].signal.id)).toEqual([2]);
    });

    it("unsubscribe hands this instance's unacked deliveries to the other instance within seconds", async () => {
      const { a, b } = await twoInstances();
      const gotA: Signal[] = [];
      const gotB: Signal[] = [];
      const options = { ackTimeout: 30_000, maxInFlight: 4 };
      await a.subscribe(
        'hb.*',
        persistent('handback', (s) => void gotA.push(s), options),
      );
      await b.subscribe(
        'hb.*',
        persistent('handback', (s) => void gotB.push(s), options),
      );
      const entries = await b.publish([1, 2, 3, 4].map((i) => sig('hb.x', { i })));
      await until('4 deliveries', () => gotA.length + gotB.length === 4);
      const heldByA = gotA.map((s) => s.id);
      for (const s of gotB) await b.ack('handback', s.id);
      expect(heldByA.length).toBeGreaterThan(0); // maxInFlight spreads the batch (else vacuous)

      await a.unsubscribe('handback');
      await until(
        "A's deliveries on B",
        () => heldByA.every((id) => gotB.some((s) => s.id === id)),
        5_000,
      );
      await sleep(200);
      expect(gotA.map((s) => s.id)).toEqual(heldByA);
      const ids = entries.map((e) => e.signal.id);
      expect(
        gotB
          .map((s) => s.id)
          .slice()
          .sort(),
      ).toEqual([...ids].sort());
    });

    // ── 8. stats ──────────────────────────────────────────────────────────────────────────────

    it('stats() of a remote persistent subscription counts this instance; checkpoint is undefined', async () => {
      const { a, b } = await twoInstances();
      const attempts = new Map<string, number>();
      async function onStat(s: Signal): Promise<void> {
        const n = (attempts.get(s.id) ?? 0) + 1;
        attempts.set(s.id, n);
        if (s.type === 'st.bad' || (s.type === 'st.flaky' && n === 1)) throw new Error('nope');
      }
      await a.subscribe(
        'st.*',
        persistent('counted', onStat, {
          autoAck: true,
          maxAttempts: 2,
          maxInFlight: 7,
          backoff: { type: 'fixed', interval: 50 },
        }),
      );
      await b.publish([sig('st.ok'), sig('st.flaky'), sig('st.bad')]);
      await until('the bad one dead-lettered', async () => (await b.dlq.size('counted')) === 1);
      await until('flaky handled', () => attempts.size === 3 && [...attempts.values()].includes(2));
      await sleep(100);
      const stats = await pstats(a, 'counted');
      expect(stats).toMatchObject({
        id: 'counted',
        pattern: 'st.*',
        persistent: true,
        kind: 'ordinary',
        delivered: 2,
        inFlight: 0,
      });
      expect(stats.persistence).toEqual({
        inFlight: 0,
        pending: 0,
        retrying: 0,
        delivered: 2, // ok + flaky's second attempt
        acked: 2,
        retried: 2, // flaky once, bad once
        deadLettered: 1,
        dlqDropped: 0,
        maxDlqSize: Infinity,
        redriven: 0,
        checkpoint: undefined,
        maxInFlight: 7,
        maxPending: 0,
        target: 'handler onStat',
      });
      // The other instance has no such subscription; its stats do not list it.
      expect((await b.stats()).subscriptions.map((s) => s.id)).not.toContain('counted');
    });

    // ── 9. broad filters ──────────────────────────────────────────────────────────────────────

    it("patterns beyond the server's filter: only matching types reach the handler; 'audit.**' gets 'audit'", async () => {
      const { a, b, name, sa } = await twoInstances();
      const paid: string[] = [];
      const audit: string[] = [];
      const fanned: string[] = [];
      await a.subscribe(
        'order.**.paid',
        persistent('paid', (s) => void paid.push(s.type), { autoAck: true, maxInFlight: 3 }),
      );
      await a.subscribe(
        'audit.**',
        persistent('audit', (s) => void audit.push(s.type), { autoAck: true }),
      );
      await a.subscribe('audit.**', (s) => void fanned.push(s.type)); // fan-out, ordinary
      const types = [
        'order.paid',
        'order.x.shipped',
        'order.x.paid',
        'order.paid.extra',
        'order.x.y.paid',
        'order',
        'other.paid',
        'audit',
        'audit.x',
        'auditor',
        'x.audit',
        'audit.x.y',
        'order.paidout',
      ];
      await b.publish(types.map((t) => sig(t)));
      await until('matching deliveries', () => paid.length >= 3 && audit.length >= 3);
      await until('fan-out of audit', () => fanned.length >= 3);
      await sleep(300);
      expect(paid).toEqual(['order.paid', 'order.x.paid', 'order.x.y.paid']);
      expect(audit).toEqual(['audit', 'audit.x', 'audit.x.y']);
      expect(fanned).toEqual(['audit', 'audit.x', 'audit.x.y']);

      // The others were acked away on the server (not left pending, not redelivered).
      await engine.expectSettledOnServer(sa, name, ['paid', 'audit']);
      expect((await pstats(a, 'paid')).persistence).toMatchObject({ delivered: 3, acked: 3 });
    });

    // ── 10. closed ────────────────────────────────────────────────────────────────────────────

    it('publishing on a closed store or a closed bus rejects with typed closed errors', async () => {
      const { a, b, sa } = await twoInstances();
      const got: Signal[] = [];
      const errors: BusError[] = collectErrors(a);
      await a.subscribe('c.*', (s) => void got.push(s));
      const gotB: Signal[] = [];
      await b.subscribe('c.*', (s) => void gotB.push(s));

      await sa.close();
      let error = await rejection(a.publish(sig('c.lost')));
      expect(error).toBeInstanceOf(StoreClosedError);
      expect(error.code).toBe('closed');
      // A persistent subscribe needs the store: rejected, nothing registered.
      error = await rejection(
        a.subscribe(
          'c.*',
          persistent('late', () => undefined),
        ),
      );
      expect(error.code).toBe('closed');
      expect(a.subscriptions().map((s) => s.id)).not.toContain('late');
      error = await rejection(a.dlq.list('late'));
      expect(error.code).toBe('closed');

      await a.close();
      error = await rejection(a.publish(sig('c.lost')));
      expect(error).toBeInstanceOf(BusClosedError);
      expect(error.code).toBe('closed');
      for (const attempt of [
        a.subscribe('c.*', () => undefined),
        a.subscribe(
          'c.*',
          persistent('late', () => undefined),
        ),
        a.ack('late', SignalId.generate()),
        a.dlq.list('late'),
        a.stats(),
      ]) {
        const e = await rejection(attempt);
        expect(e).toBeInstanceOf(BusClosedError);
        expect(e.code).toBe('closed');
      }

      // Nothing of the refused publishes was delivered anywhere.
      await sleep(200);
      expect(got).toEqual([]);
      expect(gotB).toEqual([]);
      expect(errors.filter((e) => e instanceof SubscriberError)).toEqual([]);
      // The other instance is unaffected.
      await expect(b.publish(sig('c.ok'))).resolves.toHaveLength(1);
      expect(gotB.map((s) => s.type)).toEqual(['c.ok']);
    });
  });
}
