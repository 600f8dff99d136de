import { afterAll, describe, expect, it } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { BusAdapter } from '../../../lib/core/dispatch/adapters/bus.adapter.js';
import { PubSubAdapter } from '../../../lib/core/dispatch/adapters/pubsub.adapter.js';
import type { PublishableBus } from '../../../lib/core/dispatch/bus-registry.interface.js';
import type { ReceiverErrorTelemetryMessage } from '../../../lib/core/dispatch/dispatch-telemetry.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { InProcessPubSub, type PubSub } from '../../../lib/core/dispatch/pubsub.js';
import { DispatchConfigError } from '../../../lib/core/errors/dispatch.error.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { rejection } from '../../helpers/errors.js';

const signal = createSignal('metrics.tick', { n: 1 });

function expectConfigError(fn: () => unknown, field: string): void {
  try {
    fn();
    throw new Error('expected a DispatchConfigError');
  } catch (error) {
    expect(error).toBeInstanceOf(DispatchConfigError);
    expect((error as DispatchConfigError).field).toBe(field);
  }
}

describe('InProcessPubSub', () => {
  it('delivers to the subscribers of a topic, in order, and unsubscribes', () => {
    const pubsub = new InProcessPubSub();
    const got: string[] = [];
    const offA = pubsub.subscribe('t', () => got.push('a'));
    pubsub.subscribe('t', () => got.push('b'));
    pubsub.subscribe('other', () => got.push('other'));
    pubsub.publish('t', signal);
    expect(got).toEqual(['a', 'b']);
    expect(pubsub.subscriberCount('t')).toBe(2);
    offA();
    offA();
    expect(pubsub.subscriberCount('t')).toBe(1);
    expect(pubsub.topics().sort()).toEqual(['other', 't']);
    pubsub.close();
    expect(pubsub.subscriberCount('t')).toBe(0);
  });

  it('isolates failing subscribers and reports them (default: telemetry)', async () => {
    const seen: ReceiverErrorTelemetryMessage[] = [];
    const listener = (m: unknown): void => {
      seen.push(m as ReceiverErrorTelemetryMessage);
    };
    subscribe(TelemetryChannel.DispatchReceiverError, listener);
    try {
      const pubsub = new InProcessPubSub();
      const got: string[] = [];
      pubsub.subscribe('t', () => {
        throw new Error('sync');
      });
      pubsub.subscribe('t', () => Promise.reject(new Error('async')));
      pubsub.subscribe('t', () => got.push('ok'));
      pubsub.publish('t', signal);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(got).toEqual(['ok']);
      expect(seen.map((m) => [m.adapter, m.target, m.errorCode])).toEqual([
        ['pubsub', 't', 'dispatch_error'],
        ['pubsub', 't', 'dispatch_error'],
      ]);
    } finally {
      unsubscribe(TelemetryChannel.DispatchReceiverError, listener);
    }
  });

  it('calls a custom onError', () => {
    const errors: unknown[] = [];
    const pubsub = new InProcessPubSub({ onError: (e) => errors.push(e) });
    pubsub.subscribe('t', () => {
      throw new Error('x');
    });
    pubsub.publish('t', signal);
    expect(errors).toHaveLength(1);
  });
});

describe('pubsub adapter', () => {
  const cluster = new InProcessPubSub();
  const dispatcher = new Dispatcher({
    pubsubs: new Map<string, PubSub>([
      ['default', new InProcessPubSub()],
      ['cluster', cluster],
    ]),
  });
  afterAll(() => dispatcher.close());

  it('broadcasts on a topic of the default instance', async () => {
    const got: Signal[] = [];
    const off = dispatcher.pubsubs.get('default')!.subscribe('metrics', (s) => got.push(s));
    await dispatcher.dispatch(signal, { adapter: 'pubsub', topic: 'metrics' });
    expect(got).toEqual([signal]);
    off();
  });

  it('broadcasts on a named instance or an instance object', async () => {
    const got: Signal[] = [];
    const off = cluster.subscribe('metrics', (s) => got.push(s));
    await dispatcher.dispatch(signal, { adapter: 'pubsub', pubsub: 'cluster', topic: 'metrics' });
    await dispatcher.dispatch(signal, { adapter: 'pubsub', pubsub: cluster, topic: 'metrics' });
    expect(got).toHaveLength(2);
    off();
    expect(
      dispatcher.validate({ adapter: 'pubsub', pubsub: 'cluster', topic: 'metrics' }).target,
    ).toBe('cluster/metrics');
  });

  it('succeeds without subscribers unless requireSubscribers is set', async () => {
    await dispatcher.dispatch(signal, { adapter: 'pubsub', topic: 'empty' });
    const error = await rejection(
      dispatcher.dispatch(signal, { adapter: 'pubsub', topic: 'empty', requireSubscribers: true }),
    );
    expect(error.code).toBe('no_subscribers');
    const off = cluster.subscribe('empty', () => {});
    await dispatcher.dispatch(signal, {
      adapter: 'pubsub',
      pubsub: 'cluster',
      topic: 'empty',
      requireSubscribers: true,
    });
    off();
  });

  it('supports asynchronous subscriberCount and publish', async () => {
    const published: string[] = [];
    const remote: PubSub = {
      publish: async (topic) => {
        published.push(topic);
      },
      subscribe: () => () => {},
      subscriberCount: async () => 0,
    };
    const error = await rejection(
      dispatcher.dispatch(signal, {
        adapter: 'pubsub',
        pubsub: remote,
        topic: 'x',
        requireSubscribers: true,
      }),
    );
    expect(error.code).toBe('no_subscribers');
    await dispatcher.dispatch(signal, { adapter: 'pubsub', pubsub: remote, topic: 'x' });
    expect(published).toEqual(['x']);
  });

  it('fails with pubsub_not_found for an unknown instance name', async () => {
    const error = await rejection(
      dispatcher.dispatch(signal, { adapter: 'pubsub', pubsub: 'nowhere', topic: 't' }),
    );
    expect(error.code).toBe('pubsub_not_found');
    expect(
      await dispatcher.healthCheck({ adapter: 'pubsub', pubsub: 'nowhere', topic: 't' }),
    ).toMatchObject({
      healthy: false,
    });
  });

  it('health reports the subscriber count', async () => {
    expect(
      await dispatcher.healthCheck({ adapter: 'pubsub', topic: 'quiet', requireSubscribers: true }),
    ).toMatchObject({ healthy: false, details: { subscribers: 0 } });
  });

  it('rejects bad options with DispatchConfigErrors naming the field', () => {
    const adapter = new PubSubAdapter();
    expectConfigError(() => adapter.validateOptions({}), 'topic');
    expectConfigError(() => adapter.validateOptions({ topic: 5 }), 'topic');
    expectConfigError(() => adapter.validateOptions({ topic: 't', pubsub: 5 }), 'pubsub');
    expectConfigError(() => adapter.validateOptions({ topic: 't', pubsub: '' }), 'pubsub');
    expectConfigError(() => adapter.validateOptions({ topic: 't', pubsub: {} }), 'pubsub');
    expectConfigError(
      () => adapter.validateOptions({ topic: 't', requireSubscribers: 'yes' }),
      'requireSubscribers',
    );
    expectConfigError(() => adapter.validateOptions({ topic: 't', local: true }), 'local');
    expect(adapter.validateOptions({ topic: 't' })).toEqual({
      topic: 't',
      pubsub: 'default',
      requireSubscribers: false,
    });
    adapter.close();
  });
});

describe('bus adapter', () => {
  class FakeBus implements PublishableBus {
    readonly published: (Signal | readonly Signal[])[] = [];
    fail: Error | undefined;
    async publish(signals: Signal | readonly Signal[]): Promise<void> {
      await Promise.resolve();
      if (this.fail) throw this.fail;
      this.published.push(signals);
    }
  }
  const main = new FakeBus();
  const buses = new Map<string, PublishableBus>([['main', main]]);
  const dispatcher = new Dispatcher({ buses });
  afterAll(() => dispatcher.close());

  it('publishes into a bus looked up by name and waits for the publish', async () => {
    await dispatcher.dispatch(signal, { adapter: 'bus', bus: 'main' });
    expect(main.published).toEqual([signal]);
    const direct = new FakeBus();
    await dispatcher.dispatch(signal, { adapter: 'bus', bus: direct });
    expect(direct.published).toEqual([signal]);
  });

  it('looks the bus up per delivery: bus_not_found until it is registered', async () => {
    const config = { adapter: 'bus', bus: 'later' };
    const error = await rejection(dispatcher.dispatch(signal, config));
    expect(error.code).toBe('bus_not_found');
    expect(await dispatcher.healthCheck(config)).toMatchObject({ healthy: false });
    const later = new FakeBus();
    buses.set('later', later);
    await dispatcher.dispatch(signal, config);
    expect(later.published).toHaveLength(1);
    expect(await dispatcher.healthCheck(config)).toMatchObject({ healthy: true });
  });

  it('fails with the publish error (wrapped)', async () => {
    main.fail = new Error('queue full');
    const error = await rejection(dispatcher.dispatch(signal, { adapter: 'bus', bus: 'main' }));
    main.fail = undefined;
    expect(error.code).toBe('dispatch_error');
    expect(error.message).toContain('queue full');
  });

  it('knows no bus without a registry, and validates options', async () => {
    const bare = new Dispatcher();
    expect((await rejection(bare.dispatch(signal, { adapter: 'bus', bus: 'main' }))).code).toBe(
      'bus_not_found',
    );
    await bare.close();
    const adapter = new BusAdapter();
    expectConfigError(() => adapter.validateOptions({}), 'bus');
    expectConfigError(() => adapter.validateOptions({ bus: '' }), 'bus');
    expectConfigError(() => adapter.validateOptions({ bus: {} }), 'bus');
    expectConfigError(() => adapter.validateOptions({ bus: 'x', target: 'y' }), 'target');
  });
});
