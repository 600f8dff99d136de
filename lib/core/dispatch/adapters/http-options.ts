// Options of the `http` and `webhook` adapters: the pool options of an adapter instance, the
// `http` target options as written in a dispatch config and their normalized form, the
// validation both adapters share, and the redacting views of normalized options.
import type { Dispatcher } from 'undici';
import { DispatchConfigError } from '../../errors/dispatch.error.js';
import {
  CLOUDEVENTS_BATCH_JSON,
  CLOUDEVENTS_JSON,
} from '../../signal/serialization/json.serializer.js';
import {
  resolveCircuitBreakerSettings,
  type CircuitBreaker,
  type CircuitBreakerSettings,
  type ResolvedCircuitBreakerSettings,
} from '../circuit-breaker.js';
import { resolveRetryPolicy, type RetryOptions, type RetryPolicy } from '../retry.js';
import { redactHeaders, validateHeaders } from '../url.js';
import { integerInRange } from './options.js';
import type { HttpTlsOptions, ResolvedTls } from './tls.js';

/** Options of an {@link HttpAdapter} (or {@link WebhookAdapter}) instance: its connection pool. */
export interface HttpAdapterOptions {
  /** Most connections the owned undici `Agent` opens per origin. @default 64 */
  connections?: number;
  /** How long an idle keep-alive connection stays open, in ms. @default 4000 */
  keepAliveTimeout?: number;
  /** HTTP/1.1 pipelining depth per connection (1 = no pipelining). @default 1 */
  pipelining?: number;
  /**
   * Send through this undici dispatcher (a `ProxyAgent`, a shared `Agent`, a `MockAgent` in
   * tests) instead of an owned `Agent`. It is not closed by {@link HttpAdapter.close}.
   * @default undefined (a lazily created, owned keep-alive `Agent`)
   */
  dispatcher?: Dispatcher;
  /**
   * Circuit breaker holding this adapter's circuits (one per target origin). Pass one
   * instance to several adapters to share state.
   * @default a new `CircuitBreaker` that counts timeouts, connection errors, 408, 425, 429 and 5xx as failures
   */
  circuitBreaker?: CircuitBreaker;
}

/** HTTP methods the `http` adapter sends with. */
export type HttpMethod = 'POST' | 'PUT' | 'PATCH';

/** CloudEvents HTTP content mode of the `http` adapter. */
export type HttpContentMode = 'structured' | 'binary';

/** Header list accepted by the `headers` option. */
export type HttpHeadersInit =
  Readonly<Record<string, string>> | readonly (readonly [string, string])[];

/**
 * Options of an `http` dispatch target, as written in a dispatch config:
 * `{ adapter: 'http', url: 'https://api.example.com/events', … }`.
 */
export interface HttpDispatchOptions {
  /** Absolute `http:`/`https:` URL without credentials (use `headers` for auth). */
  url: string;
  /** HTTP method (case-insensitive). @default 'post' */
  method?: 'post' | 'put' | 'patch' | HttpMethod;
  /**
   * Extra request headers (RFC 7230 names, values without CR/LF/control characters). A
   * `content-type` replaces the default one in structured mode.
   * @default {}
   */
  headers?: HttpHeadersInit;
  /** Timeout of each attempt (connect, send, response and body), in ms, 1..60 000. @default 5000 */
  timeout?: number;
  /** Retry policy, or `false` for a single attempt. @default { maxAttempts: 3, baseDelay: 200, maxDelay: 5000, jitter: true } */
  retry?: RetryOptions | false;
  /** Circuit breaker thresholds for this target's origin, or `false` to bypass it. @default { threshold: 5, windowMs: 10_000, halfOpenAfter: 30_000 } */
  circuitBreaker?: CircuitBreakerSettings | false;
  /**
   * `'structured'`: the body is the CloudEvents JSON envelope
   * (`application/cloudevents+json; charset=utf-8`); `'binary'`: attributes travel as
   * `ce-*` headers and the body is `data` with `content-type` = `datacontenttype`.
   * @default 'structured'
   */
  mode?: HttpContentMode;
  /**
   * TLS settings for this (`https:`) target: private CA, client certificate for mutual
   * TLS, SNI… Secrets in it never reach errors or telemetry.
   * @default undefined (Node's defaults: bundled root CAs, verification on)
   */
  tls?: HttpTlsOptions;
}

/** Normalized `http` options, as returned by {@link HttpAdapter.validateOptions}. */
export interface HttpOptions {
  /** The full target URL (including query). */
  readonly url: string;
  /** `scheme://host:port` of the target. */
  readonly origin: string;
  /** Path and query sent in the request line. */
  readonly path: string;
  /** Secret-free description: `scheme://host[:port]/path`. */
  readonly target: string;
  /** Upper-case method. */
  readonly method: HttpMethod;
  /** Headers sent with every request (lower-case names; credentials redacted when serialized). */
  readonly headers: Readonly<Record<string, string>>;
  /** Per-attempt timeout in ms. */
  readonly timeout: number;
  /** Retry policy, or `false`. */
  readonly retry: RetryPolicy | false;
  /** Circuit breaker thresholds, or `false`. */
  readonly circuitBreaker: ResolvedCircuitBreakerSettings | false;
  /** CloudEvents content mode. */
  readonly mode: HttpContentMode;
  /** TLS settings (printed as a secret-free summary). */
  readonly tls?: ResolvedTls;
}

/** `content-type` of a structured-mode request (one CloudEvents JSON envelope). @internal */
export const STRUCTURED_CONTENT_TYPE = `${CLOUDEVENTS_JSON}; charset=utf-8`;
/** `content-type` of a CloudEvents JSON batch request. @internal */
export const BATCH_CONTENT_TYPE = `${CLOUDEVENTS_BATCH_JSON}; charset=utf-8`;
const METHODS: Readonly<Record<string, HttpMethod>> = { post: 'POST', put: 'PUT', patch: 'PATCH' };
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Give a header record a non-enumerable `toJSON` and `util.inspect` hook that redact
 * credential-carrying values, so logging normalized options never prints a token. undici
 * only reads own enumerable keys, so the request itself is unaffected.
 * @internal
 */
export function protectHeaders<H extends Record<string, string>>(headers: H): H {
  const redacted = (): Record<string, string> => redactHeaders(headers);
  Object.defineProperty(headers, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(headers, INSPECT, { value: redacted, enumerable: false });
  return Object.freeze(headers);
}

/**
 * Freeze normalized options and give them a non-enumerable `toJSON`/`util.inspect` view
 * that leaves out the query string (which may carry tokens); headers redact themselves.
 * @internal
 */
export function protectOptions<T extends object>(
  options: T,
  safeView: () => Record<string, unknown>,
): Readonly<T> {
  Object.defineProperty(options, 'toJSON', { value: safeView, enumerable: false });
  Object.defineProperty(options, INSPECT, { value: safeView, enumerable: false });
  return Object.freeze(options);
}

/** Options shared by the `http` and `webhook` adapters, validated. @internal */
export interface CommonHttpOptions {
  readonly method: HttpMethod;
  readonly headers: Record<string, string>;
  readonly timeout: number;
  readonly retry: RetryPolicy | false;
  readonly circuitBreaker: ResolvedCircuitBreakerSettings | false;
}

/**
 * Validate `method`, `headers`, `timeout`, `retry` and `circuitBreaker`.
 * @throws DispatchConfigError
 * @internal
 */
export function resolveCommonHttpOptions(
  adapter: string,
  options: Readonly<Record<string, unknown>>,
): CommonHttpOptions {
  let method: HttpMethod = 'POST';
  if (options.method !== undefined) {
    const m =
      typeof options.method === 'string' ? METHODS[options.method.toLowerCase()] : undefined;
    if (m === undefined) {
      throw new DispatchConfigError(
        adapter,
        'method',
        '"method" must be one of "post", "put", "patch"',
      );
    }
    method = m;
  }
  return {
    method,
    headers: validateHeaders(adapter, 'headers', options.headers),
    timeout:
      options.timeout === undefined
        ? 5000
        : integerInRange(adapter, 'timeout', options.timeout, 1, 60_000),
    retry: resolveRetryPolicy(adapter, options.retry),
    circuitBreaker: resolveCircuitBreakerSettings(adapter, options.circuitBreaker),
  };
}
