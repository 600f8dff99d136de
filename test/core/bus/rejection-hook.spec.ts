import { describe, expect, it } from '@jest/globals';
import { setRejectionHook } from '../../../lib/core/bus/rejection-hook.js';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { SignalHandler } from '../../../lib/core/bus/subscription.js';
import { SubscriberError } from '../../../lib/core/errors/bus.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { busFactory, collectErrors, listen, sig } from './helpers.js';

const newBus = busFactory('hook');

/** An async handler failing with `error`, whose rejections go to `hook`. */
function failing(
  error: Error,
  hook: (error: unknown, signal: Signal) => boolean,
): { handler: SignalHandler; seen: [unknown, string][] } {
  const seen: [unknown, string][] = [];
  const handler: SignalHandler = async () => {
    await Promise.resolve();
    throw error;
  };
  setRejectionHook(handler, (e, signal) => {
    seen.push([e, signal.id]);
    return hook(e, signal);
  });
  return { handler, seen };
}

/** Each case once with one subscriber (single pending delivery) and once among several. */
const layouts: [string, number][] = [
  ['one pending delivery', 0],
  ['several pending deliveries', 2],
];

describe.each(layouts)('rejection hook (%s)', (_name, others) => {
  async function setup(handler: SignalHandler): Promise<{ bus: SignalBus; id: string }> {
    const bus = newBus();
    const id = await bus.subscribe('order.*', handler);
    for (let i = 0; i < others; i++) await bus.subscribe('order.*', async () => undefined);
    return { bus, id };
  }

  it('settles a rejection itself: the delivery counts as succeeded and nothing is reported', async () => {
    const boom = new Error('boom');
    const { handler, seen } = failing(boom, () => false);
    const { bus, id } = await setup(handler);
    const errors = collectErrors(bus);
    const signal = sig('order.created');
    await bus.publish(signal);
    expect(seen).toEqual([[boom, signal.id]]);
    expect(errors).toEqual([]);
    const stats = (await bus.stats()).subscriptions.find((s) => s.id === id)!;
    expect(stats).toMatchObject({ delivered: 1, failed: 0, inFlight: 0 });
  });

  it('returns true: the delivery fails with the handler error', async () => {
    const boom = new Error('boom');
    const { handler, seen } = failing(boom, () => true);
    const { bus, id } = await setup(handler);
    const errors = collectErrors(bus);
    await bus.publish(sig('order.created'));
    expect(seen).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SubscriberError);
    expect((errors[0] as SubscriberError).cause).toBe(boom);
    const stats = (await bus.stats()).subscriptions.find((s) => s.id === id)!;
    expect(stats).toMatchObject({ delivered: 0, failed: 1, inFlight: 0 });
  });

  it('throws: the delivery fails with what the hook threw', async () => {
    const thrown = new Error('from the hook');
    const { handler } = failing(new Error('boom'), () => {
      throw thrown;
    });
    const { bus } = await setup(handler);
    const errors = collectErrors(bus);
    await bus.publish(sig('order.created'));
    expect(errors).toHaveLength(1);
    expect((errors[0] as SubscriberError).cause).toBe(thrown);
  });

  it('is reported as ok on the dispatch channel when it settles the failure', async () => {
    const { handler } = failing(new Error('boom'), () => false);
    const { bus, id } = await setup(handler);
    const dispatched = listen<{ subscriptionId: string; outcome: string }>(
      TelemetryChannel.BusDispatch,
    );
    try {
      await bus.publish(sig('order.created'));
    } finally {
      dispatched.stop();
    }
    expect(dispatched.messages.filter((m) => m.subscriptionId === id)).toEqual([
      expect.objectContaining({ outcome: 'ok' }),
    ]);
  });
});

describe('rejection hook scope', () => {
  it('is not called for a handler that resolves', async () => {
    const bus = newBus();
    let called = 0;
    const handler: SignalHandler = async () => undefined;
    setRejectionHook(handler, () => {
      called++;
      return true;
    });
    await bus.subscribe('order.*', handler);
    await bus.publish([sig('order.created'), sig('order.paid')]);
    expect(called).toBe(0);
  });

  it("fails a handlerErrors: 'reject' publish only when the hook says so", async () => {
    const bus = newBus();
    const settled = failing(new Error('settled'), () => false);
    await bus.subscribe('order.*', settled.handler);
    await expect(
      bus.publish(sig('order.created'), { handlerErrors: 'reject' }),
    ).resolves.toHaveLength(1);
    const failed = failing(new Error('failed'), () => true);
    await bus.subscribe('payment.*', failed.handler);
    await expect(
      bus.publish(sig('payment.created'), { handlerErrors: 'reject' }),
    ).rejects.toMatchObject({ code: 'handlers_failed' });
  });
});
