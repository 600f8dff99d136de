import type { Redis, RedisOptions } from 'ioredis';
import { StoreOptionError } from '../errors/store.error.js';
import type { RedisServerOptions } from './server-options.js';

/**
 * Connection options shared by the Redis store, journal and pub/sub: what they accept, the
 * checks and defaults, and the `ioredis` client options they become.
 * @module
 */

/** How to reach Redis: the server options, or an open `ioredis` client to reuse. */
export interface RedisConnectionOptions extends RedisServerOptions {
  /**
   * An `ioredis` client to use instead of connecting (`url` is ignored). It is not closed by
   * `close()`; the store opens its blocking connections with `client.duplicate()`.
   * @default undefined (connect to `url`)
   */
  client?: Redis;
}

/** Default server URL. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Check the connection options of the client `store` (named in errors).
 * @throws StoreOptionError (`invalid_option`) naming the first bad option
 */
export function checkConnectionOptions(store: string, options: RedisConnectionOptions): void {
  if (
    options.url !== undefined &&
    (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))
  ) {
    throw new StoreOptionError(store, 'url', 'must be a redis:// or rediss:// URL');
  }
  for (const name of ['connectTimeout', 'reconnectTimeWait', 'disconnectedWait'] as const) {
    const value = options[name];
    if (
      value !== undefined &&
      (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    ) {
      throw new StoreOptionError(store, name, 'must be a non-negative finite number of ms');
    }
  }
  const rt = options.requestTimeout;
  if (rt !== undefined && (typeof rt !== 'number' || !Number.isFinite(rt) || rt <= 0)) {
    throw new StoreOptionError(store, 'requestTimeout', 'must be a positive number of ms');
  }
  if (
    options.client !== undefined &&
    (typeof options.client !== 'object' ||
      options.client === null ||
      typeof options.client.duplicate !== 'function')
  ) {
    throw new StoreOptionError(store, 'client', 'must be an ioredis client');
  }
}

/**
 * The `ioredis` options of one connection: commands never queue while disconnected and are
 * never sent twice; `blocking` connections (`XREAD BLOCK`, pub/sub) have no command timeout.
 * Reconnects go on until `gate.closed`.
 */
export function clientOptions(
  options: RedisConnectionOptions,
  blocking: boolean,
  gate: { readonly closed: boolean },
): RedisOptions {
  const wait = options.reconnectTimeWait ?? 500;
  return {
    lazyConnect: true,
    connectionName: options.name ?? 'nestjs-jido-signal',
    connectTimeout: options.connectTimeout ?? 5_000,
    enableOfflineQueue: false,
    // ioredis waits this long for a socket that is already gone to close (a timer that holds
    // the process after a failed connect): keep it short.
    disconnectTimeout: 100,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    ...(blocking ? {} : { commandTimeout: options.requestTimeout ?? 5_000 }),
    retryStrategy: () => (gate.closed ? null : Math.max(10, wait)),
  };
}
