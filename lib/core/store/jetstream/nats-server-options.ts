/**
 * How to reach NATS, without an open connection: free of the optional NATS peers' types, so
 * module options can hold it. Credentials are passed to the client only, never logged or put
 * in errors.
 */
export interface NatsServerOptions {
  /**
   * Server URLs (`nats://host:port`). Ignored when `connection` is given.
   * @default 'nats://127.0.0.1:4222'
   */
  servers?: string | string[];
  /** Client name shown by the server's monitoring. @default 'nestjs-jido-signal' */
  name?: string;
  /** User name. @default undefined */
  user?: string;
  /** Password (secret). @default undefined */
  pass?: string;
  /** Auth token (secret). @default undefined */
  token?: string;
  /** Give up on the first connect after this many ms. @default 5_000 */
  connectTimeout?: number;
  /** Reconnect attempts per server after a connection loss; `-1` retries forever. @default -1 */
  maxReconnectAttempts?: number;
  /** Pause between reconnect attempts to one server, in ms. @default 1_000 */
  reconnectTimeWait?: number;
  /**
   * While disconnected, an operation waits at most this many ms for the connection to come
   * back, then rejects with `StoreUnavailableError` (`store_unavailable`). `0` fails at once.
   * @default 5_000
   */
  disconnectedWait?: number;
  /** Timeout of one JetStream API request or publish acknowledgement, in ms. @default 5_000 */
  requestTimeout?: number;
}
