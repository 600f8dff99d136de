// One bus over Redis Streams across 3 Node processes on a private redis-server (port 16383,
// AOF with fsync always, so a restart keeps the data): the multi-process scenarios
// (multiprocess-scenarios.ts), with the server restart.
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { groupName } from '../../lib/core/store/redis/keys.js';
import { RedisStore } from '../../lib/core/store/redis/redis.store.js';
import { startRedisServer, stopRedisServer } from '../helpers/redis.js';
import { describeMultiprocess } from './multiprocess-scenarios.js';

const PORT = 16383;
let server: ChildProcess;
let dir: string;

describeMultiprocess<RedisStore>({
  title: 'one bus over Redis Streams across 3 Node processes',
  worker: 'redis',
  tmpPrefix: 'jido-redis-mp-',
  killDelayMs: 100,
  async setUp(tmp) {
    dir = tmp;
    server = await startRedisServer(PORT, dir, true);
    return { url: `redis://127.0.0.1:${PORT}`, prefix: 'mp' };
  },
  connect: (url, prefix) =>
    RedisStore.connect({
      url,
      prefix,
      reconnectTimeWait: 100,
      disconnectedWait: 200,
      onError: () => undefined,
    }),
  tearDown: () => stopRedisServer(server),
  async unsettled(store, url, bus, subscriptionId) {
    const raw = new Redis(url);
    try {
      const [count] = (await raw.xpending(store.logKey(bus), groupName(subscriptionId))) as [
        number,
      ];
      return [Number(count)];
    } finally {
      raw.disconnect();
    }
  },
  restart: {
    stop: () => stopRedisServer(server),
    start: async () => {
      server = await startRedisServer(PORT, dir, true);
    },
  },
});
