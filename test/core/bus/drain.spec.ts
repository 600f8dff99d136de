import { describe, expect, it } from '@jest/globals';
import { SignalBusRegistry } from '../../../lib/core/bus/bus-registry.js';
import { AsyncLocalDeliveryScope } from '../../../lib/core/bus/delivery-scope.js';
import type { BusErrorTelemetryMessage } from '../../../lib/core/bus/bus-telemetry.js';
import { SignalBus, type SignalBusOptions } from '../../../lib/core/bus/signal-bus.js';
import { BusClosedError } from '../../../lib/core/errors/bus.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { rejection } from '../../helpers/errors.js';
import { busFactory, collectErrors, deferred, listen, sig, sleep } from './helpers.js';

// Graceful shutdown (issue 14, point 4): intake from outside stops, follow-ups published by
// in-flight deliveries are accepted and delivered until the drain ends, and whatever is
// refused is reported with its signal ids — never dropped silently.
const newBus = busFactory('drain', { timeout: 100 });

/**
 * `order.placed` handlers wait for `gate`, then publish `order.charged` (awaited);
 * `order.charged` handlers publish `order.shipped`. Returns what was delivered, by type.
 */
async function chain(bus: SignalBus, gate: Promise<void>, done = { placed: 0 }) {
  const seen: string[] = [];
  await bus.subscribe('order.placed', async (s: Signal) => {
    await gate;
    await sleep(2);
    await bus.publish(sig('order.charged', s.data));
    done.placed++;
  });
  await bus.subscribe('order.charged', async (s: Signal) => {
    await sleep(2);
    await bus.publish(sig('order.shipped', s.data));
  });
  await bus.subscribe('order.*', (s: Signal) => {
    seen.push(`${s.type}:${String(s.data)}`);
  });
  return seen;
}

describe.each([
  ['with causality', { causality: true }],
  ['without causality (context active during the drain only)', {}],
])('close() during a drain %s', (_title, options: Partial<SignalBusOptions>) => {
  it('delivers every follow-up published by handlers still running, across two generations', async () => {
    const bus = newBus(options);
    const gate = deferred();
    const seen = await chain(bus, gate.promise);
    const published = [1, 2, 3].map((n) => bus.publish(sig('order.placed', n)));
    await sleep(5);
    const closing = bus.close({ timeout: 5_000 });
    expect(bus.closed).toBe(true);
    gate.resolve();
    await closing;
    await Promise.all(published);
    for (const n of [1, 2, 3]) {
      expect(seen).toEqual(
        expect.arrayContaining([`order.placed:${n}`, `order.charged:${n}`, `order.shipped:${n}`]),
      );
    }
    expect(seen).toHaveLength(9);
  });

  it('refuses outside publishes once the handlers that were running have settled, reporting their ids', async () => {
    const bus = newBus(options);
    const gate = deferred();
    const done = { placed: 0 };
    await chain(bus, gate.promise, done);
    void bus.publish(sig('order.placed', 1));
    await sleep(5);
    const closing = bus.close({ timeout: 5_000 });
    gate.resolve();
    // Let the delivery in flight at close() settle (its publish ends a tick after it).
    while (done.placed === 0) await sleep(1);
    await sleep(1);
    const channel = listen<BusErrorTelemetryMessage>(TelemetryChannel.BusError);
    const outside = sig('order.placed', 99);
    const error = await rejection(bus.publish([outside]));
    channel.stop();
    expect(error).toBeInstanceOf(BusClosedError);
    expect((error as BusClosedError).signalIds).toEqual([outside.id]);
    expect(channel.messages.filter((m) => m.bus === bus.name)).toEqual([
      expect.objectContaining({ code: 'closed', signalId: outside.id, error }),
    ]);
    await closing;
  });
});

describe('drain attribution', () => {
  it('with causality, an outside publish is refused even while a handler is still running', async () => {
    const bus = newBus({ causality: true });
    const gate = deferred();
    await chain(bus, gate.promise);
    void bus.publish(sig('order.placed', 1));
    await sleep(5);
    const errors = collectErrors(bus);
    const closing = bus.close({ timeout: 5_000 });
    const error = await rejection(bus.publish(sig('outside')));
    expect(error).toBeInstanceOf(BusClosedError);
    // Reported on errors$ too while the drain lasts.
    expect(errors).toEqual([error]);
    gate.resolve();
    await closing;
  });

  it('without causality, publishes are accepted while deliveries that started before close() run (they cannot be told apart)', async () => {
    const bus = newBus();
    const gate = deferred();
    const seen: string[] = [];
    await bus.subscribe('slow', () => gate.promise);
    await bus.subscribe('**', (s: Signal) => {
      seen.push(s.type);
    });
    void bus.publish(sig('slow'));
    await sleep(5);
    const closing = bus.close({ timeout: 5_000 });
    await expect(bus.publish(sig('maybe.a.follow.up'))).resolves.toHaveLength(1);
    gate.resolve();
    await closing;
    expect(seen).toEqual(['slow', 'maybe.a.follow.up']);
  });

  it('on a partitioned bus, follow-ups of lane deliveries running at close() are delivered', async () => {
    const bus = newBus({ partitionCount: 3 });
    const gate = deferred();
    const seen: string[] = [];
    for (const n of [1, 2, 3]) {
      await bus.subscribe('job', {
        subscriptionId: `worker-${n}`,
        dispatch: async () => {
          await gate.promise;
          await bus.publish(sig('job.done', n));
        },
      });
    }
    await bus.subscribe('job.done', (s: Signal) => {
      seen.push(String(s.data));
    });
    await bus.publish(sig('job')); // resolves once admitted: the lanes are still delivering
    await sleep(5);
    const closing = bus.close({ timeout: 5_000 });
    gate.resolve();
    await closing;
    expect(seen.sort()).toEqual(['1', '2', '3']);
  });

  it('keeps a custom delivery scope during the drain (composed with the drain context)', async () => {
    const scope = new AsyncLocalDeliveryScope();
    const bus = newBus({ deliveryScope: scope });
    const gate = deferred();
    const handled: (string | undefined)[] = [];
    await bus.subscribe('a', async () => {
      await gate.promise;
      await bus.publish(sig('b'));
    });
    await bus.subscribe('b', () => {
      handled.push(scope.current()?.signal.type);
    });
    void bus.publish(sig('a'));
    await sleep(5);
    const closing = bus.close({ timeout: 5_000 });
    gate.resolve();
    await closing;
    expect(handled).toEqual(['b']);
  });
});

describe('after the drain', () => {
  it('a handler still running when the timeout passes gets BusClosedError for its follow-up, reported with ids on the error channel', async () => {
    const bus = newBus();
    const gate = deferred();
    const followUp = sig('late.follow.up');
    const result = deferred<unknown>();
    await bus.subscribe('slow', async () => {
      await gate.promise;
      result.resolve(await bus.publish(followUp).catch((e: unknown) => e));
    });
    void bus.publish(sig('slow'));
    await sleep(5);
    const channel = listen<BusErrorTelemetryMessage>(TelemetryChannel.BusError);
    try {
      await bus.close({ timeout: 20 });
      gate.resolve();
      const error = await result.promise;
      expect(error).toBeInstanceOf(BusClosedError);
      const reported = channel.messages.filter((m) => m.bus === bus.name && m.code === 'closed');
      expect(reported).toHaveLength(1);
      expect(reported[0].signalId).toBe(followUp.id);
      expect((reported[0].error as BusClosedError).signalIds).toEqual([followUp.id]);
    } finally {
      channel.stop();
    }
  });

  it('publishes still queued when the timeout passes are refused and reported, not dropped', async () => {
    const hold = deferred();
    const bus = newBus({
      middlewareTimeout: 0,
      middleware: [
        {
          name: 'slow-intake',
          beforePublish: async (signals) => {
            if (signals[0].type === 'first') await hold.promise;
            return { action: 'continue', signals };
          },
        },
      ],
    });
    const errors = collectErrors(bus);
    const first = bus.publish(sig('first'));
    const queued = sig('queued');
    const second = bus.publish(queued);
    await sleep(5);
    await bus.close({ timeout: 20 });
    const error = await rejection(second);
    expect(error).toBeInstanceOf(BusClosedError);
    expect((error as BusClosedError).signalIds).toEqual([queued.id]);
    expect(errors).toContain(error);
    hold.resolve();
    await first.catch(() => undefined);
  });

  it('drain() resolves true once idle and leaves the bus accepting follow-ups until close()', async () => {
    const bus = newBus({ causality: true });
    const seen: string[] = [];
    const gate = deferred();
    await bus.subscribe('a', async () => {
      await gate.promise;
      await bus.publish(sig('b'));
    });
    await bus.subscribe('**', (s: Signal) => {
      seen.push(s.type);
    });
    void bus.publish(sig('a'));
    await sleep(1);
    expect(bus.idle).toBe(false);
    const drained = bus.drain({ timeout: 5_000 });
    gate.resolve();
    await expect(drained).resolves.toBe(true);
    expect(bus.idle).toBe(true);
    expect(seen).toEqual(['a', 'b']);
    await expect(bus.publish(sig('outside'))).rejects.toBeInstanceOf(BusClosedError);
    await bus.close();
    await expect(bus.drain()).resolves.toBe(true);
  });

  it('drain() resolves false when the timeout passes first', async () => {
    const bus = newBus();
    const gate = deferred();
    await bus.subscribe('slow', () => gate.promise);
    void bus.publish(sig('slow'));
    await sleep(2);
    await expect(bus.drain({ timeout: 10 })).resolves.toBe(false);
    gate.resolve();
  });
});

describe('SignalBusRegistry.closeAll', () => {
  it('drains buses together: a follow-up to a bus that was already idle is still delivered', async () => {
    const registry = new SignalBusRegistry();
    const orders = registry.create({ name: 'orders' });
    const audit = registry.create({ name: 'audit' });
    const gate = deferred();
    const audited: string[] = [];
    await orders.subscribe('order.placed', async (s: Signal) => {
      await gate.promise;
      await audit.publish(sig('audit.order', s.data));
    });
    // Forwarding by the bus adapter resolves the target by name during the drain.
    await orders.subscribe('order.placed', { dispatch: { adapter: 'bus', bus: 'audit' } });
    await audit.subscribe('**', (s: Signal) => {
      audited.push(s.type);
    });
    void orders.publish(sig('order.placed', 7));
    await sleep(5);
    const closing = registry.closeAll({ timeout: 5_000 });
    await sleep(10); // `audit` is idle now
    gate.resolve();
    await closing;
    expect(audited.sort()).toEqual(['audit.order', 'order.placed']);
    expect(registry.size).toBe(0);
    expect(orders.closed && audit.closed).toBe(true);
  });
});
