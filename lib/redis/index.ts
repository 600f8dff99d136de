/**
 * `nestjs-jido-signal/redis`: everything that needs the optional peer `ioredis` — the Redis
 * Streams store, the Redis journal and the Redis pub/sub broadcast. The main entry never loads
 * this file at start-up: `JidoSignalModule.forRoot({ store: { type: 'redis' } })` imports it
 * when it connects.
 */
export {
  logIdOf,
  RedisStore,
  streamIdOf,
  type RedisConnectionOptions,
  type RedisServerOptions,
  type RedisStoreOptions,
  type RedisStoreSettings,
} from '../core/store/redis/index.js';
export { RedisJournal, type RedisJournalOptions } from '../core/journal/redis.journal.js';
export {
  RedisPubSub,
  type RedisPubSubErrorHandler,
  type RedisPubSubOptions,
} from '../core/dispatch/redis-pubsub.js';
export {
  StoreError,
  StoreClosedError,
  StoreOptionError,
  StoreUnavailableError,
} from '../core/errors/store.error.js';
