// Options of the `webhook` adapter: the target options as written in a dispatch config, their
// normalized form, and their validation (endpoints, signature scheme and headers, secrets,
// event names, the settings shared with the `http` adapter).
import type { KeyObject } from 'node:crypto';
import { DispatchConfigError } from '../../errors/dispatch.error.js';
import type { CircuitBreakerSettings, ResolvedCircuitBreakerSettings } from '../circuit-breaker.js';
import type { RetryOptions, RetryPolicy } from '../retry.js';
import { describeUrl, isValidHeaderName, isValidHeaderValue, parseHttpUrl } from '../url.js';
import {
  JIDO_WEBHOOK_HEADERS,
  STANDARD_WEBHOOK_HEADERS,
  webhookKey,
  type WebhookSignatureScheme,
} from '../webhook-signature.js';
import {
  STRUCTURED_CONTENT_TYPE,
  protectHeaders,
  protectOptions,
  resolveCommonHttpOptions,
  type HttpHeadersInit,
  type HttpMethod,
} from './http-options.js';
import { safeSettingsView, safeTlsView } from './http-transport-adapter.js';
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
 * Validate and normalize {@link WebhookDispatchOptions}. Messages never contain URLs,
 * header values or secrets.
 * @param hasCustomDispatcher whether the adapter sends through a dispatcher it was given
 *   (TLS settings then cannot apply)
 * @throws DispatchConfigError
 * @internal
 */
export function resolveWebhookOptions(
  adapter: string,
  options: Readonly<Record<string, unknown>>,
  hasCustomDispatcher: boolean,
): WebhookOptions {
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
        throw new DispatchConfigError(adapter, field, `"${field}" applies to the jido scheme only`);
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
  const headers: Record<string, string> = { 'content-type': STRUCTURED_CONTENT_TYPE };
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
  const tls = resolveTlsOptions(adapter, options.tls, urls, hasCustomDispatcher);
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
