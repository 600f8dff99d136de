// RedisPubSub against the local Redis (127.0.0.1:6379): cross-instance broadcast, isolation,
// presence through PUBSUB NUMSUB, the Dispatcher's pubsub adapter, typed errors.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import type { PubSub } from '../../../lib/core/dispatch/pubsub.js';
import { RedisPubSub } from '../../../lib/core/dispatch/redis-pubsub.js';
import { DispatchConfigError } from '../../../lib/core/errors/dispatch.error.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';
import { rejection, thrown } from '../../helpers/errors.js';
import { REDIS_URL, redisTestPrefix } from '../../helpers/redis.js';

const channelPrefix = redisTestPrefix('pubsub');

async function waitFor<T>(list: readonly T[], n: number, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (list.length < n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} items (${list.length})`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Let SUBSCRIBE reach the server. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('RedisPubSub', () => {
  let a: RedisPubSub;
  let b: RedisPubSub;
  beforeAll(async () => {
    a = await RedisPubSub.connect({ url: REDIS_URL, channelPrefix });
    b = await RedisPubSub.connect({ url: REDIS_URL, channelPrefix });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('delivers a signal published on one instance to subscribers on both, intact', async () => {
    const gotA: Signal[] = [];
    const gotB: Signal[] = [];
    const offA = a.subscribe('orders', (s) => void gotA.push(s));
    const offB = b.subscribe('orders', (s) => void gotB.push(s));
    await settle();
    const signal = createSignal('order.placed', { id: 7 }, { extensions: { correlationid: 'c1' } });
    await a.publish('orders', signal);
    await waitFor(gotA, 1);
    await waitFor(gotB, 1);
    expect(gotB[0].toJSON()).toEqual(signal.toJSON());
    offB();
    await settle();
    await a.publish('orders', createSignal('order.placed', { id: 8 }));
    await waitFor(gotA, 2);
    await settle();
    expect(gotB).toHaveLength(1);
    offA();
  });

  it('isolates failing subscribers and reports undecodable messages', async () => {
    const errors: Array<[unknown, string, Signal | undefined]> = [];
    const p = await RedisPubSub.connect({
      url: REDIS_URL,
      channelPrefix,
      onError: (e, t, s) => void errors.push([e, t, s]),
    });
    try {
      const got: Signal[] = [];
      p.subscribe('iso', () => {
        throw new Error('boom');
      });
      p.subscribe('iso', (s) => void got.push(s));
      await settle();
      const { Redis } = await import('ioredis');
      const raw = new Redis(REDIS_URL);
      await raw.publish(`${channelPrefix}:iso`, 'not json');
      raw.disconnect();
      await b.publish('iso', createSignal('x'));
      await waitFor(got, 1);
      await waitFor(errors, 2);
      expect(errors.map(([, t, s]) => [t, s?.type])).toEqual([
        ['iso', undefined],
        ['iso', 'x'],
      ]);
    } finally {
      await p.close();
    }
  });

  it('counts local subscribers, remote ones through PUBSUB NUMSUB, and works with the Dispatcher', async () => {
    const dispatcher = new Dispatcher({ pubsubs: new Map<string, PubSub>([['redis', b]]) });
    const got: Signal[] = [];
    const off = a.subscribe('dispatched', (s) => void got.push(s));
    await settle();
    try {
      expect(await a.subscriberCount('dispatched')).toBe(1);
      expect(await b.subscriberCount('dispatched')).toBe(1);
      expect(await b.subscriberCount('nobody.listens')).toBe(0);
      const first = createSignal('via.name', { n: 1 });
      await dispatcher.dispatch(first, {
        adapter: 'pubsub',
        topic: 'dispatched',
        pubsub: 'redis',
        requireSubscribers: true,
      });
      await waitFor(got, 1);
      expect(got[0].id).toBe(first.id);
      const none = await rejection(
        dispatcher.dispatch(createSignal('nobody'), {
          adapter: 'pubsub',
          topic: 'nobody.listens',
          pubsub: 'redis',
          requireSubscribers: true,
        }),
      );
      expect(none.code).toBe('no_subscribers');
    } finally {
      off();
      await dispatcher.close();
    }
  });

  it('typed errors: bad topics and options, closed, and no server (secret-free)', async () => {
    expect(thrown(() => a.channelFor('a *'))).toBeInstanceOf(DispatchConfigError);
    expect(thrown(() => a.subscribe('', () => undefined)).code).toBe('invalid_dispatch_config');
    expect((await rejection(RedisPubSub.connect({ channelPrefix: '' }))).code).toBe(
      'invalid_dispatch_config',
    );
    const error = await rejection(
      RedisPubSub.connect({ url: 'redis://:s3cret@127.0.0.1:16397', connectTimeout: 300 }),
    );
    expect(error.code).toBe('connection_error');
    expect(error.retryable).toBe(true);
    expect(JSON.stringify(error.toJSON()) + error.message).not.toContain('s3cret');
    const p = await RedisPubSub.connect({ url: REDIS_URL, channelPrefix });
    await Promise.all([p.close(), p.close()]);
    expect((await rejection(p.publish('x', createSignal('x')))).code).toBe('closed');
  });
});
