import { BusClosedError } from '../errors/bus.error.js';
import { CausalityContext, causalityDeliveryScope } from '../journal/causality-context.js';
import type { BusContext } from './bus-context.js';

/**
 * Publishes (and lane batches) of draining buses without causality that started before
 * their bus's drain and have not settled: their handlers may publish follow-ups — on any
 * bus — that no context attributes. Process-wide, since a handler may publish to any bus;
 * it only matters while buses drain.
 */
let unattributed = 0;

/**
 * The work a bus has in flight and the states of its shutdown: open, draining (from
 * `close()`/`drain()` until the drain ends: in-flight deliveries may still publish), closed.
 * `active` counts queued and running publishes, lane batches, trims and sweeps; `close()`
 * waits for it to reach zero.
 * @internal
 */
export class BusLifecycle {
  /** `close()` or `drain()` was called. */
  closing = false;
  /** From `close()`/`drain()` until the drain ends: in-flight deliveries may still publish. */
  draining = false;
  /** Queued or running publishes, lane batches, trims and sweeps. */
  active = 0;
  /** Publishes (and lane batches) started before the drain and not settled yet. */
  early = 0;
  /** `early` counts in `unattributed` (the drain began on a bus without causality). */
  #countsUnattributed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(readonly name: string) {}

  /** @throws BusClosedError once `close()` started */
  ensureOpen(operation: string): void {
    if (this.closing) throw new BusClosedError(this.name, operation);
  }

  /** `count` units of work ended; wakes the idle waiters at zero. */
  readonly settle = (count = 1): void => {
    this.active -= count;
    if (this.active === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  /** `onDone` of a lane batch admitted before the drain started. */
  readonly settleEarly = (): void => {
    this.earlyDone();
    this.settle();
  };

  /** A publish (or lane batch) counted in `early` settled. */
  earlyDone(): void {
    this.early--;
    if (this.#countsUnattributed) unattributed--;
  }

  /** Wait until idle or `timeout` ms; `true` when idle. */
  async waitIdle(timeout: number): Promise<boolean> {
    if (this.active === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = await Promise.race([
      this.#idle().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeout);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    return idle;
  }

  #idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** The drain begins: stop outside intake. */
  stopIntake(): void {
    this.closing = true;
    this.draining = true;
  }

  /**
   * From now on every ordinary delivery runs in the causality context, so what its handler
   * publishes is known to come from a delivery.
   */
  attributeDeliveries(context: BusContext): void {
    const inner = context.scope;
    // Every delivery started before the drain ran in the causality context (attributable).
    if (inner === causalityDeliveryScope) return;
    this.#countsUnattributed = true;
    unattributed += this.early;
    // Only now, so a bus without causality pays for AsyncLocalStorage during the drain only.
    context.scope =
      inner === undefined
        ? causalityDeliveryScope
        : {
            run: (handled, fn) => causalityDeliveryScope.run(handled, () => inner.run(handled, fn)),
          };
  }

  /**
   * During the drain: a publish from a delivery (in the causality context), or any publish
   * while deliveries that started before a drain outside that context — on any bus — may
   * still be running.
   */
  admitsWhileClosing(): boolean {
    if (!this.draining) return false;
    return CausalityContext.current() !== undefined || unattributed > 0;
  }

  /** The drain is over (the publishes still queued are refused by the sequencer). */
  endDrain(): void {
    this.draining = false;
    // Deliveries still running past the deadline stop counting: a hung one must not make
    // later drains (of any bus) accept every outside publish.
    if (this.#countsUnattributed) {
      unattributed -= this.early;
      this.#countsUnattributed = false;
    }
  }
}
