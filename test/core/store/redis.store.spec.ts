import { afterAll, describe } from '@jest/globals';
import { RedisStore } from '../../../lib/core/store/redis/redis.store.js';
import { describeSignalStoreConformance } from '../../../lib/testing/store-conformance.js';
import { deleteRedisKeys, REDIS_URL, redisTestPrefix } from '../../helpers/redis.js';

const prefix = redisTestPrefix('store');
const stores: RedisStore[] = [];

async function open(
  extra: Partial<Parameters<typeof RedisStore.connect>[0]> = {},
): Promise<RedisStore> {
  const store = await RedisStore.connect({ url: REDIS_URL, prefix, ...extra });
  stores.push(store);
  return store;
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await deleteRedisKeys(prefix);
}, 30_000);

describeSignalStoreConformance('RedisStore', () => open(), { timeout: 20_000 });

describe('RedisStore', () => {});
