import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import {
  DispatchConfigError,
  DispatchError,
  DispatchTimeoutError,
  HttpStatusError,
  toDispatchError,
} from '../../errors/dispatch.error.js';
import { JidoSignalError, isJidoSignalError } from '../../errors/jido-signal.error.js';
import { toHttp } from '../../signal/serialization/http.js';
import {
  CLOUDEVENTS_BATCH_JSON,
  CLOUDEVENTS_JSON,
  stringifySignal,
} from '../../signal/serialization/json.serializer.js';
import type { Signal } from '../../signal/signal.js';
import { TelemetryChannel } from '../../telemetry/channels.js';
import { traceHttpSend } from '../../telemetry/otel/http-span.js';
import { tracingActive } from '../../telemetry/otel/otel-state.js';
import { emit, telemetryChannel } from '../../telemetry/telemetry.js';
import type {
  AdapterHealth,
  BatchDeliveryOutcome,
  DeliveryContext,
  DispatchAdapter,
} from '../adapter.interface.js';
import { DeadlineList, type Deadline } from '../deadlines.js';
import {
  deliveryAbortReason,
  isDeliveryAborted,
  watchDeliveryAbort,
} from '../delivery-controller.js';
import {
  CircuitBreaker,
  resolveCircuitBreakerSettings,
  type CircuitBreakerSettings,
  type CircuitSnapshot,
  type ResolvedCircuitBreakerSettings,
} from '../circuit-breaker.js';
import {
  backoffDelay,
  parseRetryAfter,
  resolveRetryPolicy,
  type RetryOptions,
  type RetryPolicy,
} from '../retry.js';
import {
  describeUrl,
  parseHttpUrl,
  redactHeaders,
  redactRemoteText,
  validateHeaders,
} from '../url.js';
import { integerInRange, rejectUnknownKeys } from './options.js';
import { resolveTlsOptions, summarizeTls, type HttpTlsOptions, type ResolvedTls } from './tls.js';

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

/** Message published on `TelemetryChannel.DispatchRetry` by the `http` and `webhook` adapters. */
export interface DispatchRetryMessage {
  /** Adapter name. */
  readonly adapter: string;
  /** Secret-free target description. */
  readonly target: string;
  /** Id of the signal being delivered. */
  readonly signalId: string;
  /** Type of the signal being delivered. */
  readonly signalType: string;
  /**
   * Signals in the request when it is a CloudEvents batch (`signalId`/`signalType` are the
   * first signal's).
   * @default undefined (a single signal)
   */
  readonly batchSize?: number;
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  /** Total attempts allowed. */
  readonly maxAttempts: number;
  /** Wait before the next attempt, in ms. */
  readonly delayMs: number;
  /** Why the attempt failed: the error code and, for HTTP status errors, the status. */
  readonly error: { readonly code: string; readonly status?: number };
}

/** Bytes of a non-2xx response body kept in `HttpStatusError.bodyExcerpt`. */
export const BODY_EXCERPT_BYTES = 512;
// Bytes read before redacting and cutting to BODY_EXCERPT_BYTES, so a secret that straddles
// the cut is still recognised whole.
const EXCERPT_SCAN_BYTES = 8 * BODY_EXCERPT_BYTES;
// Error bodies up to this size are read to the end so the connection can be reused.
const DRAIN_LIMIT = 64 * 1024;
const STRUCTURED_CONTENT_TYPE = `${CLOUDEVENTS_JSON}; charset=utf-8`;
/** `content-type` of a CloudEvents JSON batch request. @internal */
export const BATCH_CONTENT_TYPE = `${CLOUDEVENTS_BATCH_JSON}; charset=utf-8`;
const METHODS: Readonly<Record<string, HttpMethod>> = { post: 'POST', put: 'PUT', patch: 'PATCH' };
// TLS verification failures: retrying cannot help.
const TLS_ERROR_RE =
  /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;
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

const HTTP_KEYS: ReadonlySet<string> = new Set([
  'url',
  'method',
  'headers',
  'timeout',
  'retry',
  'circuitBreaker',
  'mode',
  'tls',
]);

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

/** One outgoing request, fully prepared. @internal */
export interface OutgoingRequest {
  readonly origin: string;
  readonly path: string;
  readonly target: string;
  readonly method: HttpMethod;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
  readonly timeout: number;
  readonly retry: RetryPolicy | false;
  readonly circuitBreaker: ResolvedCircuitBreakerSettings | false;
  readonly signal: Signal;
  /** Signals in the body when it is a CloudEvents batch (`signal` is the first). */
  readonly batchSize?: number;
  /** TLS settings: sent through a pool of their own. */
  readonly tls?: ResolvedTls;
}

/** Whether an error should count against a circuit: the target is down, slow or overloaded. */
export function isHttpCircuitFailure(error: unknown): boolean {
  if (!isJidoSignalError(error)) return false;
  switch (error.code) {
    case 'timeout':
    case 'connection_error':
      return true;
    case 'status_error':
      return error.retryable;
    default:
      return false;
  }
}

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 3 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function cancelledError(adapter: string, reason: unknown, target: string): JidoSignalError {
  if (reason instanceof JidoSignalError) return reason;
  return new DispatchError('cancelled', adapter, `${adapter} delivery to ${target} was cancelled`, {
    details: { target },
    cause: reason,
  });
}

function transportError(
  adapter: string,
  error: unknown,
  target: string,
  attempt: number,
): DispatchError {
  const code = errorCode(error);
  if (code === 'UND_ERR_INVALID_ARG') {
    return new DispatchError(
      'dispatch_error',
      adapter,
      `${adapter} request to ${target} was rejected by the HTTP client`,
      {
        details: { target, attempt, errno: code },
        cause: error,
      },
    );
  }
  const tls = code !== undefined && TLS_ERROR_RE.test(code);
  return new DispatchError(
    'connection_error',
    adapter,
    `${adapter} could not reach ${target} (${code ?? 'connection failed'})`,
    {
      details: { target, attempt, ...(code === undefined ? {} : { errno: code }) },
      cause: error,
      retryable: !tls,
    },
  );
}

const chRetry = telemetryChannel(TelemetryChannel.DispatchRetry);
// A 2xx body is drained up to this size to keep the connection; past it the connection is
// dropped instead (as undici's `body.dump()` does).
const SUCCESS_DRAIN_LIMIT = 128 * 1024;

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * Wait `ms` ms; rejects with a cancellation error as soon as the delivery aborts (the timer
 * is cleared, so nothing is left pending).
 */
function pause(
  ms: number,
  ctx: DeliveryContext,
  cancelled: (reason: unknown) => Error,
): Promise<void> {
  if (isDeliveryAborted(ctx)) return Promise.reject(cancelled(deliveryAbortReason(ctx)));
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      unwatch();
      resolve();
    }, ms);
    const unwatch = watchDeliveryAbort(ctx, (reason) => {
      clearTimeout(timer);
      reject(cancelled(reason));
    });
  });
}

/**
 * One attempt, as an undici dispatch handler. It replaces `request()` + `body.dump()`: no
 * `AsyncResource`, response stream or `AbortSignal` per request. The attempt's timeout is
 * an entry of a shared {@link DeadlineList}; the delivery's abort is watched with
 * `onAbort`. Either one settles the attempt at once and aborts the request through undici's
 * controller, which destroys its socket — or, while the request still waits for a pooled
 * connection, as soon as undici hands it one, before anything is written.
 *
 * Outcomes: a 2xx answer succeeds (its body is drained; an error, timeout or cancellation
 * while draining only drops the connection); any other status fails with an
 * `HttpStatusError` carrying the first {@link BODY_EXCERPT_BYTES} bytes of the body.
 */
class HttpAttempt implements Dispatcher.DispatchHandler {
  readonly #adapter: string;
  readonly #req: OutgoingRequest;
  readonly #attempt: number;
  readonly #resolve: () => void;
  readonly #reject: (error: JidoSignalError) => void;
  #controller: Dispatcher.DispatchController | undefined;
  /** Error to abort the request with once undici starts it (settled while queued). */
  #abortWith: Error | undefined;
  #status = 0;
  #retryAfter: string | string[] | undefined;
  #excerpt: Buffer[] | undefined;
  #kept = 0;
  #received = 0;
  #done = false;
  #deadline: Deadline | undefined;
  #unwatch: (() => void) | undefined;

  constructor(
    adapter: string,
    req: OutgoingRequest,
    attempt: number,
    resolve: () => void,
    reject: (error: JidoSignalError) => void,
  ) {
    this.#adapter = adapter;
    this.#req = req;
    this.#attempt = attempt;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(dispatcher: Dispatcher, deadlines: DeadlineList, ctx: DeliveryContext): void {
    const req = this.#req;
    this.#deadline = deadlines.add(this.#onTimeout);
    this.#unwatch = watchDeliveryAbort(ctx, this.#onCancel);
    try {
      dispatcher.dispatch(
        {
          origin: req.origin,
          path: req.path,
          method: req.method,
          headers: req.headers,
          body: req.body,
        },
        this,
      );
    } catch (error) {
      this.#fail(transportError(this.#adapter, error, req.target, this.#attempt));
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortWith !== undefined) controller.abort(this.#abortWith);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200 || this.#done) return; // 1xx informational
    this.#status = statusCode;
    if (!isSuccess(statusCode)) {
      this.#retryAfter = headers['retry-after'];
      this.#excerpt = [];
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#done) return;
    this.#received += chunk.length;
    if (this.#excerpt === undefined) {
      if (this.#received > SUCCESS_DRAIN_LIMIT) {
        this.#succeed();
        controller.abort(new Error('response body too large to drain'));
      }
      return;
    }
    if (this.#kept < EXCERPT_SCAN_BYTES) {
      const part = chunk.subarray(0, EXCERPT_SCAN_BYTES - this.#kept);
      this.#excerpt.push(Buffer.from(part));
      this.#kept += part.length;
    }
    if (this.#received > DRAIN_LIMIT) {
      const error = this.#statusError();
      this.#fail(error);
      controller.abort(error); // too long to drain: drop the connection
    }
  }

  onResponseEnd(): void {
    if (this.#done) return;
    if (isSuccess(this.#status)) this.#succeed();
    else this.#fail(this.#statusError());
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#done) return;
    // A broken body after a 2xx: the target accepted the request.
    if (isSuccess(this.#status)) this.#succeed();
    else this.#fail(transportError(this.#adapter, error, this.#req.target, this.#attempt));
  }

  readonly #onTimeout = (): void => {
    this.#deadline = undefined;
    const req = this.#req;
    this.#interrupt(
      new DispatchTimeoutError(this.#adapter, req.timeout, {
        target: req.target,
        attempt: this.#attempt,
      }),
    );
  };

  readonly #onCancel = (reason: unknown): void => {
    this.#unwatch = undefined;
    this.#interrupt(cancelledError(this.#adapter, reason, this.#req.target));
  };

  /** Timeout or cancellation: settle now and abort the request. */
  #interrupt(error: JidoSignalError): void {
    if (this.#done) return;
    if (isSuccess(this.#status)) this.#succeed();
    else this.#fail(error);
    if (this.#controller === undefined) this.#abortWith = error;
    else if (!this.#controller.aborted) this.#controller.abort(error);
  }

  #statusError(): HttpStatusError {
    const req = this.#req;
    const body = Buffer.concat(this.#excerpt ?? []).toString('utf8');
    // Servers often echo the request line or headers in error bodies: keep none of the
    // target's query values or credentials (the excerpt reaches errors and telemetry).
    const redacted = redactRemoteText(body, req.path, req.headers);
    const excerpt =
      redacted.length <= BODY_EXCERPT_BYTES / 4
        ? redacted
        : Buffer.from(redacted, 'utf8').subarray(0, BODY_EXCERPT_BYTES).toString('utf8');
    const retryAfter = parseRetryAfter(this.#retryAfter);
    return new HttpStatusError(this.#adapter, this.#status, excerpt, {
      target: req.target,
      attempt: this.#attempt,
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
    });
  }

  #cleanup(): void {
    this.#done = true;
    this.#deadline?.cancel();
    this.#deadline = undefined;
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#excerpt = undefined;
  }

  #succeed(): void {
    if (this.#done) return;
    this.#cleanup();
    this.#resolve();
  }

  #fail(error: JidoSignalError): void {
    if (this.#done) return;
    this.#cleanup();
    this.#reject(error);
  }
}

/**
 * The HTTP engine shared by the `http` and `webhook` adapters: an owned keep-alive undici
 * `Agent`, per-attempt timeouts, cancellation from the delivery context, retries with
 * exponential backoff and jitter, and one circuit per `<adapter>:<origin>`.
 * @internal
 */
export class HttpTransport {
  /** Circuits of this transport, keyed `<adapter>:<origin>`. */
  readonly circuitBreaker: CircuitBreaker;
  readonly #adapter: string;
  readonly #options: HttpAdapterOptions;
  /** Attempt timeouts by duration, one shared timer each. */
  readonly #deadlines = new Map<number, DeadlineList>();
  #agent: Agent | undefined;
  /** Pools of targets with TLS settings, by settings fingerprint. */
  readonly #tlsAgents = new Map<string, Agent>();

  constructor(adapter: string, options: HttpAdapterOptions = {}) {
    this.#adapter = adapter;
    if (options.connections !== undefined)
      integerInRange(adapter, 'connections', options.connections, 1, 100_000);
    if (options.keepAliveTimeout !== undefined)
      integerInRange(adapter, 'keepAliveTimeout', options.keepAliveTimeout, 1, 3_600_000);
    if (options.pipelining !== undefined)
      integerInRange(adapter, 'pipelining', options.pipelining, 1, 100);
    this.#options = options;
    this.circuitBreaker =
      options.circuitBreaker ??
      new CircuitBreaker({ name: adapter, isFailure: isHttpCircuitFailure });
  }

  /** The undici dispatcher requests go through (the owned `Agent` is created on first use). */
  get dispatcher(): Dispatcher {
    if (this.#options.dispatcher !== undefined) return this.#options.dispatcher;
    return (this.#agent ??= new Agent({
      connections: this.#options.connections ?? 64,
      keepAliveTimeout: this.#options.keepAliveTimeout ?? 4000,
      pipelining: this.#options.pipelining ?? 1,
    }));
  }

  /** Whether requests go through a dispatcher the adapter was given (not its own pool). */
  get hasCustomDispatcher(): boolean {
    return this.#options.dispatcher !== undefined;
  }

  /** The pool for `tls` settings (created on first use), or the default dispatcher. */
  dispatcherFor(tls: ResolvedTls | undefined): Dispatcher {
    if (tls === undefined) return this.dispatcher;
    let agent = this.#tlsAgents.get(tls.fingerprint);
    if (agent === undefined) {
      const c = tls.connect;
      agent = new Agent({
        connections: this.#options.connections ?? 64,
        keepAliveTimeout: this.#options.keepAliveTimeout ?? 4000,
        pipelining: this.#options.pipelining ?? 1,
        connect: {
          ...(c.ca === undefined ? {} : { ca: [...c.ca] }),
          ...(c.cert === undefined ? {} : { cert: c.cert, key: c.key }),
          ...(c.passphrase === undefined ? {} : { passphrase: c.passphrase }),
          rejectUnauthorized: c.rejectUnauthorized,
          ...(c.servername === undefined ? {} : { servername: c.servername }),
          ...(c.minVersion === undefined ? {} : { minVersion: c.minVersion }),
        },
      });
      this.#tlsAgents.set(tls.fingerprint, agent);
    }
    return agent;
  }

  /** Circuit key of an origin. */
  circuitKey(origin: string): string {
    return `${this.#adapter}:${origin}`;
  }

  /**
   * Send with retries and the circuit breaker.
   * @throws JidoSignalError (`HttpStatusError`, `DispatchTimeoutError`, `CircuitOpenError`,
   *   `DispatchError` with code `connection_error` or `cancelled`)
   */
  send(req: OutgoingRequest, ctx: DeliveryContext): Promise<void> {
    // OpenTelemetry client span + `traceparent` header: a symbol lookup when unused.
    if (tracingActive()) {
      return traceHttpSend(this.#adapter, req, (headers) =>
        this.#send({ ...req, headers: protectHeaders(headers) }, ctx),
      );
    }
    return this.#send(req, ctx);
  }

  async #send(req: OutgoingRequest, ctx: DeliveryContext): Promise<void> {
    const retry = req.retry;
    const maxAttempts = retry === false ? 1 : retry.maxAttempts;
    const key = req.circuitBreaker === false ? '' : this.circuitKey(req.origin);
    const cancelled = (reason: unknown): JidoSignalError =>
      cancelledError(this.#adapter, reason, req.target);
    for (let attempt = 1; ; attempt++) {
      if (isDeliveryAborted(ctx)) throw cancelled(deliveryAbortReason(ctx));
      let error: JidoSignalError;
      try {
        if (req.circuitBreaker === false) await this.#attempt(req, ctx, attempt);
        else
          await this.circuitBreaker.run(
            key,
            () => this.#attempt(req, ctx, attempt),
            req.circuitBreaker,
          );
        return;
      } catch (e) {
        error = isJidoSignalError(e) ? e : transportError(this.#adapter, e, req.target, attempt);
      }
      if (
        retry === false ||
        attempt >= maxAttempts ||
        !error.retryable ||
        error.code === 'circuit_open' ||
        isDeliveryAborted(ctx)
      ) {
        throw error;
      }
      let delay = backoffDelay(retry, attempt);
      const retryAfter = error instanceof HttpStatusError ? error.details.retryAfterMs : undefined;
      if (typeof retryAfter === 'number') {
        // The target asked for more patience than the policy allows: give up now rather
        // than retry early against its wishes.
        if (retryAfter > retry.maxDelay) throw error;
        delay = Math.max(delay, retryAfter);
      }
      emit(chRetry, (): DispatchRetryMessage => ({
        adapter: this.#adapter,
        target: req.target,
        signalId: req.signal.id,
        signalType: req.signal.type,
        ...(req.batchSize === undefined ? {} : { batchSize: req.batchSize }),
        attempt,
        maxAttempts,
        delayMs: delay,
        error:
          error instanceof HttpStatusError
            ? { code: error.code, status: error.status }
            : { code: error.code },
      }));
      await pause(delay, ctx, cancelled);
    }
  }

  #attempt(req: OutgoingRequest, ctx: DeliveryContext, attempt: number): Promise<void> {
    let deadlines = this.#deadlines.get(req.timeout);
    if (deadlines === undefined) {
      deadlines = new DeadlineList(req.timeout);
      this.#deadlines.set(req.timeout, deadlines);
    }
    const list = deadlines;
    return new Promise<void>((resolve, reject) => {
      new HttpAttempt(this.#adapter, req, attempt, resolve, reject).start(
        req.tls === undefined ? this.dispatcher : this.dispatcherFor(req.tls),
        list,
        ctx,
      );
    });
  }

  /**
   * Reachability probe: a `HEAD` request without caller headers and outside the circuit.
   * Any answer below 500 counts as healthy (a 404 or 405 still proves the server is up).
   */
  async probe(
    origin: string,
    path: string,
    target: string,
    timeout: number,
    circuit?: CircuitSnapshot,
    tls?: ResolvedTls,
  ): Promise<AdapterHealth> {
    const circuitDetails = circuit === undefined ? {} : { circuit: circuit.state };
    if (circuit?.state === 'open') {
      return {
        healthy: false,
        details: {
          target,
          ...circuitDetails,
          ...(circuit.retryAt === undefined
            ? {}
            : { retryAt: new Date(circuit.retryAt).toISOString() }),
        },
      };
    }
    const started = performance.now();
    try {
      const res = await this.dispatcherFor(tls).request({
        origin,
        path,
        method: 'HEAD',
        signal: AbortSignal.timeout(timeout),
      });
      await res.body.dump();
      const latencyMs = Math.round(performance.now() - started);
      return {
        healthy: res.statusCode < 500,
        details: { target, status: res.statusCode, latencyMs, ...circuitDetails },
      };
    } catch (error) {
      const code = errorCode(error);
      return {
        healthy: false,
        details: {
          target,
          error: code ?? (error instanceof Error ? error.name : 'error'),
          ...circuitDetails,
        },
      };
    }
  }

  /** Close the owned `Agent` (waits for in-flight requests); a later send opens a new one. */
  async close(): Promise<void> {
    const agents = [...this.#tlsAgents.values()];
    this.#tlsAgents.clear();
    if (this.#agent !== undefined) agents.push(this.#agent);
    this.#agent = undefined;
    await Promise.all(agents.map((agent) => agent.close()));
  }
}

/**
 * Delivers signals as HTTP requests (the `http` dispatch adapter), with undici 7 over an
 * owned keep-alive connection pool.
 *
 * - Body: the CloudEvents JSON envelope (`mode: 'structured'`, default) or CloudEvents
 *   binary mode (`mode: 'binary'`).
 * - Success: any 2xx. Redirects are not followed (a 3xx is an error).
 * - Failures are typed: `HttpStatusError` (code `status_error`, with `status` and a
 *   512-byte `bodyExcerpt` in which the target's query values and credential header values
 *   are replaced by `[REDACTED]`), `DispatchTimeoutError` (`timeout`), `DispatchError` with code
 *   `connection_error` or `cancelled`, `CircuitOpenError` (`circuit_open`).
 * - Retries: timeouts, connection errors (except TLS verification failures), 408, 425, 429
 *   and 5xx are retried with exponential backoff and jitter; `Retry-After` is honoured up to
 *   `retry.maxDelay` (a longer one ends the retries). Each retry publishes on
 *   `TelemetryChannel.DispatchRetry` ({@link DispatchRetryMessage}).
 * - Circuit breaker: one circuit per target origin (`http:<origin>`); every attempt goes
 *   through it, and an open circuit stops the retries.
 * - Cancellation: aborting the delivery (the dispatcher's timeout, `dispatchAsync().cancel()`,
 *   a call's `AbortSignal`, or `ctx.signal` of a hand-built context) aborts the in-flight
 *   request — its socket is destroyed synchronously — and any backoff wait (code
 *   `cancelled`, or the abort reason when it is a library error). The adapter listens with
 *   `ctx.onAbort` when the context has it, so no `AbortSignal` is created per delivery.
 *
 * @example
 * await dispatcher.dispatch(signal, {
 *   adapter: 'http',
 *   url: 'https://api.example.com/events',
 *   headers: { authorization: `Bearer ${token}` },
 *   retry: { maxAttempts: 5 },
 * });
 */
export class HttpAdapter implements DispatchAdapter<HttpOptions> {
  /** @inheritdoc */
  readonly name: string = 'http';
  readonly #transport: HttpTransport;

  /** @throws DispatchConfigError for out-of-range pool options */
  constructor(options: HttpAdapterOptions = {}) {
    this.#transport = new HttpTransport('http', options);
  }

  /** The circuits of this adapter, keyed `http:<origin>` (for health checks and manual resets). */
  get circuitBreaker(): CircuitBreaker {
    return this.#transport.circuitBreaker;
  }

  /**
   * Validate and normalize {@link HttpDispatchOptions}. Messages name the field and never
   * repeat the URL or header values.
   * @throws DispatchConfigError
   */
  validateOptions(options: Readonly<Record<string, unknown>>): HttpOptions {
    rejectUnknownKeys(this.name, options, HTTP_KEYS);
    const url = parseHttpUrl(this.name, 'url', options.url);
    const common = resolveCommonHttpOptions(this.name, options);
    let mode: HttpContentMode = 'structured';
    if (options.mode !== undefined) {
      if (options.mode !== 'structured' && options.mode !== 'binary') {
        throw new DispatchConfigError(this.name, 'mode', '"mode" must be "structured" or "binary"');
      }
      mode = options.mode;
    }
    const headers =
      mode === 'structured'
        ? { 'content-type': STRUCTURED_CONTENT_TYPE, ...common.headers }
        : common.headers;
    const target = describeUrl(url);
    const tls = resolveTlsOptions(
      this.name,
      options.tls,
      [url],
      this.#transport.hasCustomDispatcher,
    );
    const protectedHeaders = protectHeaders(headers);
    return protectOptions(
      {
        ...(tls === undefined ? {} : { tls }),
        url: url.href,
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        target,
        method: common.method,
        headers: protectedHeaders,
        timeout: common.timeout,
        retry: common.retry,
        circuitBreaker: common.circuitBreaker,
        mode,
      },
      () => ({
        target,
        method: common.method,
        headers: redactHeaders(protectedHeaders),
        timeout: common.timeout,
        retry: common.retry,
        circuitBreaker: common.circuitBreaker,
        mode,
        ...(tls === undefined ? {} : { tls: summarizeTls(tls) }),
      }),
    );
  }

  /**
   * Send `signal`; resolves on a 2xx answer (never throws synchronously).
   * @throws JidoSignalError (as a rejection) see the class description
   */
  deliver(signal: Signal, options: HttpOptions, context: DeliveryContext): Promise<void> {
    let headers = options.headers;
    let body: string | Uint8Array;
    try {
      if (options.mode === 'binary') {
        const encoded = toHttp(signal, 'binary');
        headers = { ...options.headers, ...encoded.headers };
        body = encoded.body;
      } else {
        body = stringifySignal(signal);
      }
    } catch (error) {
      return Promise.reject(toDispatchError(error, this.name));
    }
    return this.#transport.send(
      {
        origin: options.origin,
        path: options.path,
        target: options.target,
        method: options.method,
        headers,
        body,
        timeout: options.timeout,
        retry: options.retry,
        circuitBreaker: options.circuitBreaker,
        signal,
        tls: options.tls,
      },
      context,
    );
  }

  /**
   * Send `signals` as one CloudEvents JSON batch request (`content-type:
   * application/cloudevents-batch+json; charset=utf-8`, body: the array of envelopes), with
   * the target's retries and circuit breaker applied to the whole batch; resolves on a 2xx
   * answer. Binary mode cannot carry a batch: each signal is then sent on its own (in
   * parallel) and the outcome is reported per signal.
   * @throws JidoSignalError (as a rejection) for the whole batch, see the class description
   */
  deliverBatch(
    signals: readonly Signal[],
    options: HttpOptions,
    context: DeliveryContext,
  ): Promise<BatchDeliveryOutcome> {
    if (options.mode === 'binary') {
      return Promise.all(
        signals.map((signal) =>
          this.deliver(signal, options, context).then(
            () => undefined,
            (error: unknown) => error,
          ),
        ),
      );
    }
    if (signals.length === 0) return Promise.resolve();
    let body: string;
    try {
      body = stringifySignal(signals);
    } catch (error) {
      return Promise.reject(toDispatchError(error, this.name));
    }
    return this.#transport.send(
      {
        origin: options.origin,
        path: options.path,
        target: options.target,
        method: options.method,
        headers: { ...options.headers, 'content-type': BATCH_CONTENT_TYPE },
        body,
        timeout: options.timeout,
        retry: options.retry,
        circuitBreaker: options.circuitBreaker,
        signal: signals[0],
        batchSize: signals.length,
        tls: options.tls,
      },
      context,
    );
  }

  /**
   * Unhealthy while the target's circuit is open; otherwise a `HEAD` probe (any answer
   * below 500 is healthy). Details: `target`, `status`, `latencyMs`, `circuit`.
   */
  healthCheck(options: HttpOptions): Promise<AdapterHealth> {
    const circuit =
      options.circuitBreaker === false
        ? undefined
        : this.#transport.circuitBreaker.snapshot(this.#transport.circuitKey(options.origin));
    return this.#transport.probe(
      options.origin,
      options.path,
      options.target,
      options.timeout,
      circuit,
      options.tls,
    );
  }

  /** `scheme://host[:port]/path` — no credentials, query or fragment. */
  describeTarget(options: HttpOptions): string {
    return options.target;
  }

  /** Close the owned connection pool (in-flight requests finish first). */
  close(): Promise<void> {
    return this.#transport.close();
  }
}
