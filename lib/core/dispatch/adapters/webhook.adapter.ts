// The `webhook` dispatch adapter: delivers signed requests (Standard Webhooks or jido
// signatures) to one or several endpoints through the shared transport of the `http` adapter;
// its options are validated by `webhook-options.ts`.
import { createHash } from 'node:crypto';
import {
  DispatchError,
  WebhookDeliveryError,
  toDispatchError,
  type EndpointFailure,
} from '../../errors/dispatch.error.js';
import { isJidoSignalError } from '../../errors/jido-signal.error.js';
import { stringifySignal } from '../../signal/serialization/json.serializer.js';
import type { Signal } from '../../signal/signal.js';
import type {
  AdapterHealth,
  BatchDeliveryOutcome,
  DeliveryContext,
  DispatchAdapter,
} from '../adapter.interface.js';
import { deliveryAbortReason, isDeliveryAborted } from '../delivery-controller.js';
import { isValidHeaderValue } from '../url.js';
import {
  STANDARD_WEBHOOK_HEADERS,
  jidoWebhookSignature,
  standardWebhookSignature,
} from '../webhook-signature.js';
import { BATCH_CONTENT_TYPE, type HttpAdapterOptions } from './http-options.js';
import { HttpTransportAdapter } from './http-transport-adapter.js';
import {
  resolveWebhookOptions,
  type WebhookEndpoint,
  type WebhookOptions,
} from './webhook-options.js';

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
    return resolveWebhookOptions(this.name, options, this.hasCustomDispatcher);
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
