/**
 * How to reach Redis, without a client object: free of the optional `ioredis` peer's types, so
 * module options (`forRoot({ store: { type: 'redis', url } })`) can hold it. Credentials in
 * the URL are passed to the client only, never logged or put in errors.
 */
export interface RedisServerOptions {
  /**
   * Server URL: `redis://[[user]:password@]host[:port][/db]` or `rediss://…` for TLS.
   * Ignored when `client` is given.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /** Client name shown by `CLIENT LIST`. @default 'nestjs-jido-signal' */
  name?: string;
  /** Give up on the first connect after this many ms. @default 5_000 */
  connectTimeout?: number;
  /** Pause between reconnect attempts after a connection loss, in ms. @default 500 */
  reconnectTimeWait?: number;
  /**
   * While disconnected, an operation waits at most this many ms for the connection to come
   * back, then rejects with `StoreUnavailableError` (`store_unavailable`). `0` fails at once.
   * @default 5_000
   */
  disconnectedWait?: number;
  /** Timeout of one command (not the blocking reads of feeds), in ms. @default 5_000 */
  requestTimeout?: number;
}
