import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { PersistentDeadLetterMessage } from '../../../lib/core/bus/persistent/telemetry.js';
import type { DeliveryContext } from '../../../lib/core/dispatch/adapter.interface.js';
import { AckTimeoutError, SubscriberError } from '../../../lib/core/errors/bus.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { MemoryStore } from '../../../lib/core/store/memory.store.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { collectErrors, deferred, listen, sig, sleep } from './helpers.js';

const buses: SignalBus[] = [];
function newBus(store = new MemoryStore()): SignalBus {
  const bus = new SignalBus({ name: 'rel', store });
  buses.push(bus);
  return bus;
}
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 1000 })));
});

async function until(check: () => boolean | Promise<boolean>, timeout = 3000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(2);
  }
}

async function pstats(bus: SignalBus, id = 'sub') {
  const stats = await bus.stats();
  return stats.subscriptions.find((s) => s.id === id)!.persistence!;
}

const never = new Promise<never>(() => undefined);

describe('ackTimeout counts from hand-over (regression: issue 15, a hung handler held its slot forever)', () => {
  it.each([false, true])(
    'autoAck %s: a handler that never settles is aborted, redelivered, then dead-lettered; publish resolves',
    async (autoAck) => {
      const bus = newBus();
      const errors = collectErrors(bus);
      const contexts: DeliveryContext[] = [];
      await bus.subscribe('job.*', {
        persistent: true,
        subscriptionId: 'sub',
        autoAck,
        ackTimeout: 40,
        maxAttempts: 2,
        retryInterval: 0,
        dispatch: (_s: Signal, delivery?: DeliveryContext) => {
          contexts.push(delivery!);
          return never;
        },
      });
      const started = Date.now();
      // Before the fix this publish never resolved: it waited for the hung handler.
      const [entry] = await bus.publish(sig('job.x'));
      expect(Date.now() - started).toBeLessThan(2000);
      await until(async () => (await bus.dlq.list('sub')).length === 1);
      expect(contexts.map((c) => c.attempt)).toEqual([1, 2]);
      for (const c of contexts) {
        expect(c.aborted).toBe(true);
        expect(c.signal.aborted).toBe(true);
        expect(c.reason).toBeInstanceOf(AckTimeoutError);
        expect(c.reason).toMatchObject({ code: 'timeout', ackTimeout: 40 });
      }
      const [dead] = await bus.dlq.list('sub');
      expect(dead).toMatchObject({
        logId: entry.logId,
        attempts: 2,
        lastError: { code: 'ack_timeout' },
      });
      expect(await pstats(bus)).toMatchObject({
        inFlight: 0,
        pending: 0,
        retrying: 0,
        delivered: 0,
        acked: 0,
        retried: 1,
        deadLettered: 1,
        checkpoint: entry.logId,
      });
      const timeouts = errors.filter(
        (e) => e instanceof SubscriberError && e.cause instanceof AckTimeoutError,
      );
      expect(timeouts).toHaveLength(2);
      // The slot is free again: the next signal is delivered.
      await bus.publish(sig('job.y'));
      expect(contexts.length).toBeGreaterThanOrEqual(3);
      expect(contexts[2].attempt).toBe(1);
    },
  );

  it('a slow handler is aborted at the deadline, before it settles; its late result is ignored', async () => {
    const bus = newBus();
    collectErrors(bus);
    const seen: { attempt: number; abortedWhenDone: boolean }[] = [];
    const release = deferred();
    await bus.subscribe('job.*', {
      persistent: true,
      subscriptionId: 'sub',
      autoAck: true,
      ackTimeout: 30,
      maxAttempts: 3,
      retryInterval: 0,
      dispatch: async (_s: Signal, delivery?: DeliveryContext) => {
        if (delivery!.attempt === 1) await release.promise; // far slower than ackTimeout
        seen.push({ attempt: delivery!.attempt, abortedWhenDone: delivery!.aborted === true });
      },
    });
    await bus.publish(sig('job.x'));
    // Attempt 1 timed out while running, attempt 2 settled in time (autoAck).
    await until(async () => (await pstats(bus)).acked === 1);
    release.resolve();
    await sleep(5);
    expect(seen).toEqual([
      { attempt: 2, abortedWhenDone: false },
      { attempt: 1, abortedWhenDone: true },
    ]);
    // Attempt 1 finishing late neither acks again nor counts as delivered.
    expect(await pstats(bus)).toMatchObject({
      acked: 1,
      delivered: 1,
      retried: 1,
      inFlight: 0,
      deadLettered: 0,
    });
  });

  it('a handler that settled in time but never acks is redelivered once the deadline passes', async () => {
    const bus = newBus();
    const got: Signal[] = [];
    await bus.subscribe('job.*', {
      persistent: true,
      subscriptionId: 'sub',
      ackTimeout: 30,
      maxAttempts: 2,
      retryInterval: 0,
      dispatch: async (s: Signal) => {
        got.push(s);
        await sleep(1);
      },
    });
    await bus.publish(sig('job.x'));
    await until(async () => (await pstats(bus)).deadLettered === 1);
    expect(got).toHaveLength(2);
  });

  it('a dispatch-config subscription sees its AbortSignal abort at the deadline', async () => {
    const bus = newBus();
    collectErrors(bus);
    const aborted: unknown[] = [];
    await bus.subscribe('job.*', {
      persistent: true,
      subscriptionId: 'sub',
      ackTimeout: 30,
      maxAttempts: 1,
      dispatch: {
        adapter: {
          name: 'hang',
          validateOptions: () => ({}),
          deliver: (_s: Signal, _o: unknown, ctx: DeliveryContext) =>
            new Promise<void>((_, reject) => {
              ctx.signal.addEventListener('abort', () => {
                aborted.push(ctx.signal.reason);
                reject(ctx.signal.reason as Error);
              });
            }),
        },
      },
    });
    await bus.publish(sig('job.x'));
    await until(async () => (await pstats(bus)).deadLettered === 1);
    await until(() => aborted.length === 1);
    // The Dispatcher aborts the adapter's delivery as cancelled, caused by the ack timeout.
    expect(aborted[0]).toMatchObject({ code: 'cancelled' });
    expect((aborted[0] as Error).cause).toBeInstanceOf(AckTimeoutError);
  });

  it.each(['ack', 'nack'] as const)(
    'a handler that %ss its signal and then hangs does not hold up the publish',
    async (how) => {
      const bus = newBus();
      await bus.subscribe('job.*', {
        persistent: true,
        subscriptionId: 'sub',
        ackTimeout: 0,
        maxAttempts: 1,
        dispatch: async (s: Signal) => {
          await sleep(1);
          if (how === 'ack') await bus.ack('sub', s.id);
          else await bus.nack('sub', s.id, { requeue: false });
          return never;
        },
      });
      await expect(bus.publish(sig('job.x'))).resolves.toHaveLength(1);
      expect(await pstats(bus)).toMatchObject({
        inFlight: 0,
        acked: how === 'ack' ? 1 : 0,
        deadLettered: how === 'nack' ? 1 : 0,
      });
    },
  );

  it('with ackTimeout 0 a hung handler keeps its slot, and close() still settles its publish', async () => {
    const bus = newBus();
    await bus.subscribe('job.*', {
      persistent: true,
      subscriptionId: 'sub',
      ackTimeout: 0,
      dispatch: () => never,
    });
    const publishing = bus.publish(sig('job.x'));
    await sleep(20);
    expect(await pstats(bus)).toMatchObject({ inFlight: 1 });
    await bus.close({ timeout: 50 });
    await expect(publishing).resolves.toHaveLength(1);
  });
});

describe('the in-memory DLQ is bounded (regression: issue 15, unbounded DLQ growth)', () => {
  async function failing(
    bus: SignalBus,
    extra: { maxDlqSize?: number; dlqOverflow?: 'drop-oldest' | 'drop-newest' },
  ): Promise<void> {
    await bus.subscribe('job.*', {
      persistent: true,
      subscriptionId: 'sub',
      maxAttempts: 1,
      dispatch: () => {
        throw new Error('down');
      },
      ...extra,
    });
    bus.errors$.subscribe(() => undefined);
  }

  it('drop-oldest (the default) keeps the newest maxDlqSize entries and counts the drops', async () => {
    const bus = newBus();
    const deadLetters = listen<PersistentDeadLetterMessage>(
      TelemetryChannel.SubscriptionDeadLetter,
    );
    try {
      await failing(bus, { maxDlqSize: 3 });
      const entries = await bus.publish([1, 2, 3, 4, 5].map((i) => sig('job.x', { i })));
      await until(async () => (await bus.dlq.size('sub')) === 3);
      await sleep(5);
      const dlq = await bus.dlq.list('sub');
      expect(dlq.map((e) => e.logId)).toEqual(entries.slice(2).map((e) => e.logId));
      expect(await pstats(bus)).toMatchObject({
        deadLettered: 5,
        dlqDropped: 2,
        maxDlqSize: 3,
      });
      const dropped = deadLetters.messages.filter(
        (m) => m.bus === 'rel' && m.dropped !== undefined,
      );
      expect(dropped).toHaveLength(2);
    } finally {
      deadLetters.stop();
    }
  });

  it('drop-newest keeps the oldest entries', async () => {
    const bus = newBus();
    await failing(bus, { maxDlqSize: 2, dlqOverflow: 'drop-newest' });
    const entries = await bus.publish([1, 2, 3, 4].map((i) => sig('job.x', { i })));
    await sleep(5);
    const dlq = await bus.dlq.list('sub');
    expect(dlq.map((e) => e.logId)).toEqual(entries.slice(0, 2).map((e) => e.logId));
    expect(await pstats(bus)).toMatchObject({ deadLettered: 4, dlqDropped: 2 });
  });

  it('the default bound is 10,000: a dead-letter overflow burst keeps memory bounded', async () => {
    const bus = newBus();
    await bus.subscribe('job.*', {
      persistent: true,
      subscriptionId: 'sub',
      maxInFlight: 1,
      maxPending: 0,
      overflow: 'dead-letter',
      dispatch: () => undefined, // never acked: every later signal overflows
    });
    const batch = Array.from({ length: 1000 }, (_, i) => sig('job.x', { i }));
    for (let i = 0; i < 12; i++) await bus.publish(batch.map((s) => sig(s.type, s.data)));
    await sleep(5);
    expect(await bus.dlq.size('sub')).toBe(10_000);
    expect(await pstats(bus)).toMatchObject({
      deadLettered: 11_999,
      dlqDropped: 1_999,
      maxDlqSize: 10_000,
    });
  });

  it('a resumed subscription counts the entries already in its DLQ', async () => {
    const store = new MemoryStore();
    const bus = newBus(store);
    await failing(bus, { maxDlqSize: 3 });
    await bus.publish([sig('job.a'), sig('job.b')]);
    await sleep(5);
    await bus.close();
    const bus2 = newBus(store);
    await failing(bus2, { maxDlqSize: 3 });
    await bus2.publish([sig('job.c'), sig('job.d')]);
    await sleep(5);
    expect((await bus2.dlq.list('sub')).map((e) => e.signal.type)).toEqual([
      'job.b',
      'job.c',
      'job.d',
    ]);
    expect(await pstats(bus2)).toMatchObject({ dlqDropped: 1 });
  });

  it('redriven entries that are acked leave the count; clear() resets it', async () => {
    const bus = newBus();
    let fail = true;
    const got: Signal[] = [];
    await bus.subscribe('job.*', {
      persistent: true,
      subscriptionId: 'sub',
      maxAttempts: 1,
      maxDlqSize: 2,
      autoAck: true,
      dispatch: (s: Signal) => {
        if (fail) throw new Error('down');
        got.push(s);
      },
    });
    bus.errors$.subscribe(() => undefined);
    await bus.publish([sig('job.a'), sig('job.b')]);
    await sleep(5);
    fail = false;
    await bus.dlq.redrive('sub');
    await until(async () => (await bus.dlq.size('sub')) === 0);
    fail = true;
    await bus.publish([sig('job.c'), sig('job.d')]);
    await sleep(5);
    expect(await pstats(bus)).toMatchObject({ dlqDropped: 0 });
    await bus.dlq.clear('sub');
    await bus.publish([sig('job.e'), sig('job.f')]);
    await sleep(5);
    expect(await pstats(bus)).toMatchObject({ dlqDropped: 0 });
    expect(await bus.dlq.size('sub')).toBe(2);
  });

  it('rejects a bad maxDlqSize or dlqOverflow', async () => {
    const bus = newBus();
    await expect(
      bus.subscribe('x', { persistent: true, maxDlqSize: 0, dispatch: () => undefined }),
    ).rejects.toMatchObject({ code: 'invalid_option' });
    await expect(
      bus.subscribe('x', {
        persistent: true,
        dlqOverflow: 'reject' as unknown as 'drop-oldest',
        dispatch: () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'invalid_option' });
  });
});

describe('stats: pending and retrying mean what the docs say (issue 15)', () => {
  it('signals waiting for a retry count as retrying, not pending; pending never exceeds maxPending', async () => {
    const bus = newBus();
    collectErrors(bus);
    let fail = true;
    await bus.subscribe('job.*', {
      persistent: true,
      subscriptionId: 'sub',
      maxInFlight: 4,
      maxPending: 2,
      retryInterval: 10_000,
      dispatch: () => {
        if (fail) throw new Error('down');
      },
    });
    // 4 delivered and failed → 4 wait for their retry; the bound still holds all 6.
    await bus.publish([1, 2, 3, 4].map((i) => sig('job.x', { i })));
    let st = await pstats(bus);
    expect(st).toMatchObject({ inFlight: 0, pending: 0, retrying: 4 });
    fail = false;
    await bus.publish([sig('job.y'), sig('job.z')]);
    st = await pstats(bus);
    expect(st).toMatchObject({ inFlight: 2, pending: 0, retrying: 4 });
    await expect(bus.publish(sig('job.full'))).rejects.toMatchObject({ code: 'queue_full' });
    expect(st.pending).toBeLessThanOrEqual(st.maxPending);
    expect(st.inFlight + st.pending + st.retrying).toBeLessThanOrEqual(
      st.maxInFlight + st.maxPending,
    );
  });
});
