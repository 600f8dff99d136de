export { RedisStore } from './redis.store.js';
export type { RedisStoreOptions } from './redis.store.js';
export type { RedisStoreSettings } from './options.js';
export type { RedisServerOptions } from '../../redis/server-options.js';
export type { RedisConnectionOptions } from '../../redis/options.js';
export { logIdOf, streamIdOf } from './keys.js';
