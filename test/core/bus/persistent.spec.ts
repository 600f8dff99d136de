import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { PersistentSubscribeOptions } from '../../../lib/core/bus/persistent/options.js';
import { compileBackoff } from '../../../lib/core/bus/persistent/backoff.js';
import {
  InvalidAckArgumentError,
  InvalidLogIdError,
  QueueFullError,
  SubscriptionNotFoundError,
  SubscriptionNotPersistentError,
  UnknownLogIdError,
} from '../../../lib/core/errors/bus.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { SignalId } from '../../../lib/core/signal/signal-id.js';
import { MemoryStore } from '../../../lib/core/store/memory.store.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { collectErrors, listen, sig, sleep } from './helpers.js';

const buses: SignalBus[] = [];
function newBus(store = new MemoryStore(), name = 'p'): SignalBus {
  const bus = new SignalBus({ name, store });
  buses.push(bus);
  return bus;
}
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

async function until(check: () => boolean | Promise<boolean>, timeout = 2000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(2);
  }
}

function persistent(
  got: Signal[],
  options: Partial<PersistentSubscribeOptions> = {},
): PersistentSubscribeOptions {
  return {
    persistent: true,
    subscriptionId: 'sub',
    dispatch: (s: Signal) => {
      got.push(s);
    },
    ...options,
  };
}

async function pstats(bus: SignalBus, id = 'sub') {
  const stats = await bus.stats();
  return stats.subscriptions.find((s) => s.id === id)!.persistence!;
}

describe('persistent subscriptions: flow control', () => {
  it('seed backpressure: maxInFlight 1, maxPending 1 → third publish rejected; ack frees it', async () => {
    const bus = newBus();
    const got: Signal[] = [];
    await bus.subscribe('order.*', persistent(got, { maxInFlight: 1, maxPending: 1 }));
    const [e1] = await bus.publish(sig('order.a'));
    await bus.publish(sig('order.b'));
    expect(got.map((s) => s.type)).toEqual(['order.a']);
    const third = bus.publish(sig('order.c'));
    await expect(third).rejects.toBeInstanceOf(QueueFullError);
    await expect(third).rejects.toMatchObject({
      code: 'queue_full',
      subscriptionId: 'sub',
      retryable: true,
      occupancy: { inFlight: 1, pending: 1, maxInFlight: 1, maxPending: 1, requested: 1 },
    });
    // The refused signal is not recorded.
    expect((await bus.replay()).map((e) => e.signal.type)).toEqual(['order.a', 'order.b']);
    await bus.ack('sub', e1.logId);
    expect(got.map((s) => s.type)).toEqual(['order.a', 'order.b']);
    await expect(bus.publish(sig('order.d'))).resolves.toHaveLength(1);
    expect(await pstats(bus)).toMatchObject({ inFlight: 1, pending: 1, acked: 1 });
  });

  it('rejects a whole batch atomically: nobody receives any of its signals', async () => {
    const bus = newBus();
    const got: Signal[] = [];
    const others: string[] = [];
    await bus.subscribe('**', (s) => {
      others.push(s.type);
    });
    await bus.subscribe('x.*', persistent(got, { maxInFlight: 1, maxPending: 1 }));
    await expect(bus.publish([sig('x.1'), sig('y'), sig('x.2'), sig('x.3')])).rejects.toThrow(
      QueueFullError,
    );
    expect(others).toEqual([]);
    expect(got).toEqual([]);
    expect(await bus.replay()).toEqual([]);
    const bp = listen<{ requested: number }>(TelemetryChannel.SubscriptionBackpressure);
    await bus.publish([sig('x.1'), sig('x.2')]);
    await expect(bus.publish(sig('x.3'))).rejects.toThrow(QueueFullError);
    bp.stop();
    expect(bp.messages).toEqual([expect.objectContaining({ requested: 1, overflow: 'reject' })]);
  });

  it("overflow 'dead-letter' dead-letters the oldest pending signal and accepts the new one", async () => {
    const bus = newBus();
    const got: Signal[] = [];
    await bus.subscribe(
      'x.*',
      persistent(got, { maxInFlight: 1, maxPending: 2, overflow: 'dead-letter' }),
    );
    for (const n of [1, 2, 3, 4, 5]) await bus.publish(sig(`x.${n}`));
    const dlq = await bus.dlq.list('sub');
    expect(dlq.map((e) => e.signal.type)).toEqual(['x.2', 'x.3']);
    expect(dlq[0]).toMatchObject({ attempts: 0, lastError: { code: 'queue_full' } });
    expect(await pstats(bus)).toMatchObject({ inFlight: 1, pending: 2, deadLettered: 2 });
    await bus.ack('sub', got[0].id);
    expect(got.map((s) => s.type)).toEqual(['x.1', 'x.4']);
  });

  it('only counts signals matching the pattern', async () => {
    const bus = newBus();
    const got: Signal[] = [];
    await bus.subscribe('a', persistent(got, { maxInFlight: 1, maxPending: 0 }));
    await bus.publish(sig('a'));
    await bus.publish([sig('b'), sig('c')]);
    await expect(bus.publish(sig('a'))).rejects.toThrow(QueueFullError);
  });
});

describe('persistent subscriptions: ack', () => {
  it('acks by log id, signal id or a list; unknown / malformed ids are typed errors', async () => {
    const bus = newBus();
    const got: Signal[] = [];
    await bus.subscribe('**', persistent(got));
    const entries = await bus.publish([sig('a'), sig('b'), sig('c'), sig('d')]);
    await bus.ack('sub', entries[0].logId);
    await bus.ack('sub', got[1].id);
    await expect(bus.ack('sub', entries[0].logId)).rejects.toBeInstanceOf(UnknownLogIdError);
    await expect(bus.ack('sub', SignalId.generate())).rejects.toMatchObject({
      code: 'unknown_log_id',
    });
    await expect(bus.ack('sub', 'nope')).rejects.toBeInstanceOf(InvalidLogIdError);
    await expect(bus.ack('sub', [])).rejects.toBeInstanceOf(InvalidAckArgumentError);
    await expect(bus.ack('sub', 42 as unknown as string)).rejects.toMatchObject({
      code: 'invalid_ack_argument',
    });
    // A failing list acks nothing.
    await expect(bus.ack('sub', [entries[2].logId, 'bad'])).rejects.toBeInstanceOf(
      InvalidLogIdError,
    );
    expect(await pstats(bus)).toMatchObject({ acked: 2, inFlight: 2 });
    await bus.ack('sub', [entries[3].logId, got[2].id, entries[3].logId]);
    expect(await pstats(bus)).toMatchObject({
      acked: 4,
      inFlight: 0,
      checkpoint: entries[3].logId,
    });
  });

  it('checkpoint is the ack floor: out-of-order acks do not skip unacked entries', async () => {
    const bus = newBus();
    await bus.subscribe('**', persistent([]));
    const e = await bus.publish([sig('a'), sig('b'), sig('c')]);
    await bus.ack('sub', [e[2].logId, e[1].logId]);
    expect((await pstats(bus)).checkpoint).toBeUndefined();
    await bus.ack('sub', e[0].logId);
    expect((await pstats(bus)).checkpoint).toBe(e[2].logId);
  });

  it('errors for unknown and non-persistent subscriptions', async () => {
    const bus = newBus();
    await bus.subscribe('**', { dispatch: () => undefined, subscriptionId: 'plain' });
    await expect(bus.ack('nope', 'x')).rejects.toBeInstanceOf(SubscriptionNotFoundError);
    await expect(bus.ack('plain', 'x')).rejects.toBeInstanceOf(SubscriptionNotPersistentError);
    await expect(bus.reconnect('plain', () => undefined)).rejects.toMatchObject({
      code: 'subscription_not_persistent',
    });
    await expect(bus.dlq.redrive('nope')).rejects.toBeInstanceOf(SubscriptionNotFoundError);
  });

  it('autoAck acks when the handler resolves; a dispatch config waits for explicit acks', async () => {
    const bus = newBus();
    const got: string[] = [];
    await bus.subscribe('**', {
      persistent: true,
      subscriptionId: 'auto',
      autoAck: true,
      dispatch: async (s: Signal) => {
        await sleep(1);
        got.push(s.type);
      },
    });
    await bus.subscribe('**', {
      persistent: true,
      subscriptionId: 'cfg',
      dispatch: { adapter: 'pid', target: () => undefined, deliveryMode: 'sync' },
    });
    await bus.publish([sig('a'), sig('b')]);
    expect(got).toEqual(['a', 'b']);
    expect(await pstats(bus, 'auto')).toMatchObject({ acked: 2, inFlight: 0, delivered: 2 });
    expect(await pstats(bus, 'cfg')).toMatchObject({ acked: 0, inFlight: 2, delivered: 2 });
  });

  it('a handler may ack synchronously while it runs (no recursion blow-up)', async () => {
    const bus = newBus();
    let count = 0;
    await bus.subscribe('**', {
      persistent: true,
      subscriptionId: 'sub',
      maxInFlight: 1,
      dispatch: (s: Signal) => {
        count++;
        void bus.ack('sub', s.id);
      },
    });
    await bus.publish(Array.from({ length: 5000 }, (_, i) => sig(`t${i}`)));
    expect(count).toBe(5000);
    expect(await pstats(bus)).toMatchObject({ acked: 5000, inFlight: 0, pending: 0 });
  });

  it('an async handler that acks or nacks before it returns does not hold up the publish', async () => {
    const bus = newBus();
    const late: Array<() => void> = [];
    await bus.subscribe('**', {
      persistent: true,
      subscriptionId: 'sub',
      maxAttempts: 1,
      dispatch: (s: Signal) => {
        if (s.type === 'ack') void bus.ack('sub', s.id);
        else void bus.nack('sub', s.id, { requeue: false });
        // Its promise settles much later (after the publish has resolved).
        return new Promise<void>((resolve) => late.push(resolve));
      },
    });
    await expect(bus.publish([sig('ack'), sig('nack')])).resolves.toHaveLength(2);
    expect(await pstats(bus)).toMatchObject({ acked: 1, deadLettered: 1, inFlight: 0 });
    for (const resolve of late) resolve(); // the late settlements change nothing
    await sleep(1);
    expect(await pstats(bus)).toMatchObject({ acked: 1, deadLettered: 1, inFlight: 0 });
  });
});

describe('persistent subscriptions: retries, nack, ackTimeout, DLQ', () => {
  it('retries failed dispatches with the backoff and dead-letters after maxAttempts', async () => {
    const bus = newBus();
    const errors = collectErrors(bus);
    const retry = listen<{ attempt: number; delayMs: number }>(TelemetryChannel.SubscriptionRetry);
    const dead = listen<{ attempts: number }>(TelemetryChannel.SubscriptionDeadLetter);
    let calls = 0;
    await bus.subscribe('**', {
      persistent: true,
      subscriptionId: 'sub',
      maxAttempts: 3,
      backoff: { type: 'exponential', initial: 5, max: 20, jitter: false },
      dispatch: () => {
        calls++;
        throw new Error('boom');
      },
    });
    const started = Date.now();
    const [entry] = await bus.publish(sig('a'));
    await until(async () => (await bus.dlq.list('sub')).length === 1);
    retry.stop();
    dead.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(14);
    expect(calls).toBe(3);
    expect(retry.messages.map((m) => [m.attempt, m.delayMs])).toEqual([
      [1, 5],
      [2, 10],
    ]);
    expect(dead.messages).toEqual([expect.objectContaining({ attempts: 3 })]);
    const [dlq] = await bus.dlq.list('sub');
    expect(dlq).toMatchObject({
      subscriptionId: 'sub',
      logId: entry.logId,
      attempts: 3,
      lastError: { code: 'dispatch_error', message: 'boom' },
    });
    expect(dlq.lastAttemptAt).toBeGreaterThanOrEqual(dlq.firstAttemptAt);
    expect(errors.filter((e) => e.code === 'subscriber_failed')).toHaveLength(3);
    expect(await pstats(bus)).toMatchObject({
      retried: 2,
      deadLettered: 1,
      inFlight: 0,
      pending: 0,
      checkpoint: entry.logId,
    });
  });

  it('retryInterval gives a fixed backoff; backoff lists and validation', () => {
    expect(compileBackoff('b', undefined, 7)(5)).toBe(7);
    const list = compileBackoff('b', [1, 2, 3], undefined);
    expect([1, 2, 3, 4].map(list)).toEqual([1, 2, 3, 3]);
    const jittered = compileBackoff('b', undefined, undefined, () => 0);
    expect([1, 2, 20].map(jittered)).toEqual([50, 100, 15_000]);
    expect(() => compileBackoff('b', { type: 'fixed', interval: -1 }, undefined)).toThrow(
      /backoff.interval/,
    );
    expect(() => compileBackoff('b', { type: 'fixed', interval: 1 }, 5)).toThrow(/not both/);
  });

  it('nack requeues (backoff or delay), and requeue:false dead-letters at once', async () => {
    const bus = newBus();
    const got: Signal[] = [];
    await bus.subscribe('**', persistent(got, { retryInterval: 1000 }));
    const [a, b] = await bus.publish([sig('a'), sig('b')]);
    await bus.nack('sub', a.logId, { delay: 0 });
    expect(got.map((s) => s.type)).toEqual(['a', 'b', 'a']);
    await bus.nack('sub', got[0].id, { delay: 5 });
    await until(() => got.length === 4);
    await bus.nack('sub', b.logId, { requeue: false, reason: 'poison' });
    const dlq = await bus.dlq.list('sub');
    expect(dlq).toEqual([
      expect.objectContaining({
        logId: b.logId,
        attempts: 1,
        lastError: expect.objectContaining({ code: 'nacked', message: 'poison' }),
      }),
    ]);
    // Default delay = the subscription's backoff (1 s here): not redelivered yet.
    await bus.nack('sub', a.logId);
    await sleep(20);
    expect(got).toHaveLength(4);
    await bus.ack('sub', a.logId); // a retry-waiting delivery may still be acked
    expect(await pstats(bus)).toMatchObject({ acked: 1, deadLettered: 1, pending: 0, inFlight: 0 });
    await expect(bus.nack('sub', a.logId, { delay: -1 })).rejects.toMatchObject({
      code: 'invalid_option',
    });
  });

  it('nack counts attempts: maxAttempts reached → DLQ', async () => {
    const bus = newBus();
    const got: Signal[] = [];
    await bus.subscribe('**', persistent(got, { maxAttempts: 2 }));
    const [a] = await bus.publish(sig('a'));
    await bus.nack('sub', a.logId, { delay: 0 });
    await bus.nack('sub', a.logId, { delay: 0 });
    expect(got).toHaveLength(2);
    expect(await bus.dlq.list('sub')).toEqual([expect.objectContaining({ attempts: 2 })]);
  });

  it('ackTimeout redelivers an unacked delivery as a failed attempt', async () => {
    const bus = newBus();
    const got: Signal[] = [];
    await bus.subscribe('**', persistent(got, { ackTimeout: 20, maxAttempts: 2 }));
    const [a, b] = await bus.publish([sig('a'), sig('b')]);
    await bus.ack('sub', b.logId);
    await until(() => got.length === 3, 1000);
    expect(got.map((s) => s.type)).toEqual(['a', 'b', 'a']);
    await until(async () => (await bus.dlq.list('sub')).length === 1, 1000);
    const [dlq] = await bus.dlq.list('sub');
    expect(dlq).toMatchObject({ logId: a.logId, attempts: 2, lastError: { code: 'ack_timeout' } });
    expect(await pstats(bus)).toMatchObject({ retried: 1, deadLettered: 1, checkpoint: b.logId });
  });

  it('DLQ redrive sends entries back as fresh attempts; they leave the DLQ once acked', async () => {
    const bus = newBus();
    let fail = true;
    const got: Signal[] = [];
    await bus.subscribe('**', {
      persistent: true,
      subscriptionId: 'sub',
      maxAttempts: 1,
      maxInFlight: 2,
      maxPending: 0,
      dispatch: (s: Signal) => {
        if (fail) throw new Error('down');
        got.push(s);
      },
    });
    await bus.publish([sig('a'), sig('b')]);
    await bus.publish(sig('c'));
    await until(async () => (await bus.dlq.list('sub')).length === 3);
    expect((await bus.dlq.list('sub', { limit: 2 })).map((e) => e.signal.type)).toEqual(['a', 'b']);
    fail = false;
    const redrive = listen(TelemetryChannel.BusDlqRedrive);
    expect(await bus.dlq.redrive('sub')).toEqual({ redriven: 2, failed: 1 });
    redrive.stop();
    expect(redrive.messages).toEqual([expect.objectContaining({ redriven: 2, failed: 1 })]);
    expect(got.map((s) => s.type)).toEqual(['a', 'b']);
    // Already on its way: not redriven twice.
    expect(await bus.dlq.redrive('sub', { limit: 2 })).toEqual({ redriven: 0, failed: 0 });
    await bus.ack('sub', [got[0].id, got[1].id]);
    await until(async () => (await bus.dlq.list('sub')).length === 1);
    expect(await bus.dlq.redrive('sub')).toEqual({ redriven: 1, failed: 0 });
    expect(got.map((s) => s.type)).toEqual(['a', 'b', 'c']);
    expect(await bus.dlq.clear('sub')).toBe(1);
    expect(await bus.dlq.list('sub')).toEqual([]);
    expect((await pstats(bus)).redriven).toBe(3);
  });

  it('a redriven entry that fails again is replaced by a new DLQ entry', async () => {
    const bus = newBus();
    await bus.subscribe('**', {
      persistent: true,
      subscriptionId: 'sub',
      maxAttempts: 1,
      dispatch: () => {
        throw new Error('still down');
      },
    });
    await bus.publish(sig('a'));
    await until(async () => (await bus.dlq.list('sub')).length === 1);
    const [first] = await bus.dlq.list('sub');
    expect(await bus.dlq.redrive('sub')).toEqual({ redriven: 1, failed: 0 });
    await until(async () => {
      const list = await bus.dlq.list('sub');
      return list.length === 1 && list[0].id !== first.id;
    });
  });
});

describe('persistent subscriptions: startFrom, restart, reconnect, unsubscribe', () => {
  it("startFrom 'origin' | 'current' | Date | ms", async () => {
    const store = new MemoryStore();
    const bus = newBus(store);
    await bus.publish([sig('old.1'), sig('old.2')]);
    await sleep(5);
    const cut = Date.now();
    await sleep(2);
    await bus.publish(sig('mid'));
    const seen: Record<string, string[]> = {};
    const start = async (id: string, startFrom: PersistentSubscribeOptions['startFrom']) => {
      seen[id] = [];
      await bus.subscribe('**', {
        persistent: true,
        subscriptionId: id,
        startFrom,
        dispatch: (s: Signal) => {
          seen[id].push(s.type);
        },
      });
    };
    await start('origin', 'origin');
    await start('current', 'current');
    await start('default', undefined);
    await start('date', new Date(cut));
    await start('ms', cut);
    await bus.publish(sig('new'));
    expect(seen).toEqual({
      origin: ['old.1', 'old.2', 'mid', 'new'],
      current: ['new'],
      default: ['new'],
      date: ['mid', 'new'],
      ms: ['mid', 'new'],
    });
    await expect(
      bus.subscribe('**', { ...persistent([]), subscriptionId: 'bad', startFrom: -5 }),
    ).rejects.toMatchObject({ code: 'invalid_option', option: 'startFrom' });
  });

  it('a bus restarted on the same store resumes from the checkpoint', async () => {
    const store = new MemoryStore();
    const bus1 = newBus(store);
    const got1: Signal[] = [];
    await bus1.subscribe('job.*', persistent(got1, { maxInFlight: 2 }));
    const e = await bus1.publish([
      sig('job.1'),
      sig('job.2'),
      sig('other'),
      sig('job.3'),
      sig('job.4'),
    ]);
    expect(got1.map((s) => s.type)).toEqual(['job.1', 'job.2']);
    await bus1.ack('sub', e[1].logId); // out of order: job.1 stays unacked
    expect(got1.map((s) => s.type)).toEqual(['job.1', 'job.2', 'job.3']);
    await bus1.close();
    const state = await store.getSubscription('p', 'sub');
    expect(state).toMatchObject({ pattern: 'job.*', acked: [e[1].logId] });
    expect(state!.ackFloor).toBeUndefined();
    expect(state!.attempts).toEqual({ [e[0].logId]: 1, [e[3].logId]: 1 });

    const bus2 = newBus(store);
    const got2: Signal[] = [];
    await bus2.subscribe('job.*', persistent(got2, { maxInFlight: 10 }));
    expect(got2.map((s) => s.type)).toEqual(['job.1', 'job.3', 'job.4']);
    await bus2.ack(
      'sub',
      got2.map((s) => s.id),
    );
    expect((await pstats(bus2)).checkpoint).toBe(e[4].logId);
    await bus2.close();
    expect((await store.getSubscription('p', 'sub'))!.ackFloor).toBe(e[4].logId);

    const bus3 = newBus(store);
    const got3: Signal[] = [];
    await bus3.subscribe('job.*', persistent(got3));
    expect(got3).toEqual([]);
    await expect(
      bus3.subscribe('other.*', { ...persistent([]), subscriptionId: 'sub' }),
    ).rejects.toMatchObject({ code: 'subscription_exists' });
  });

  it('rejects resuming with another pattern; deletePersistence removes state and DLQ', async () => {
    const store = new MemoryStore();
    const bus = newBus(store);
    await bus.subscribe('a', {
      ...persistent([]),
      maxAttempts: 1,
      dispatch: () => Promise.reject(new Error('x')),
    });
    await bus.publish(sig('a'));
    await until(async () => (await store.dlqSize('p', 'sub')) === 1);
    await bus.unsubscribe('sub');
    await expect(bus.subscribe('b', persistent([]))).rejects.toMatchObject({
      code: 'invalid_option',
      option: 'pattern',
    });
    expect(await store.getSubscription('p', 'sub')).toBeDefined();
    await bus.subscribe('a', persistent([]));
    await bus.unsubscribe('sub', { deletePersistence: true });
    expect(await store.getSubscription('p', 'sub')).toBeUndefined();
    expect(await store.dlqSize('p', 'sub')).toBe(0);
    await bus.subscribe('b', persistent([]));
  });

  it('unacked deliveries survive close: a new bus on the same store redelivers them', async () => {
    const store = new MemoryStore();
    const bus1 = newBus(store);
    await bus1.subscribe('**', persistent([], { maxInFlight: 1 }));
    await bus1.publish([sig('a'), sig('b'), sig('c')]);
    await bus1.close();
    const got: Signal[] = [];
    const bus2 = newBus(store);
    await bus2.subscribe('**', persistent(got));
    expect(got.map((s) => s.type)).toEqual(['a', 'b', 'c']);
  });

  it('reconnect rebinds delivery and replays unacked signals once, matching only', async () => {
    const bus = newBus();
    const old: Signal[] = [];
    let alive = true;
    await bus.subscribe('order.*', {
      persistent: true,
      subscriptionId: 'sub',
      retryInterval: 10_000,
      dispatch: (s: Signal) => {
        if (!alive) throw new Error('process_not_alive');
        old.push(s);
      },
    });
    const [o1] = await bus.publish(sig('order.1'));
    await bus.publish(sig('order.2'));
    await bus.ack('sub', o1.logId);
    alive = false;
    await bus.publish([sig('order.3'), sig('audit.x'), sig('order.4')]);
    // Both failed deliveries wait for their retry: counted as retrying, not pending.
    expect(await pstats(bus)).toMatchObject({ inFlight: 1, pending: 0, retrying: 2 });
    const fresh: string[] = [];
    const result = await bus.reconnect('sub', (s) => {
      fresh.push(s.type);
    });
    expect(result).toEqual({ checkpoint: o1.logId, redelivered: 3 });
    expect(fresh).toEqual(['order.2', 'order.3', 'order.4']);
    await bus.publish(sig('order.5'));
    expect(fresh).toEqual(['order.2', 'order.3', 'order.4', 'order.5']);
    // Reconnecting again while everything is in flight sends each one once more, no more.
    const again: string[] = [];
    await bus.reconnect('sub', {
      adapter: 'pid',
      target: (s: Signal) => void again.push(s.type),
      deliveryMode: 'sync',
    });
    await until(() => again.length === 4);
    await sleep(5);
    expect(again).toEqual(['order.2', 'order.3', 'order.4', 'order.5']);
    expect((await bus.stats()).subscriptions[0].persistence!.target).toContain('pid');
  });

  it('validates options and reports them in stats; timers do not keep the process alive', async () => {
    const bus = newBus();
    await expect(bus.subscribe('**', { ...persistent([]), maxInFlight: 0 })).rejects.toMatchObject({
      code: 'invalid_option',
      option: 'maxInFlight',
    });
    await expect(
      bus.subscribe('**', { ...persistent([]), overflow: 'drop' as 'reject' }),
    ).rejects.toMatchObject({ option: 'overflow' });
    await bus.subscribe('**', persistent([]));
    const stats = await bus.stats();
    expect(stats.subscriptions[0]).toMatchObject({
      id: 'sub',
      persistent: true,
      persistence: { maxInFlight: 1000, maxPending: 10_000, inFlight: 0, pending: 0 },
    });
    expect(bus.subscriptions()[0].persistent).toBe(true);
  });

  it('unsubscribe stops redelivery; close is clean with pending retries', async () => {
    const bus = newBus();
    let calls = 0;
    await bus.subscribe('**', {
      ...persistent([]),
      retryInterval: 5,
      dispatch: () => {
        calls++;
        throw new Error('x');
      },
    });
    await bus.publish(sig('a'));
    await bus.unsubscribe('sub');
    const before = calls;
    await sleep(20);
    expect(calls).toBe(before);
    await bus.subscribe('**', {
      ...persistent([]),
      subscriptionId: 's2',
      retryInterval: 5,
      ackTimeout: 10,
    });
    await bus.publish(sig('b'));
    await bus.close();
  });

  it('publish waits for the first dispatch of a dispatch-config delivery', async () => {
    const bus = newBus();
    const got: string[] = [];
    await bus.subscribe('**', {
      persistent: true,
      subscriptionId: 'sub',
      dispatch: {
        adapter: 'pid',
        target: (s: Signal) => void got.push(s.type),
        deliveryMode: 'sync',
      },
    });
    await bus.publish(sig('a'));
    expect(got).toEqual(['a']);
    const deliver = listen(TelemetryChannel.SubscriptionDeliver);
    const ack = listen(TelemetryChannel.SubscriptionAck);
    await bus.publish(sig('b'));
    await bus.ack('sub', got.length > 0 ? (await bus.replay()).map((e) => e.logId) : []);
    deliver.stop();
    ack.stop();
    expect(deliver.messages).toHaveLength(1);
    expect(ack.messages).toEqual([expect.objectContaining({ subscriptionId: 'sub', count: 2 })]);
  });
});
