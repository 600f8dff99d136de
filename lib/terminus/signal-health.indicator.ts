import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { CircuitBreaker } from '../core/dispatch/circuit-breaker.js';
import type { DispatchConfig } from '../core/dispatch/adapter.interface.js';
import type { Dispatcher } from '../core/dispatch/dispatcher.js';
import { isJidoSignalError } from '../core/errors/jido-signal.error.js';
import type { SignalStore } from '../core/store/signal-store.interface.js';

/** Options of {@link SignalHealthIndicator.checkStore}. */
export interface StoreHealthOptions {
  /** Report down when the store does not answer within this many ms. @default 1000 */
  timeout?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeError(error: unknown): Record<string, unknown> {
  if (isJidoSignalError(error)) return { code: error.code, message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}

/**
 * Terminus health checks for the signal layer (Terminus 11+ `HealthIndicatorService` style):
 * store reachability, open circuits and dispatch target health. Register it as a provider
 * next to `TerminusModule` and call it from your own `/health` controller.
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
  constructor(private readonly health: HealthIndicatorService) {}

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
    const results = await Promise.all(
      targets.map(async (config) => {
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
    const data = { targets: results };
    return results.every((r) => r.healthy) ? indicator.up(data) : indicator.down(data);
  }
}
