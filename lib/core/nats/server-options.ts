/**
 * How to reach NATS ({@link NatsServerOptions}) and the one check of those options that the
 * store, the journal and the pub/sub share; each throws its own typed error naming the option.
 * @module
 */

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
  /** Give up on the first connect after this many ms (at least 1). @default 5_000 */
  connectTimeout?: number;
  /**
   * Reconnect attempts per server after a connection loss (an integer); `-1` retries forever.
   * @default -1
   */
  maxReconnectAttempts?: number;
  /** Pause between reconnect attempts to one server, in ms. @default 1_000 */
  reconnectTimeWait?: number;
  /**
   * While disconnected, an operation waits at most this many ms for the connection to come
   * back, then rejects with `StoreUnavailableError` (`store_unavailable`). `0` fails at once.
   * @default 5_000
   */
  disconnectedWait?: number;
  /**
   * Timeout of one request (JetStream API, publish acknowledgement, presence), in ms (at
   * least 1).
   * @default 5_000
   */
  requestTimeout?: number;
}

/** An option of {@link NatsServerOptions} (or `connection`) that is not usable, and why. */
export interface NatsOptionProblem {
  /** The option's name. */
  readonly field: string;
  /** Why, as a phrase to follow the option's name (`must be …`). */
  readonly reason: string;
}

/** The lowest value of each numeric server option. */
const MINIMUM: ReadonlyArray<readonly [keyof NatsServerOptions, number]> = [
  ['connectTimeout', 1],
  ['reconnectTimeWait', 0],
  ['disconnectedWait', 0],
  ['requestTimeout', 1],
];

/**
 * The first unusable server option of `options`, or `undefined`: `servers` must be a
 * non-empty URL or a non-empty list of them, `connectTimeout` and `requestTimeout` finite
 * numbers ≥ 1, `reconnectTimeWait` and `disconnectedWait` finite numbers ≥ 0,
 * `maxReconnectAttempts` an integer ≥ -1, and `connection` (when given) a NATS connection.
 * @internal
 */
export function natsOptionProblem(
  options: NatsServerOptions & { readonly connection?: unknown },
): NatsOptionProblem | undefined {
  const servers = options.servers;
  if (
    servers !== undefined &&
    !(typeof servers === 'string' && servers.length > 0) &&
    !(
      Array.isArray(servers) &&
      servers.length > 0 &&
      servers.every((s) => typeof s === 'string' && s.length > 0)
    )
  ) {
    return { field: 'servers', reason: 'must be a URL or a non-empty list of URLs' };
  }
  const connection = options.connection;
  if (
    connection !== undefined &&
    (typeof connection !== 'object' ||
      connection === null ||
      typeof (connection as { publish?: unknown }).publish !== 'function' ||
      typeof (connection as { subscribe?: unknown }).subscribe !== 'function')
  ) {
    return { field: 'connection', reason: 'must be a NatsConnection' };
  }
  for (const [field, min] of MINIMUM) {
    const value: unknown = options[field];
    if (
      value !== undefined &&
      (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    ) {
      return { field, reason: `must be a finite number of ms >= ${min}` };
    }
  }
  const attempts = options.maxReconnectAttempts;
  if (attempts !== undefined && !(Number.isSafeInteger(attempts) && attempts >= -1)) {
    return { field: 'maxReconnectAttempts', reason: 'must be an integer >= -1' };
  }
  return undefined;
}
