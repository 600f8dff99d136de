// The `http` dispatch adapter: validates `http` targets and delivers signals (one, or a
// CloudEvents batch) as HTTP requests through the shared transport of `http-transport.ts`.
import { DispatchConfigError, toDispatchError } from '../../errors/dispatch.error.js';
import { toHttp } from '../../signal/serialization/http.js';
import { stringifySignal } from '../../signal/serialization/json.serializer.js';
import type { Signal } from '../../signal/signal.js';
import type {
  AdapterHealth,
  BatchDeliveryOutcome,
  DeliveryContext,
  DispatchAdapter,
} from '../adapter.interface.js';
import { describeUrl, parseHttpUrl } from '../url.js';
import {
  BATCH_CONTENT_TYPE,
  STRUCTURED_CONTENT_TYPE,
  protectHeaders,
  protectOptions,
  resolveCommonHttpOptions,
  type HttpAdapterOptions,
  type HttpContentMode,
  type HttpOptions,
} from './http-options.js';
import { HttpTransportAdapter, safeSettingsView, safeTlsView } from './http-transport-adapter.js';
import { rejectUnknownKeys } from './options.js';
import { resolveTlsOptions } from './tls.js';

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
export class HttpAdapter extends HttpTransportAdapter implements DispatchAdapter<HttpOptions> {
  /** @inheritdoc */
  readonly name: string = 'http';

  /** @throws DispatchConfigError for out-of-range pool options */
  constructor(options: HttpAdapterOptions = {}) {
    super('http', options);
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
    const tls = resolveTlsOptions(this.name, options.tls, [url], this.hasCustomDispatcher);
    const settings = { ...common, headers: protectHeaders(headers) };
    return protectOptions(
      {
        ...(tls === undefined ? {} : { tls }),
        url: url.href,
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        target,
        method: settings.method,
        headers: settings.headers,
        timeout: settings.timeout,
        retry: settings.retry,
        circuitBreaker: settings.circuitBreaker,
        mode,
      },
      () => ({ target, ...safeSettingsView(settings), mode, ...safeTlsView(tls) }),
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
    return this.sendTo(options, options, headers, body, signal, undefined, context);
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
    const headers = { ...options.headers, 'content-type': BATCH_CONTENT_TYPE };
    return this.sendTo(options, options, headers, body, signals[0], signals.length, context);
  }

  /**
   * Unhealthy while the target's circuit is open; otherwise a `HEAD` probe (any answer
   * below 500 is healthy). Details: `target`, `status`, `latencyMs`, `circuit`.
   */
  healthCheck(options: HttpOptions): Promise<AdapterHealth> {
    return this.probe(options, options);
  }

  /** `scheme://host[:port]/path` — no credentials, query or fragment. */
  describeTarget(options: HttpOptions): string {
    return options.target;
  }
}
