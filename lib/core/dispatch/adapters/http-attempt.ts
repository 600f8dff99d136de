// One HTTP request attempt of the `http` and `webhook` adapters, as an undici dispatch
// handler: sending, the attempt's timeout and cancellation, draining the response and turning
// a non-2xx answer into an `HttpStatusError` with a redacted body excerpt.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { DispatchTimeoutError, HttpStatusError } from '../../errors/dispatch.error.js';
import type { JidoSignalError } from '../../errors/jido-signal.error.js';
import type { Signal } from '../../signal/signal.js';
import type { DeliveryContext } from '../adapter.interface.js';
import type { ResolvedCircuitBreakerSettings } from '../circuit-breaker.js';
import type { Deadline, DeadlineList } from '../deadlines.js';
import { watchDeliveryAbort } from '../delivery-controller.js';
import { parseRetryAfter, type RetryPolicy } from '../retry.js';
import { redactRemoteText } from '../url.js';
import { cancelledError, transportError } from './http-failures.js';
import type { HttpMethod } from './http-options.js';
import type { ResolvedTls } from './tls.js';

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

/** Bytes of a non-2xx response body kept in `HttpStatusError.bodyExcerpt`. */
export const BODY_EXCERPT_BYTES = 512;
// Bytes read before redacting and cutting to BODY_EXCERPT_BYTES, so a secret that straddles
// the cut is still recognised whole.
const EXCERPT_SCAN_BYTES = 8 * BODY_EXCERPT_BYTES;
// Error bodies up to this size are read to the end so the connection can be reused.
const DRAIN_LIMIT = 64 * 1024;
// A 2xx body is drained up to this size to keep the connection; past it the connection is
// dropped instead (as undici's `body.dump()` does).
const SUCCESS_DRAIN_LIMIT = 128 * 1024;

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
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
 * @internal
 */
export class HttpAttempt implements Dispatcher.DispatchHandler {
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
    const redacted = redactRemoteText(body, req.path, req.headers, this.#received > this.#kept);
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
