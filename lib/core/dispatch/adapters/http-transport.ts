// The HTTP engine of the `http` and `webhook` adapters: connection pools (one per TLS
// setting), the retry loop with backoff, `Retry-After` and the retry telemetry, the circuit
// breaker around each attempt, and the reachability probe behind health checks.
import { Agent, type Dispatcher } from 'undici';
import { HttpStatusError } from '../../errors/dispatch.error.js';
import { isJidoSignalError, type JidoSignalError } from '../../errors/jido-signal.error.js';
import { TelemetryChannel } from '../../telemetry/channels.js';
import { traceHttpSend } from '../../telemetry/otel/http-span.js';
import { tracingActive } from '../../telemetry/otel/otel-state.js';
import { emit, telemetryChannel } from '../../telemetry/telemetry.js';
import type { AdapterHealth, DeliveryContext } from '../adapter.interface.js';
import { CircuitBreaker, type CircuitSnapshot } from '../circuit-breaker.js';
import { DeadlineList } from '../deadlines.js';
import {
  deliveryAbortReason,
  isDeliveryAborted,
  watchDeliveryAbort,
} from '../delivery-controller.js';
import { backoffDelay } from '../retry.js';
import { HttpAttempt, type OutgoingRequest } from './http-attempt.js';
import {
  cancelledError,
  errorCode,
  isHttpCircuitFailure,
  transportError,
} from './http-failures.js';
import { protectHeaders, type HttpAdapterOptions } from './http-options.js';
import { integerInRange } from './options.js';
import type { ResolvedTls } from './tls.js';
import { timerDelay } from '../../util/timer-delay.js';

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

const chRetry = telemetryChannel(TelemetryChannel.DispatchRetry);

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
    }, timerDelay(ms));
    const unwatch = watchDeliveryAbort(ctx, (reason) => {
      clearTimeout(timer);
      reject(cancelled(reason));
    });
  });
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
