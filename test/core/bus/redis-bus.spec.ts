// SignalBus over a RedisStore against the local Redis (127.0.0.1:6379): the distributed-bus
// scenarios (distributed-bus-scenarios.ts) on consumer groups. Pins docs/redis.md.
import { expect } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisStore } from '../../../lib/core/store/redis/redis.store.js';
import { groupName } from '../../../lib/core/store/redis/keys.js';
import { deleteRedisKeys, REDIS_URL, redisTestPrefix } from '../../helpers/redis.js';
import { describeDistributedBus } from './distributed-bus-scenarios.js';

describeDistributedBus<RedisStore>({
  title: 'SignalBus on RedisStore',
  prefix: redisTestPrefix('bus'),
  busPrefix: 'rb',
  connect: (prefix) => RedisStore.connect({ url: REDIS_URL, prefix, pollInterval: 250 }),
  cleanup: (prefix) => deleteRedisKeys(prefix),
  async expectSettledOnServer(store, bus, subscriptionIds) {
    const raw = new Redis(REDIS_URL);
    try {
      for (const id of subscriptionIds) {
        const pending = (await raw.xpending(store.logKey(bus), groupName(id))) as [number];
        expect(Number(pending[0])).toBe(0);
      }
    } finally {
      raw.disconnect();
    }
  },
});
