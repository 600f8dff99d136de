import { Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { SignalBusRegistry } from '../core/bus/bus-registry.js';
import type { SignalBus } from '../core/bus/signal-bus.js';
import type { CircuitBreaker } from '../core/dispatch/circuit-breaker.js';
import type { DispatchConfig } from '../core/dispatch/adapter.interface.js';
import type { Dispatcher } from '../core/dispatch/dispatcher.js';
import { describeThrown, isJidoSignalError } from '../core/errors/jido-signal.error.js';
import type { SignalStore } from '../core/store/signal-store.interface.js';

/** Options of {@link SignalHealthIndicator.checkStore}. */
export interface StoreHealthOptions {
  /** Report down when the store does not answer within this many ms. @default 1000 */
  timeout?: number;
}

/** Options of {@link SignalHealthIndicator.checkBus} and {@link SignalHealthIndicator.checkBuses}. */
export interface BusHealthOptions {
  /**
   * Longest each store call (`ping`, `dlqSize`, `size`) may take, in ms; a store that does
   * not answer in time is down.
   * @default 1000
   */
  timeout?: number;
  /**
   * Most dead-lettered signals (`store.dlqSize(bus.name)`, every subscription of the bus)
   * before the bus is unhealthy (`down`, or `degraded` with `degradeOnly`). The depth is
   * always reported in the data. When not given, any dead-lettered signal makes the bus
   * `degraded` (never `down`: the check stays successful); Terminus 11, which has no
   * `degraded`, then reports `up` with the problem listed.
   * @default 0, reported as degraded
   */
  maxDlqDepth?: number;
  /**
   * Most open circuits of `breaker` before the bus is unhealthy. Only with `breaker`.
   * @default 0
   */
  maxOpenCircuits?: number;
  /**
   * Circuit breaker whose open circuits count against `maxOpenCircuits` (e.g. the one of
   * the `http`/`webhook` adapters you configured).
   * @default undefined (circuits not checked)
   */
  breaker?: CircuitBreaker;
  /**
   * Dispatcher that runs the adapter health checks of `targets`.
   * @default the bus's dispatcher
   */
  dispatcher?: Dispatcher;
  /**
   * Dispatch targets whose adapter health check must pass (`dispatcher.healthCheck`);
   * an unhealthy or invalid target makes the bus unhealthy like a threshold.
   * @default []
   */
  targets?: readonly DispatchConfig[];
  /**
   * Report an exceeded threshold (DLQ depth, open circuits, unhealthy target) as
   * `degraded` instead of `down`: the overall check stays successful (HTTP 200). Needs
   * Terminus 12 (`HealthIndicatorSession.degraded`); on Terminus 11 it is `down`. A closed
   * bus or an unreachable store is always `down`.
   * @default false
   */
  degradeOnly?: boolean;
}

/** One subscription in the data of {@link SignalHealthIndicator.checkBus}. */
export interface BusHealthSubscription {
  /** Subscription id. */
  readonly id: string;
  /** Pattern. */
  readonly pattern: string;
  /** `'ordinary'` or `'stream'`. */
  readonly kind: string;
  /** Whether it is persistent. */
  readonly persistent: boolean;
  /** Secret-free receiver description (`handler Class.method` for an `@OnSignal` method). */
  readonly target: string;
  /** Successful deliveries (absent when the stats could not be read). */
  readonly delivered?: number;
  /** Failed deliveries (absent when the stats could not be read). */
  readonly failed?: number;
  /** Deliveries in flight (absent when the stats could not be read). */
  readonly inFlight?: number;
  /** Signals waiting for delivery or a retry (persistent subscriptions only). */
  readonly pending?: number;
  /** Signals acked (persistent subscriptions only). */
  readonly acked?: number;
  /** Retries scheduled (persistent subscriptions only). */
  readonly retried?: number;
  /** Signals dead-lettered (persistent subscriptions only). */
  readonly deadLettered?: number;
}

/** Health of one dispatch target in the data of the checks. */
export interface TargetHealth {
  /** Adapter name (`'unknown'` for an invalid config). */
  readonly adapter: string;
  /** Secret-free description of the target. */
  readonly target: string;
  /** Whether the check passed. */
  readonly healthy: boolean;
  /** What the adapter reported. */
  readonly details?: Readonly<Record<string, unknown>>;
}

type HealthStatus = 'up' | 'degraded' | 'down';

/** A bus's health; `soft` when only the default DLQ check degraded it. */
interface BusHealth {
  readonly status: HealthStatus;
  readonly soft: boolean;
  readonly data: Record<string, unknown>;
}

/** Terminus 12 has `degraded`; Terminus 11 does not. */
type Session = ReturnType<HealthIndicatorService['check']>;
type MaybeDegraded = {
  degraded?: (data: Record<string, unknown>) => HealthIndicatorResult;
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeError(error: unknown): Record<string, unknown> {
  if (isJidoSignalError(error)) return { code: error.code, message: error.message };
  return { message: describeThrown(error) };
}

/**
 * Terminus health checks for the signal layer (Terminus 11+ `HealthIndicatorService` style):
 * whole buses (running, store reachable, DLQ depth, open circuits, adapter health,
 * subscriptions), store reachability, open circuits and dispatch target health. Register it
 * as a provider next to `TerminusModule` and call it from your own `/health` controller.
 * With `JidoSignalModule` in the application it also finds every bus itself
 * ({@link SignalHealthIndicator.checkBuses}); without it the other checks work on
 * instances you pass.
 *
 * @example
 * @Get('health') @HealthCheck()
 * check() {
 *   return this.health.check([
 *     () => this.signals.checkStore('signal-store', this.store),
 *     () => this.signals.checkCircuits('webhooks', this.breaker),
 *   ]);
 * }
 */
@Injectable()
export class SignalHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Optional() private readonly registry?: SignalBusRegistry,
  ) {}

  /** Up when `store.ping()` resolves in time. */
  async checkStore(
    key: string,
    store: SignalStore,
    options: StoreHealthOptions = {},
  ): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    const started = performance.now();
    try {
      await withTimeout(store.ping(), options.timeout ?? 1000);
      return indicator.up({ latencyMs: Math.round(performance.now() - started) });
    } catch (error) {
      return indicator.down(describeError(error));
    }
  }

  /** Down while any circuit is open; lists open and half-open circuits by key. */
  checkCircuits(key: string, breaker: CircuitBreaker): HealthIndicatorResult {
    const indicator = this.health.check(key);
    const states = breaker.states();
    const open = states.filter((s) => s.state === 'open').map((s) => s.key);
    const halfOpen = states.filter((s) => s.state === 'half_open').map((s) => s.key);
    const data = { circuits: states.length, open, halfOpen };
    return open.length > 0 ? indicator.down(data) : indicator.up(data);
  }

  /**
   * Runs every target's adapter health check (credentials never appear: targets are
   * described by the adapter). Down when any target is unhealthy.
   */
  async checkDispatchTargets(
    key: string,
    dispatcher: Dispatcher,
    targets: readonly DispatchConfig[],
  ): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    const results = await checkTargets(dispatcher, targets);
    const data = { targets: results };
    return results.every((r) => r.healthy) ? indicator.up(data) : indicator.down(data);
  }

  /**
   * Health of one bus. `down` when the bus is closed or its store does not answer
   * `ping()` within `timeout`; `down` — or `degraded` with `degradeOnly` (Terminus 12) —
   * when the DLQ depth exceeds an explicit `maxDlqDepth`, more than `maxOpenCircuits`
   * circuits of `breaker` are open, or a `targets` health check fails; `degraded` when
   * `maxDlqDepth` is not given and the DLQ is not empty; else `up`. The data lists
   * `problems`, `dlqDepth`, `logSize`, `published`, the subscriptions (ids, patterns, kinds,
   * counters, persistent counters), the open circuits and the target health.
   */
  async checkBus(
    key: string,
    bus: SignalBus,
    options: BusHealthOptions = {},
  ): Promise<HealthIndicatorResult> {
    const { status, soft, data } = await this.#busHealth(bus, options);
    return this.#result(key, status, data, soft);
  }

  /**
   * Health of every bus of the application's `JidoSignalModule` (its `SignalBusRegistry`),
   * each checked as {@link checkBus} with the same options, under one key: the status is
   * the worst of the buses, the data has one entry per bus name. `down` with a message when
   * the indicator was created outside an application with `JidoSignalModule`.
   */
  async checkBuses(key: string, options: BusHealthOptions = {}): Promise<HealthIndicatorResult> {
    if (this.registry === undefined) {
      return this.health.check(key).down({
        message:
          'No SignalBusRegistry to inject: import JidoSignalModule.forRoot() in the application, or use checkBus(key, bus)',
      });
    }
    const buses = this.registry.list();
    const results = await Promise.all(buses.map((bus) => this.#busHealth(bus, options)));
    const rank: Record<HealthStatus, number> = { up: 0, degraded: 1, down: 2 };
    let status: HealthStatus = 'up';
    let soft = true;
    const data: Record<string, unknown> = {};
    results.forEach((r, i) => {
      if (rank[r.status] > rank[status]) status = r.status;
      if (r.status !== 'up' && !r.soft) soft = false;
      data[buses[i].name] = { status: r.status, ...r.data };
    });
    return this.#result(key, status, { buses: data }, soft);
  }

  #result(
    key: string,
    status: HealthStatus,
    data: Record<string, unknown>,
    soft: boolean,
  ): HealthIndicatorResult {
    const indicator: Session & MaybeDegraded = this.health.check(key);
    if (status === 'up') return indicator.up(data);
    if (status === 'degraded' && typeof indicator.degraded === 'function') {
      return indicator.degraded(data);
    }
    // Terminus 11: no `degraded`. Only the default DLQ check degraded: stay up.
    if (status === 'degraded' && soft) return indicator.up(data);
    return indicator.down(data);
  }

  async #busHealth(bus: SignalBus, options: BusHealthOptions): Promise<BusHealth> {
    const timeout = options.timeout ?? 1000;
    const subscriptions = (): BusHealthSubscription[] =>
      bus.subscriptions().map((s) => ({
        id: s.id,
        pattern: s.pattern,
        kind: s.kind,
        persistent: s.persistent,
        target: s.target,
      }));
    if (bus.closed) {
      return { status: 'down', soft: false, data: { closed: true, problems: ['bus closed'] } };
    }
    try {
      await withTimeout(bus.store.ping(), timeout);
    } catch (error) {
      return {
        status: 'down',
        soft: false,
        data: {
          closed: false,
          problems: ['store unreachable'],
          store: describeError(error),
          subscriptions: subscriptions(),
        },
      };
    }
    const problems: string[] = [];
    const data: Record<string, unknown> = { closed: false, problems };
    let unreachable = false;
    const [stats, dlqDepth] = await Promise.all([
      withTimeout(bus.stats(), timeout).catch((error: unknown) => {
        unreachable = true;
        data.store = describeError(error);
        return undefined;
      }),
      // A store may throw instead of rejecting: caught the same way.
      withTimeout(
        new Promise<number>((resolve) => resolve(bus.store.dlqSize(bus.name))),
        timeout,
      ).catch((error: unknown) => {
        unreachable = true;
        data.store = describeError(error);
        return undefined;
      }),
    ]);
    if (stats !== undefined) {
      data.logSize = stats.logSize;
      data.published = stats.published;
      data.pendingPublishes = stats.pendingPublishes;
      data.subscriptions = stats.subscriptions.map((s): BusHealthSubscription => ({
        id: s.id,
        pattern: s.pattern,
        kind: s.kind,
        persistent: s.persistent,
        target: s.target,
        delivered: s.delivered,
        failed: s.failed,
        inFlight: s.inFlight,
        ...(s.persistence === undefined
          ? {}
          : {
              pending: s.persistence.pending,
              acked: s.persistence.acked,
              retried: s.persistence.retried,
              deadLettered: s.persistence.deadLettered,
            }),
      }));
    } else {
      data.subscriptions = subscriptions();
    }
    if (unreachable) {
      problems.push('store unreachable');
      return { status: 'down', soft: false, data };
    }
    data.dlqDepth = dlqDepth;
    const maxDlqDepth = options.maxDlqDepth ?? 0;
    const dlqExceeded = dlqDepth! > maxDlqDepth;
    if (dlqExceeded) problems.push(`DLQ depth ${dlqDepth} > ${maxDlqDepth}`);
    if (options.breaker !== undefined) {
      const max = options.maxOpenCircuits ?? 0;
      const open = options.breaker
        .states()
        .filter((c) => c.state === 'open')
        .map((c) => c.key);
      data.openCircuits = open;
      if (open.length > max) problems.push(`${open.length} open circuits > ${max}`);
    }
    const targets = options.targets ?? [];
    if (targets.length > 0) {
      const results = await checkTargets(options.dispatcher ?? bus.dispatcher, targets);
      data.targets = results;
      const unhealthy = results.filter((r) => !r.healthy).length;
      if (unhealthy > 0) problems.push(`${unhealthy} unhealthy dispatch targets`);
    }
    if (problems.length === 0) return { status: 'up', soft: false, data };
    // The default DLQ check alone only degrades; explicit thresholds follow `degradeOnly`.
    const soft = options.maxDlqDepth === undefined && dlqExceeded && problems.length === 1;
    if (soft) return { status: 'degraded', soft, data };
    return { status: options.degradeOnly === true ? 'degraded' : 'down', soft, data };
  }
}

function checkTargets(
  dispatcher: Dispatcher,
  targets: readonly DispatchConfig[],
): Promise<TargetHealth[]> {
  return Promise.all(
    targets.map(async (config): Promise<TargetHealth> => {
      try {
        const h = await dispatcher.healthCheck(config);
        return { adapter: h.adapter, target: h.target, healthy: h.healthy, details: h.details };
      } catch (error) {
        return {
          adapter: 'unknown',
          target: 'invalid config',
          healthy: false,
          details: describeError(error),
        };
      }
    }),
  );
}
