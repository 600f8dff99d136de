// The `webhook` dispatch adapter: validates `webhook` targets and delivers signed requests
// (Standard Webhooks or jido signatures) to one or several endpoints through the shared
// transport of the `http` adapter.
import { createHash, type KeyObject } from 'node:crypto';
import {
  DispatchConfigError,
  DispatchError,
  WebhookDeliveryError,
  toDispatchError,
  type EndpointFailure,
} from '../../errors/dispatch.error.js';
import { isJidoSignalError } from '../../errors/jido-signal.error.js';
import { CLOUDEVENTS_JSON, stringifySignal } from '../../signal/serialization/json.serializer.js';
import type { Signal } from '../../signal/signal.js';
import type {
  AdapterHealth,
  BatchDeliveryOutcome,
  DeliveryContext,
  DispatchAdapter,
} from '../adapter.interface.js';
import { deliveryAbortReason, isDeliveryAborted } from '../delivery-controller.js';
import type { CircuitBreakerSettings, ResolvedCircuitBreakerSettings } from '../circuit-breaker.js';
import type { RetryOptions, RetryPolicy } from '../retry.js';
import { describeUrl, isValidHeaderName, isValidHeaderValue, parseHttpUrl } from '../url.js';
import {
  JIDO_WEBHOOK_HEADERS,
  STANDARD_WEBHOOK_HEADERS,
  jidoWebhookSignature,
  standardWebhookSignature,
  webhookKey,
  type WebhookSignatureScheme,
} from '../webhook-signature.js';
import {
  BATCH_CONTENT_TYPE,
  protectHeaders,
  protectOptions,
  resolveCommonHttpOptions,
  type HttpAdapterOptions,
  type HttpHeadersInit,
  type HttpMethod,
} from './http-options.js';
import { HttpTransportAdapter, safeSettingsView, safeTlsView } from './http-transport-adapter.js';
import { rejectUnknownKeys } from './options.js';
import { resolveTlsOptions, type HttpTlsOptions, type ResolvedTls } from './tls.js';

/**
 * Options of a `webhook` dispatch target, as written in a dispatch config:
 * `{ adapter: 'webhook', url: 'https://merchant.example.com/hooks', secret: 'whsec_…' }`.
 * Give exactly one of `url` and `urls`.
 */
export interface WebhookDispatchOptions {
  /** Endpoint URL (absolute http/https, no credentials). @default undefined */
  url?: string;
  /** Several endpoints; each receives the same signed request and all must succeed. @default undefined */
  urls?: readonly string[];
  /**
   * Signing secret: `whsec_<base64>` (Standard Webhooks) or any other string, used as raw
   * UTF-8 key bytes (jido_signal). Several secrets (rotation) produce one `v1,` signature
   * each with `'standard-webhooks'`; the `'jido'` scheme takes one. Without a secret the
   * request is sent unsigned (timestamp and id headers only).
   * @default undefined
   */
  secret?: string | readonly string[];
  /** Signature scheme. @default 'standard-webhooks' */
  signatureScheme?: WebhookSignatureScheme;
  /** Signature header name (`'jido'` scheme only). @default 'x-webhook-signature' */
  signatureHeader?: string;
  /** Timestamp header name (`'jido'` scheme only). @default 'x-webhook-timestamp' */
  timestampHeader?: string;
  /** Header carrying the event name (both schemes). @default 'x-webhook-event' */
  eventTypeHeader?: string;
  /** Signal type → event name sent in `eventTypeHeader` (unmapped types are sent as is). @default {} */
  eventTypeMap?: Readonly<Record<string, string>>;
  /** With `urls`: send to every endpoint at once (`true`) or one after another. @default true */
  parallel?: boolean;
  /** HTTP method (case-insensitive). @default 'post' */
  method?: 'post' | 'put' | 'patch' | HttpMethod;
  /** Extra headers; the signature, timestamp, id and event headers cannot be overridden. @default {} */
  headers?: HttpHeadersInit;
  /** Timeout of each attempt, in ms, 1..60 000. @default 5000 */
  timeout?: number;
  /** Retry policy per endpoint, or `false`. @default { maxAttempts: 3, baseDelay: 200, maxDelay: 5000, jitter: true } */
  retry?: RetryOptions | false;
  /** Circuit breaker thresholds per endpoint origin, or `false`. @default { threshold: 5, windowMs: 10_000, halfOpenAfter: 30_000 } */
  circuitBreaker?: CircuitBreakerSettings | false;
  /**
   * TLS settings for every endpoint (`https:` only): private CA, client certificate for
   * mutual TLS, SNI… Secrets in it never reach errors or telemetry.
   * @default undefined (Node's defaults: bundled root CAs, verification on)
   */
  tls?: HttpTlsOptions;
}

/** One normalized webhook endpoint. */
export interface WebhookEndpoint {
  /** `scheme://host:port`. */
  readonly origin: string;
  /** Path and query. */
  readonly path: string;
  /** Secret-free description: `scheme://host[:port]/path`. */
  readonly target: string;
}

/** Normalized `webhook` options, as returned by {@link WebhookAdapter.validateOptions}. */
export interface WebhookOptions {
  /** Endpoints, in order. */
  readonly endpoints: readonly WebhookEndpoint[];
  /** Upper-case method. */
  readonly method: HttpMethod;
  /** Caller headers plus `content-type`, without the reserved webhook headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Per-attempt timeout in ms. */
  readonly timeout: number;
  /** Retry policy, or `false`. */
  readonly retry: RetryPolicy | false;
  /** Circuit breaker thresholds, or `false`. */
  readonly circuitBreaker: ResolvedCircuitBreakerSettings | false;
  /** Signature scheme. */
  readonly signatureScheme: WebhookSignatureScheme;
  /** HMAC keys (`KeyObject`s never print or serialize their bytes); empty = unsigned. */
  readonly keys: readonly KeyObject[];
  /** Signature header (`webhook-signature` or the jido header). */
  readonly signatureHeader: string;
  /** Timestamp header. */
  readonly timestampHeader: string;
  /** Event name header. */
  readonly eventTypeHeader: string;
  /** Signal type → event name. */
  readonly eventTypeMap: Readonly<Record<string, string>>;
  /** Send to several endpoints concurrently. */
  readonly parallel: boolean;
  /** TLS settings (printed as a secret-free summary). */
  readonly tls?: ResolvedTls;
}

const CONTENT_TYPE = `${CLOUDEVENTS_JSON}; charset=utf-8`;
const WEBHOOK_KEYS: ReadonlySet<string> = new Set([
  'url',
  'urls',
  'secret',
  'signatureScheme',
  'signatureHeader',
  'timestampHeader',
  'eventTypeHeader',
  'eventTypeMap',
  'parallel',
  'method',
  'headers',
  'timeout',
  'retry',
  'circuitBreaker',
  'tls',
]);

/**
 * `webhook-id` of a batch: `batch_` + base64url SHA-256 of the signal ids (first 24
 * characters) — the same signals in the same order give the same id, so receivers can
 * de-duplicate a redelivered batch.
 */
function batchWebhookId(signals: readonly Signal[]): string {
  const hash = createHash('sha256');
  for (const s of signals) hash.update(s.id).update('\n');
  return `batch_${hash.digest('base64url').slice(0, 24)}`;
}

function headerNameOption(
  adapter: string,
  field: string,
  value: unknown,
  fallback: string,
): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !isValidHeaderName(value)) {
    throw new DispatchConfigError(
      adapter,
      field,
      `"${field}" must be a valid header name (RFC 7230 token)`,
    );
  }
  return value.toLowerCase();
}

/**
 * Delivers signals as signed webhooks (the `webhook` dispatch adapter): the `http`
 * adapter's transport (keep-alive pool, timeouts, retries, per-origin circuit breakers,
 * cancellation, typed errors) plus request signing.
 *
 * - `'standard-webhooks'` (default): `webhook-id` = the signal id (stable across retries and
 *   redeliveries — receivers de-duplicate on it), `webhook-timestamp` (unix seconds) and
 *   `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`.
 * - `'jido'`: `x-webhook-timestamp` and `x-webhook-signature` = lowercase hex HMAC-SHA256
 *   of `"<timestamp>.<body>"` (header names configurable).
 * - Both: the event name (`eventTypeMap[signal.type] ?? signal.type`) in `x-webhook-event`;
 *   the body is the CloudEvents JSON envelope.
 *
 * Body, timestamp and signature are computed once per delivery, so retries resend the
 * same bytes. With `urls`, every endpoint gets the same request; the delivery succeeds
 * only if all do, otherwise a `WebhookDeliveryError` lists each failed endpoint.
 * Verify on the receiving side with `verifyWebhook`.
 *
 * @example
 * await dispatcher.dispatch(signal, {
 *   adapter: 'webhook',
 *   url: 'https://merchant.example.com/hooks',
 *   secret: process.env.WEBHOOK_SECRET, // 'whsec_…'
 * });
 */
export class WebhookAdapter
  extends HttpTransportAdapter
  implements DispatchAdapter<WebhookOptions>
{
  /** @inheritdoc */
  readonly name: string = 'webhook';

  /** @throws DispatchConfigError for out-of-range pool options */
  constructor(options: HttpAdapterOptions = {}) {
    super('webhook', options);
  }

  /**
   * Validate and normalize {@link WebhookDispatchOptions}. Messages never contain URLs,
   * header values or secrets.
   * @throws DispatchConfigError
   */
  validateOptions(options: Readonly<Record<string, unknown>>): WebhookOptions {
    const adapter = this.name;
    rejectUnknownKeys(adapter, options, WEBHOOK_KEYS);
    if ((options.url === undefined) === (options.urls === undefined)) {
      throw new DispatchConfigError(adapter, 'url', 'give exactly one of "url" and "urls"');
    }
    let urls: URL[];
    if (options.url !== undefined) {
      urls = [parseHttpUrl(adapter, 'url', options.url)];
    } else {
      if (!Array.isArray(options.urls) || options.urls.length === 0) {
        throw new DispatchConfigError(adapter, 'urls', '"urls" must be a non-empty array of URLs');
      }
      urls = (options.urls as unknown[]).map((u, i) => parseHttpUrl(adapter, `urls[${i}]`, u));
    }
    const common = resolveCommonHttpOptions(adapter, options);

    const scheme = options.signatureScheme ?? 'standard-webhooks';
    if (scheme !== 'standard-webhooks' && scheme !== 'jido') {
      throw new DispatchConfigError(
        adapter,
        'signatureScheme',
        '"signatureScheme" must be "standard-webhooks" or "jido"',
      );
    }
    let signatureHeader: string;
    let timestampHeader: string;
    let idHeader: string | undefined;
    if (scheme === 'jido') {
      signatureHeader = headerNameOption(
        adapter,
        'signatureHeader',
        options.signatureHeader,
        JIDO_WEBHOOK_HEADERS.signature,
      );
      timestampHeader = headerNameOption(
        adapter,
        'timestampHeader',
        options.timestampHeader,
        JIDO_WEBHOOK_HEADERS.timestamp,
      );
    } else {
      for (const field of ['signatureHeader', 'timestampHeader'] as const) {
        if (options[field] !== undefined) {
          throw new DispatchConfigError(
            adapter,
            field,
            `"${field}" applies to the jido scheme only`,
          );
        }
      }
      signatureHeader = STANDARD_WEBHOOK_HEADERS.signature;
      timestampHeader = STANDARD_WEBHOOK_HEADERS.timestamp;
      idHeader = STANDARD_WEBHOOK_HEADERS.id;
    }
    const eventTypeHeader = headerNameOption(
      adapter,
      'eventTypeHeader',
      options.eventTypeHeader,
      JIDO_WEBHOOK_HEADERS.event,
    );
    const named: [string, string][] = [
      ['signatureHeader', signatureHeader],
      ['timestampHeader', timestampHeader],
      ...(idHeader === undefined ? [] : [['webhook-id', idHeader] as [string, string]]),
      ['eventTypeHeader', eventTypeHeader],
    ];
    const reserved = named.map(([, h]) => h);
    named.forEach(([field, header], i) => {
      if (reserved.indexOf(header) !== i) {
        throw new DispatchConfigError(
          adapter,
          field,
          `"${field}" must differ from the other webhook header names (signature, timestamp, id, event)`,
        );
      }
    });

    let keys: KeyObject[] = [];
    if (options.secret !== undefined) {
      const secrets: unknown[] = Array.isArray(options.secret)
        ? (options.secret as unknown[])
        : [options.secret];
      if (secrets.length === 0)
        throw new DispatchConfigError(adapter, 'secret', '"secret" must not be an empty list');
      if (scheme === 'jido' && secrets.length > 1) {
        throw new DispatchConfigError(
          adapter,
          'secret',
          'the jido scheme signs with exactly one secret',
        );
      }
      keys = secrets.map((s, i) =>
        webhookKey(s, adapter, secrets.length === 1 ? 'secret' : `secret[${i}]`),
      );
    }

    const eventTypeMap: Record<string, string> = Object.create(null) as Record<string, string>;
    if (options.eventTypeMap !== undefined) {
      const map = options.eventTypeMap;
      if (typeof map !== 'object' || map === null || Array.isArray(map)) {
        throw new DispatchConfigError(
          adapter,
          'eventTypeMap',
          '"eventTypeMap" must be an object of signal type → event name',
        );
      }
      for (const [type, name] of Object.entries(map)) {
        if (typeof name !== 'string' || name.length === 0 || !isValidHeaderValue(name)) {
          throw new DispatchConfigError(
            adapter,
            `eventTypeMap.${type}`,
            `"eventTypeMap.${type}" must be a non-empty string without CR, LF or control characters`,
          );
        }
        eventTypeMap[type] = name;
      }
    }

    if (options.parallel !== undefined && typeof options.parallel !== 'boolean') {
      throw new DispatchConfigError(adapter, 'parallel', '"parallel" must be a boolean');
    }

    // Generated headers win: drop caller headers with a reserved name (as jido_signal does).
    const headers: Record<string, string> = { 'content-type': CONTENT_TYPE };
    for (const [name, value] of Object.entries(common.headers)) {
      if (!reserved.includes(name)) headers[name] = value;
    }

    const endpoints = Object.freeze(
      urls.map((u) =>
        Object.freeze({
          origin: u.origin,
          path: `${u.pathname}${u.search}`,
          target: describeUrl(u),
        }),
      ),
    );
    const tls = resolveTlsOptions(adapter, options.tls, urls, this.hasCustomDispatcher);
    const settings = { ...common, headers: protectHeaders(headers) };
    const safeView = (): Record<string, unknown> => ({
      targets: endpoints.map((e) => e.target),
      ...safeSettingsView(settings),
      signatureScheme: scheme,
      signed: keys.length > 0,
      parallel: options.parallel ?? true,
      ...safeTlsView(tls),
    });
    return protectOptions(
      {
        ...(tls === undefined ? {} : { tls }),
        endpoints,
        method: settings.method,
        headers: settings.headers,
        timeout: settings.timeout,
        retry: settings.retry,
        circuitBreaker: settings.circuitBreaker,
        signatureScheme: scheme,
        keys: Object.freeze(keys),
        signatureHeader,
        timestampHeader,
        eventTypeHeader,
        eventTypeMap: Object.freeze(eventTypeMap),
        parallel: options.parallel ?? true,
      },
      safeView,
    );
  }

  /**
   * Sign and send `signal` to every endpoint (never throws synchronously).
   * @throws JidoSignalError (as a rejection) — with one endpoint, that endpoint's error (`HttpStatusError`,
   *   `DispatchTimeoutError`, `CircuitOpenError`, `DispatchError`); with several, a
   *   `WebhookDeliveryError` listing the failed ones (or the cancellation error)
   */
  deliver(signal: Signal, options: WebhookOptions, context: DeliveryContext): Promise<void> {
    let body: string;
    let headers: Record<string, string>;
    try {
      body = stringifySignal(signal);
      headers = this.#signedHeaders(signal.id, signal.type, body, options);
    } catch (error) {
      return Promise.reject(toDispatchError(error, this.name));
    }
    return this.#send(body, headers, signal, undefined, options, context);
  }

  /**
   * Sign and send `signals` as one CloudEvents JSON batch request per endpoint
   * (`content-type: application/cloudevents-batch+json; charset=utf-8`). The signature
   * covers the batch body; `webhook-id` (Standard Webhooks) is `batch_` plus a digest of the
   * signal ids, so a batch resent with the same signals has the same id; the event-type
   * header carries the (mapped) type when every signal has the same one and is left out
   * for mixed batches. Retries and the circuit breaker apply to the whole batch.
   * @throws JidoSignalError (as a rejection) for the whole batch, as {@link WebhookAdapter.deliver}
   */
  deliverBatch(
    signals: readonly Signal[],
    options: WebhookOptions,
    context: DeliveryContext,
  ): Promise<BatchDeliveryOutcome> {
    if (signals.length === 0) return Promise.resolve();
    let body: string;
    let headers: Record<string, string>;
    try {
      body = stringifySignal(signals);
      const type = signals[0].type;
      const uniform = signals.every((s) => s.type === type);
      headers = this.#signedHeaders(batchWebhookId(signals), uniform ? type : undefined, body, {
        ...options,
        headers: { ...options.headers, 'content-type': BATCH_CONTENT_TYPE },
      });
    } catch (error) {
      return Promise.reject(toDispatchError(error, this.name));
    }
    return this.#send(body, headers, signals[0], signals.length, options, context);
  }

  #send(
    body: string,
    headers: Record<string, string>,
    signal: Signal,
    batchSize: number | undefined,
    options: WebhookOptions,
    context: DeliveryContext,
  ): Promise<void> {
    const endpoints = options.endpoints;
    const send = (e: WebhookEndpoint): Promise<void> =>
      this.sendTo(e, options, headers, body, signal, batchSize, context);
    if (endpoints.length === 1) return send(endpoints[0]);
    return this.#deliverAll(endpoints, options.parallel, send, context);
  }

  async #deliverAll(
    endpoints: readonly WebhookEndpoint[],
    parallel: boolean,
    send: (e: WebhookEndpoint) => Promise<void>,
    context: DeliveryContext,
  ): Promise<void> {
    const failures: EndpointFailure[] = [];
    const record = (e: WebhookEndpoint, error: unknown): void => {
      failures.push({
        target: e.target,
        error: isJidoSignalError(error)
          ? error
          : new DispatchError(
              'dispatch_error',
              this.name,
              `${this.name} delivery to ${e.target} failed`,
              { cause: error },
            ),
      });
    };
    if (parallel) {
      const results = await Promise.allSettled(endpoints.map(send));
      results.forEach((r, i) => {
        if (r.status === 'rejected') record(endpoints[i], r.reason);
      });
    } else {
      // Every endpoint is attempted even after a failure, so one bad receiver does not
      // starve the others.
      for (const e of endpoints) {
        try {
          await send(e);
        } catch (error) {
          record(e, error);
        }
      }
    }
    if (failures.length === 0) return;
    if (isDeliveryAborted(context)) {
      const reason = deliveryAbortReason(context);
      const cancelled = failures.find((f) => f.error.code === 'cancelled' || f.error === reason);
      if (cancelled !== undefined) throw cancelled.error;
    }
    throw new WebhookDeliveryError(this.name, failures, endpoints.length);
  }

  #signedHeaders(
    id: string,
    type: string | undefined,
    body: string,
    options: WebhookOptions,
  ): Record<string, string> {
    const eventType = type === undefined ? undefined : (options.eventTypeMap[type] ?? type);
    if (eventType !== undefined && !isValidHeaderValue(eventType)) {
      throw new DispatchError(
        'dispatch_error',
        this.name,
        'The signal type is not a valid header value; map it with "eventTypeMap"',
        {
          details: { reason: 'invalid_event_type' },
        },
      );
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = { ...options.headers };
    if (eventType !== undefined) headers[options.eventTypeHeader] = eventType;
    headers[options.timestampHeader] = String(timestamp);
    if (options.signatureScheme === 'jido') {
      if (options.keys.length > 0)
        headers[options.signatureHeader] = jidoWebhookSignature(options.keys[0], timestamp, body);
      return headers;
    }
    if (!isValidHeaderValue(id)) {
      throw new DispatchError(
        'dispatch_error',
        this.name,
        'The signal id is not a valid header value for webhook-id',
        {
          details: { reason: 'invalid_webhook_id' },
        },
      );
    }
    headers[STANDARD_WEBHOOK_HEADERS.id] = id;
    if (options.keys.length === 1) {
      headers[options.signatureHeader] =
        `v1,${standardWebhookSignature(options.keys[0], id, timestamp, body)}`;
    } else if (options.keys.length > 1) {
      headers[options.signatureHeader] = options.keys
        .map((k) => `v1,${standardWebhookSignature(k, id, timestamp, body)}`)
        .join(' ');
    }
    return headers;
  }

  /** Healthy when every endpoint is (see `HttpAdapter.healthCheck`); details per endpoint. */
  async healthCheck(options: WebhookOptions): Promise<AdapterHealth> {
    const results = await Promise.all(options.endpoints.map((e) => this.probe(e, options)));
    if (results.length === 1) return results[0];
    return {
      healthy: results.every((r) => r.healthy),
      details: { endpoints: results.map((r) => ({ healthy: r.healthy, ...r.details })) },
    };
  }

  /** The endpoints as `scheme://host[:port]/path`, comma-separated. */
  describeTarget(options: WebhookOptions): string {
    return options.endpoints.map((e) => e.target).join(', ');
  }
}
