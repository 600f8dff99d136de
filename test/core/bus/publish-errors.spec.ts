import { describe, expect, it } from '@jest/globals';
import {
  BusOptionError,
  PublishHandlersError,
  SubscriberError,
} from '../../../lib/core/errors/bus.error.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { rejection } from '../../helpers/errors.js';
import { busFactory, collectErrors, sig, sleep } from './helpers.js';

const newBus = busFactory('pe');

function boom(message: string) {
  return (): never => {
    throw new Error(message);
  };
}

describe("publish { handlerErrors: 'reject' }", () => {
  it("default ('report'): a failing handler never rejects the publish", async () => {
    const bus = newBus();
    await bus.subscribe('a', { subscriptionId: 'bad', dispatch: boom('no') });
    const errors = collectErrors(bus);
    await expect(bus.publish(sig('a'))).resolves.toHaveLength(1);
    expect(errors.map((e) => e.code)).toEqual(['subscriber_failed']);
  });

  it('rejects with every failed handler (sync throw and async rejection), after all settled', async () => {
    const bus = newBus();
    const got: string[] = [];
    await bus.subscribe('order.*', { subscriptionId: 'sync-bad', dispatch: boom('sync boom') });
    await bus.subscribe('order.*', {
      subscriptionId: 'async-bad',
      dispatch: async () => {
        await sleep(5);
        throw new Error('async boom');
      },
    });
    await bus.subscribe('order.*', {
      subscriptionId: 'good',
      dispatch: async (s: Signal) => {
        await sleep(10);
        got.push(s.type);
      },
    });
    const signal = sig('order.created');
    const error = await rejection(bus.publish(signal, { handlerErrors: 'reject' }));
    expect(error).toBeInstanceOf(PublishHandlersError);
    expect(error.code).toBe('handlers_failed');
    expect(error.retryable).toBe(false);
    const failure = error as PublishHandlersError;
    // The slowest (good) handler had finished before the rejection.
    expect(got).toEqual(['order.created']);
    expect(failure.failures.map((f) => f.subscriptionId).sort()).toEqual(['async-bad', 'sync-bad']);
    for (const f of failure.failures) {
      expect(f).toBeInstanceOf(SubscriberError);
      expect(f.signalId).toBe(signal.id);
    }
    const causes = failure.failures.map((f) => (f.cause as Error).message).sort();
    expect(causes).toEqual(['async boom', 'sync boom']);
    // The signal stays recorded: the error says where.
    const [entry] = await bus.replay();
    expect(failure.logIds).toEqual([entry.logId]);
    expect(failure.signalIds).toEqual([signal.id]);
    expect(failure.details).toMatchObject({
      failures: expect.arrayContaining([
        expect.objectContaining({ subscriptionId: 'sync-bad', message: 'sync boom' }),
      ]),
    });
  });

  it('resolves with the entries when every handler succeeded', async () => {
    const bus = newBus({ handlerErrors: 'reject' });
    await bus.subscribe('a', { dispatch: async () => sleep(1) });
    const entries = await bus.publish([sig('a', 1), sig('a', 2)]);
    expect(entries.map((e) => e.signal.data)).toEqual([1, 2]);
  });

  it("a bus default of 'reject' applies to every publish; a call may say 'report'", async () => {
    const bus = newBus({ handlerErrors: 'reject' });
    await bus.subscribe('a', { subscriptionId: 'bad', dispatch: boom('no') });
    await expect(bus.publish(sig('a'))).rejects.toBeInstanceOf(PublishHandlersError);
    await expect(bus.publish(sig('a'), { handlerErrors: 'report' })).resolves.toHaveLength(1);
  });

  it('failures a wrapper reported itself (reportSubscriberError) count too', async () => {
    const bus = newBus();
    // What the Nest layer's onError: 'log' does: catch, report, resolve.
    await bus.subscribe('a', {
      subscriptionId: 'logged',
      dispatch: async (s: Signal) => {
        await sleep(1);
        bus.reportSubscriberError('logged', s.id, new Error('swallowed'));
      },
    });
    const error = (await rejection(
      bus.publish(sig('a'), { handlerErrors: 'reject' }),
    )) as PublishHandlersError;
    expect(error.failures.map((f) => [f.subscriptionId, (f.cause as Error).message])).toEqual([
      ['logged', 'swallowed'],
    ]);
    // Without 'reject' the same report does not reject.
    await expect(bus.publish(sig('a'))).resolves.toHaveLength(1);
  });

  it('dispatch-config subscriptions that fail are included', async () => {
    const bus = newBus();
    await bus.subscribe('a', {
      subscriptionId: 'to-nowhere',
      dispatch: { adapter: 'named', name: 'nobody-registered' },
    });
    const error = (await rejection(
      bus.publish(sig('a'), { handlerErrors: 'reject' }),
    )) as PublishHandlersError;
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0].subscriptionId).toBe('to-nowhere');
  });

  it('persistent subscriptions are left out (they retry and dead-letter on their own)', async () => {
    const bus = newBus();
    await bus.subscribe('a', {
      persistent: true,
      subscriptionId: 'p',
      maxAttempts: 1,
      dispatch: boom('persistent boom'),
    });
    await expect(bus.publish(sig('a'), { handlerErrors: 'reject' })).resolves.toHaveLength(1);
  });

  it('queued publishes keep their own failures: a collecting publish is never grouped with others', async () => {
    const bus = newBus();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await bus.subscribe('slow', { dispatch: () => gate });
    await bus.subscribe('bad', { subscriptionId: 'bad', dispatch: boom('bad') });
    await bus.subscribe('good', { dispatch: () => undefined });
    // Holds the turn long enough for the next three to queue up.
    const first = bus.publish(sig('slow'));
    const reported = bus.publish(sig('bad'));
    const collectingGood = bus.publish(sig('good'), { handlerErrors: 'reject' });
    const collectingBad = bus.publish([sig('good'), sig('bad')], { handlerErrors: 'reject' });
    release();
    await first;
    await expect(reported).resolves.toHaveLength(1);
    await expect(collectingGood).resolves.toHaveLength(1);
    const error = (await rejection(collectingBad)) as PublishHandlersError;
    expect(error.failures.map((f) => f.subscriptionId)).toEqual(['bad']);
    expect(error.logIds).toHaveLength(2);
  });

  it('refuses an unknown mode with invalid_option, recording nothing', async () => {
    const bus = newBus();
    const error = await rejection(
      bus.publish(sig('a'), { handlerErrors: 'throw' as unknown as 'reject' }),
    );
    expect(error).toBeInstanceOf(BusOptionError);
    expect(error.code).toBe('invalid_option');
    expect(await bus.replay()).toEqual([]);
    expect(() => newBus({ handlerErrors: 'loud' as unknown as 'reject' })).toThrow(BusOptionError);
  });

  it('needs a bus without partitions', async () => {
    expect(() => newBus({ partitionCount: 2, handlerErrors: 'reject' })).toThrow(BusOptionError);
    const bus = newBus({ partitionCount: 2 });
    const error = await rejection(bus.publish(sig('a'), { handlerErrors: 'reject' }));
    expect(error).toBeInstanceOf(BusOptionError);
    expect(await bus.replay()).toEqual([]);
  });
});
