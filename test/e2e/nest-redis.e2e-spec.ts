// JidoSignalModule with store { type: 'redis' } against the local Redis (127.0.0.1:6379): the
// Nest scenarios of every distributed engine (nest-distributed-scenarios.ts), the health one on
// a private redis-server on port 16382.
import { RedisStore } from '../../lib/core/store/redis/redis.store.js';
import {
  deleteRedisKeys,
  REDIS_URL,
  redisTestPrefix,
  startRedisServer,
  stopRedisServer,
} from '../helpers/redis.js';
import { describeNestEngine, privateServer } from './nest-distributed-scenarios.js';

const HEALTH_PORT = 16382;

describeNestEngine({
  type: 'redis',
  storeClass: RedisStore,
  prefix: redisTestPrefix,
  store: (prefix, url = REDIS_URL) => ({ type: 'redis', url, prefix }),
  cleanup: (prefix) => deleteRedisKeys(prefix),
  unreachableUrl: () => Promise.resolve('redis://user:s3cret@127.0.0.1:16396'),
  reconnectTimeWait: 50,
  privateServer: (dir) =>
    privateServer(
      `redis://127.0.0.1:${HEALTH_PORT}`,
      () => startRedisServer(HEALTH_PORT, dir),
      stopRedisServer,
    ),
});
