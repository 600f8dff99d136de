// The base class of the `http` and `webhook` adapters: it owns their `HttpTransport` and does
// what both do with it — build and send a request to one endpoint, probe an endpoint for a
// health check, redact the settings both share, expose the circuits and close the pools.
import type { Signal } from '../../signal/signal.js';
import type { AdapterHealth, DeliveryContext } from '../adapter.interface.js';
import type { CircuitBreaker, ResolvedCircuitBreakerSettings } from '../circuit-breaker.js';
import type { RetryPolicy } from '../retry.js';
import { redactHeaders } from '../url.js';
import type { OutgoingRequest } from './http-attempt.js';
import type { HttpAdapterOptions, HttpMethod } from './http-options.js';
import { HttpTransport } from './http-transport.js';
import { summarizeTls, type ResolvedTls } from './tls.js';

/** Where one request goes: an endpoint of an `http` or `webhook` target. @internal */
export interface HttpEndpointAddress {
  /** `scheme://host:port`. */
  readonly origin: string;
  /** Path and query. */
  readonly path: string;
  /** Secret-free description: `scheme://host[:port]/path`. */
  readonly target: string;
}

/** The normalized settings every request of an `http` or `webhook` target carries. @internal */
export interface HttpTargetSettings {
  readonly method: HttpMethod;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeout: number;
  readonly retry: RetryPolicy | false;
  readonly circuitBreaker: ResolvedCircuitBreakerSettings | false;
  readonly tls?: ResolvedTls;
}

/**
 * The secret-free view of the shared settings (headers redacted, TLS summarized), for the
 * `toJSON`/`util.inspect` view of normalized options.
 * @internal
 */
export function safeSettingsView(settings: HttpTargetSettings): Record<string, unknown> {
  return {
    method: settings.method,
    headers: redactHeaders(settings.headers),
    timeout: settings.timeout,
    retry: settings.retry,
    circuitBreaker: settings.circuitBreaker,
  };
}

/** The secret-free TLS summary of `tls`, as an object to spread into a safe view. @internal */
export function safeTlsView(tls: ResolvedTls | undefined): Record<string, unknown> {
  return tls === undefined ? {} : { tls: summarizeTls(tls) };
}

/**
 * What the `http` and `webhook` adapters share: their transport (keep-alive pool, timeouts,
 * retries, per-origin circuit breakers, cancellation, typed errors). Exported as a type only
 * (the base of {@link HttpAdapter} and {@link WebhookAdapter}); not meant to be extended.
 */
export abstract class HttpTransportAdapter {
  readonly #transport: HttpTransport;

  /** @throws DispatchConfigError for out-of-range pool options */
  constructor(adapter: string, options: HttpAdapterOptions = {}) {
    this.#transport = new HttpTransport(adapter, options);
  }

  /**
   * The circuits of this adapter, keyed `<adapter>:<origin>` — `http:<origin>`,
   * `webhook:<origin>` (for health checks and manual resets).
   */
  get circuitBreaker(): CircuitBreaker {
    return this.#transport.circuitBreaker;
  }

  /** Whether requests go through a dispatcher the adapter was given (not its own pool). */
  protected get hasCustomDispatcher(): boolean {
    return this.#transport.hasCustomDispatcher;
  }

  /**
   * Send one prepared body to `endpoint` with the target's settings, retries and circuit.
   * `batchSize` marks a CloudEvents batch (`signal` is then its first signal).
   */
  protected sendTo(
    endpoint: HttpEndpointAddress,
    settings: HttpTargetSettings,
    headers: Readonly<Record<string, string>>,
    body: string | Uint8Array,
    signal: Signal,
    batchSize: number | undefined,
    context: DeliveryContext,
  ): Promise<void> {
    const req: { -readonly [K in keyof OutgoingRequest]: OutgoingRequest[K] } = {
      origin: endpoint.origin,
      path: endpoint.path,
      target: endpoint.target,
      method: settings.method,
      headers,
      body,
      timeout: settings.timeout,
      retry: settings.retry,
      circuitBreaker: settings.circuitBreaker,
      signal,
      tls: settings.tls,
    };
    if (batchSize !== undefined) req.batchSize = batchSize;
    return this.#transport.send(req, context);
  }

  /**
   * Unhealthy while the endpoint's circuit is open; otherwise a `HEAD` probe (any answer
   * below 500 is healthy).
   */
  protected probe(
    endpoint: HttpEndpointAddress,
    settings: HttpTargetSettings,
  ): Promise<AdapterHealth> {
    const transport = this.#transport;
    return transport.probe(
      endpoint.origin,
      endpoint.path,
      endpoint.target,
      settings.timeout,
      settings.circuitBreaker === false
        ? undefined
        : transport.circuitBreaker.snapshot(transport.circuitKey(endpoint.origin)),
      settings.tls,
    );
  }

  /** Close the owned connection pool (in-flight requests finish first). */
  close(): Promise<void> {
    return this.#transport.close();
  }
}
