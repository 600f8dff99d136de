import {
  circuitBreaker as cockatielCircuitBreaker,
  CircuitState,
  handleWhen,
  isBrokenCircuitError,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBreaker,
  type IHalfOpenAfterBackoffContext,
} from 'cockatiel';
import { CircuitOpenError, DispatchConfigError } from '../errors/dispatch.error.js';
import { isJidoSignalError } from '../errors/jido-signal.error.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { emit, telemetryChannel } from '../telemetry/telemetry.js';
import { integerInRange } from './adapters/options.js';

/** Per-circuit thresholds (the `circuitBreaker` option of the `http` and `webhook` adapters). */
export interface CircuitBreakerSettings {
  /** Failures within `windowMs` that open the circuit, 1..1000. @default 5 */
  threshold?: number;
  /** Sliding window in which failures are counted, in ms, 1..3 600 000. @default 10_000 */
  windowMs?: number;
  /** Time an open circuit waits before letting one probe call through, in ms, 1..3 600 000. @default 30_000 */
  halfOpenAfter?: number;
}

/** A fully resolved {@link CircuitBreakerSettings}. */
export interface ResolvedCircuitBreakerSettings {
  /** Failures within the window that open the circuit. */
  readonly threshold: number;
  /** Sliding window, in ms. */
  readonly windowMs: number;
  /** Open time before a probe, in ms. */
  readonly halfOpenAfter: number;
}

/** Options of a {@link CircuitBreaker}. */
export interface CircuitBreakerOptions extends CircuitBreakerSettings {
  /**
   * Which errors count as failures. Others (e.g. an HTTP 400: the target answered) pass
   * through without touching the circuit.
   * @default every error except cancellations (`code: 'cancelled'`), `CircuitOpenError` and
   *   non-retryable HTTP status errors (`status_error`, a 4xx other than 408, 425 and 429)
   */
  isFailure?: (error: unknown) => boolean;
  /** Name put in `CircuitOpenError.adapter` and telemetry messages. @default 'circuit' */
  name?: string;
}

/** Circuit states, as reported by {@link CircuitBreaker.state}. */
export type CircuitStateName = 'closed' | 'open' | 'half_open';

/** A point-in-time view of one circuit (for health checks). */
export interface CircuitSnapshot {
  /** Circuit key, e.g. `http:https://api.example.com`. */
  readonly key: string;
  /** Current state. */
  readonly state: CircuitStateName;
  /** Failures counted in the current window. */
  readonly failures: number;
  /** When the circuit last opened (epoch ms), if it is open or half-open. */
  readonly openedAt?: number;
  /** Earliest time a probe is let through (epoch ms), if it is open. */
  readonly retryAt?: number;
}

/** Telemetry message of the `jido.dispatch.circuit.*` channels. */
export interface CircuitTelemetryMessage {
  /** Breaker name (the adapter). */
  readonly adapter: string;
  /** Circuit key. */
  readonly key: string;
  /** State after the event. */
  readonly state: CircuitStateName;
  /** Failures in the window when the circuit opened (or, for `CircuitFailure`, now). */
  readonly failures?: number;
  /** `code` (or `name`) of the error that opened the circuit (or failed); never its message. */
  readonly error?: string;
}

/** The defaults, as jido_signal: 5 failures within 10 s open the circuit, a probe after 30 s. */
export const DEFAULT_CIRCUIT_BREAKER_SETTINGS: ResolvedCircuitBreakerSettings = Object.freeze({
  threshold: 5,
  windowMs: 10_000,
  halfOpenAfter: 30_000,
});

/**
 * Validate the `circuitBreaker` option: `false` (no breaker), `undefined`/`true` (the
 * defaults) or partial {@link CircuitBreakerSettings}.
 * @throws DispatchConfigError
 */
export function resolveCircuitBreakerSettings(
  adapter: string,
  value: unknown,
): ResolvedCircuitBreakerSettings | false {
  if (value === false) return false;
  if (value === undefined || value === true) return DEFAULT_CIRCUIT_BREAKER_SETTINGS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DispatchConfigError(
      adapter,
      'circuitBreaker',
      '"circuitBreaker" must be false or an object',
    );
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (key !== 'threshold' && key !== 'windowMs' && key !== 'halfOpenAfter') {
      throw new DispatchConfigError(
        adapter,
        `circuitBreaker.${key}`,
        `"circuitBreaker.${key}" is not a circuit breaker option`,
      );
    }
  }
  const d = DEFAULT_CIRCUIT_BREAKER_SETTINGS;
  return Object.freeze({
    threshold:
      v.threshold === undefined
        ? d.threshold
        : integerInRange(adapter, 'circuitBreaker.threshold', v.threshold, 1, 1000),
    windowMs:
      v.windowMs === undefined
        ? d.windowMs
        : integerInRange(adapter, 'circuitBreaker.windowMs', v.windowMs, 1, 3_600_000),
    halfOpenAfter:
      v.halfOpenAfter === undefined
        ? d.halfOpenAfter
        : integerInRange(adapter, 'circuitBreaker.halfOpenAfter', v.halfOpenAfter, 1, 3_600_000),
  });
}

/**
 * cockatiel breaker with jido's (`:fuse` standard) semantics: the circuit opens when
 * `threshold` failures happened within the last `windowMs`. Successes while closed do not
 * reset the count (failures simply age out); a successful half-open probe clears it.
 */
export class WindowBreaker implements IBreaker {
  /** Timestamps (epoch ms) of the failures still inside the window, oldest first. */
  #failures: number[] = [];

  /**
   * @param threshold failures within the window that open the circuit
   * @param windowMs window length in ms
   */
  constructor(
    public threshold: number,
    public windowMs: number,
  ) {}

  /** Serializable state (cockatiel's `toJSON`/`initialState`): the failure timestamps. */
  get state(): unknown {
    return [...this.#failures];
  }

  set state(value: unknown) {
    this.#failures = Array.isArray(value)
      ? value.filter((v): v is number => typeof v === 'number')
      : [];
  }

  /** Failures inside the window right now. */
  count(now: number = Date.now()): number {
    this.#prune(now);
    return this.#failures.length;
  }

  /** @inheritdoc */
  success(state: CircuitState): void {
    if (state === CircuitState.HalfOpen) this.#failures = [];
  }

  /** @inheritdoc */
  failure(state: CircuitState): boolean {
    const now = Date.now();
    if (state === CircuitState.HalfOpen) {
      // A failed probe re-opens the circuit regardless; start the next window afresh.
      this.#failures = [now];
      return true;
    }
    this.#failures.push(now);
    this.#prune(now);
    return this.#failures.length >= this.threshold;
  }

  /** Clear the failure history. */
  clear(): void {
    this.#failures = [];
  }

  #prune(now: number): void {
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < this.#failures.length && this.#failures[drop] <= cutoff) drop++;
    if (drop > 0) this.#failures.splice(0, drop);
    // Only the last `threshold` failures can matter.
    if (this.#failures.length > this.threshold)
      this.#failures.splice(0, this.#failures.length - this.threshold);
  }
}

interface Circuit {
  readonly policy: CircuitBreakerPolicy;
  readonly breaker: WindowBreaker;
  halfOpenAfter: number;
  openedAt: number | undefined;
  retryAt: number | undefined;
}

const STATE_NAMES: Readonly<Record<CircuitState, CircuitStateName>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'open',
};

function isCancellation(error: unknown): boolean {
  if (isJidoSignalError(error, 'cancelled')) return true;
  // DOMException may come from another realm, so no `instanceof Error` here.
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return e.name === 'AbortError' || e.code === 'ABORT_ERR';
}

function defaultIsFailure(error: unknown): boolean {
  if (isCancellation(error) || error instanceof CircuitOpenError) return false;
  // The target answered (an HTTP 4xx other than 408, 425, 429): it is up.
  return !(isJidoSignalError(error, 'status_error') && !error.retryable);
}

function errorTag(error: unknown): string | undefined {
  if (isJidoSignalError(error)) return error.code;
  if (error instanceof Error)
    return typeof (error as { code?: unknown }).code === 'string'
      ? String((error as { code?: unknown }).code)
      : error.name;
  return undefined;
}

const chOpen = telemetryChannel(TelemetryChannel.CircuitOpen);
const chHalfOpen = telemetryChannel(TelemetryChannel.CircuitHalfOpen);
const chClose = telemetryChannel(TelemetryChannel.CircuitClose);
const chRejected = telemetryChannel(TelemetryChannel.CircuitRejected);
const chFailure = telemetryChannel(TelemetryChannel.CircuitFailure);

/**
 * A set of circuit breakers, one per key (the `http` and `webhook` adapters use
 * `http:<origin>` / `webhook:<origin>`), built on cockatiel's `circuitBreaker` with a
 * {@link WindowBreaker}.
 *
 * States: **closed** (calls run; failures are counted) → **open** once `threshold` failures
 * fall within `windowMs` (calls are rejected with a `CircuitOpenError` without running) →
 * **half-open** when the first call arrives `halfOpenAfter` ms later: that call runs as a
 * probe while concurrent calls are still rejected → **closed** if the probe succeeds (or
 * fails with a non-failure error such as an HTTP 4xx: the target answered), **open** again
 * if it fails or is cancelled.
 *
 * Publishes on `TelemetryChannel.CircuitOpen`, `CircuitHalfOpen`, `CircuitClose`,
 * `CircuitRejected` and `CircuitFailure` ({@link CircuitTelemetryMessage}).
 *
 * @example
 * const breaker = new CircuitBreaker({ threshold: 3, windowMs: 5_000, halfOpenAfter: 10_000 });
 * await breaker.run('payments', () => callPaymentService());
 * breaker.state('payments'); // 'closed' | 'open' | 'half_open'
 */
export class CircuitBreaker {
  /** Breaker name used in errors and telemetry. */
  readonly name: string;
  readonly #defaults: ResolvedCircuitBreakerSettings;
  readonly #isFailure: (error: unknown) => boolean;
  readonly #circuits = new Map<string, Circuit>();

  /** @throws DispatchConfigError for out-of-range settings */
  constructor(options: CircuitBreakerOptions = {}) {
    this.name = options.name ?? 'circuit';
    const { isFailure, name: _name, ...settings } = options;
    const resolved = resolveCircuitBreakerSettings(this.name, settings);
    this.#defaults = resolved === false ? DEFAULT_CIRCUIT_BREAKER_SETTINGS : resolved;
    this.#isFailure = isFailure ?? defaultIsFailure;
  }

  /**
   * Run `fn` through the circuit `key`.
   * @param settings thresholds for this circuit; the latest call's settings win for a
   *   shared key. @default the breaker's own settings
   * @throws CircuitOpenError (code `'circuit_open'`) when the circuit is open or a probe is
   *   in flight — `fn` is not called; otherwise whatever `fn` throws
   */
  async run<T>(
    key: string,
    fn: () => PromiseLike<T> | T,
    settings?: ResolvedCircuitBreakerSettings,
  ): Promise<T> {
    const circuit = this.#circuit(key, settings ?? this.#defaults);
    const state = circuit.policy.state;
    if (
      state === CircuitState.HalfOpen ||
      (state === CircuitState.Open && Date.now() < (circuit.retryAt ?? 0))
    ) {
      throw this.#reject(key, circuit);
    }
    try {
      return await circuit.policy.execute(() => fn());
    } catch (error) {
      if (isBrokenCircuitError(error)) throw this.#reject(key, circuit);
      // jido_signal's `melt`: one event per failure the circuit counted.
      if (chFailure.hasSubscribers && this.#isFailure(error)) {
        const code = errorTag(error);
        chFailure.publish({
          adapter: this.name,
          key,
          state: STATE_NAMES[circuit.policy.state],
          failures: circuit.breaker.count(),
          ...(code === undefined ? {} : { error: code }),
        } satisfies CircuitTelemetryMessage);
      }
      throw error;
    }
  }

  /** The state of circuit `key` (`'closed'` for a key never used). */
  state(key: string): CircuitStateName {
    const circuit = this.#circuits.get(key);
    return circuit === undefined ? 'closed' : STATE_NAMES[circuit.policy.state];
  }

  /** A snapshot of circuit `key`. */
  snapshot(key: string): CircuitSnapshot {
    const circuit = this.#circuits.get(key);
    if (circuit === undefined) return { key, state: 'closed', failures: 0 };
    const state = STATE_NAMES[circuit.policy.state];
    return {
      key,
      state,
      failures: circuit.breaker.count(),
      ...(state !== 'closed' && circuit.openedAt !== undefined
        ? { openedAt: circuit.openedAt }
        : {}),
      ...(state === 'open' && circuit.retryAt !== undefined ? { retryAt: circuit.retryAt } : {}),
    };
  }

  /** Snapshots of every circuit this breaker has seen (for health checks), by key. */
  states(): CircuitSnapshot[] {
    return [...this.#circuits.keys()].map((key) => this.snapshot(key));
  }

  /**
   * Force circuit `key` closed and forget its failures (every circuit when `key` is
   * omitted). Publishes `CircuitClose` for circuits that were not closed.
   */
  reset(key?: string): void {
    const keys = key === undefined ? [...this.#circuits.keys()] : [key];
    for (const k of keys) {
      const circuit = this.#circuits.get(k);
      if (circuit === undefined) continue;
      this.#circuits.delete(k);
      if (circuit.policy.state !== CircuitState.Closed) {
        emit(chClose, (): CircuitTelemetryMessage => ({
          adapter: this.name,
          key: k,
          state: 'closed',
        }));
      }
    }
  }

  #reject(key: string, circuit: Circuit): CircuitOpenError {
    const state = STATE_NAMES[circuit.policy.state];
    emit(chRejected, (): CircuitTelemetryMessage => ({ adapter: this.name, key, state }));
    return new CircuitOpenError(this.name, key, {
      state,
      ...(circuit.retryAt !== undefined && state === 'open'
        ? { retryAt: new Date(circuit.retryAt).toISOString() }
        : {}),
    });
  }

  #circuit(key: string, settings: ResolvedCircuitBreakerSettings): Circuit {
    const existing = this.#circuits.get(key);
    if (existing !== undefined) {
      if (existing.breaker.threshold !== settings.threshold)
        existing.breaker.threshold = settings.threshold;
      if (existing.breaker.windowMs !== settings.windowMs)
        existing.breaker.windowMs = settings.windowMs;
      existing.halfOpenAfter = settings.halfOpenAfter;
      return existing;
    }
    const breaker = new WindowBreaker(settings.threshold, settings.windowMs);
    // Read at each opening, so a changed `halfOpenAfter` applies to the next opening.
    const halfOpenAfter = {
      next: (): IBackoff<IHalfOpenAfterBackoffContext> => {
        const backoff = { duration: circuit.halfOpenAfter, next: () => halfOpenAfter.next() };
        return backoff;
      },
    };
    const isFailure = this.#isFailure;
    const policy = cockatielCircuitBreaker(
      // A cancelled probe proves nothing: treat it as a failure so the circuit re-opens
      // instead of closing on no evidence.
      handleWhen(
        (error) =>
          isFailure(error) || (policy.state === CircuitState.HalfOpen && isCancellation(error)),
      ),
      { breaker, halfOpenAfter },
    );
    const circuit: Circuit = {
      policy,
      breaker,
      halfOpenAfter: settings.halfOpenAfter,
      openedAt: undefined,
      retryAt: undefined,
    };
    policy.onBreak((reason) => {
      const now = Date.now();
      circuit.openedAt = now;
      circuit.retryAt = now + circuit.halfOpenAfter;
      const error = 'error' in reason ? errorTag(reason.error) : undefined;
      emit(chOpen, (): CircuitTelemetryMessage => ({
        adapter: this.name,
        key,
        state: 'open',
        failures: breaker.count(now),
        ...(error === undefined ? {} : { error }),
      }));
    });
    policy.onHalfOpen(() => {
      emit(chHalfOpen, (): CircuitTelemetryMessage => ({
        adapter: this.name,
        key,
        state: 'half_open',
      }));
    });
    policy.onReset(() => {
      circuit.openedAt = undefined;
      circuit.retryAt = undefined;
      emit(chClose, (): CircuitTelemetryMessage => ({ adapter: this.name, key, state: 'closed' }));
    });
    this.#circuits.set(key, circuit);
    return circuit;
  }
}
