import { keepShape } from '../util/keep-shape.js';
import type { SubscriberError } from '../errors/bus.error.js';
import type { PublishContext } from './middleware.interface.js';

// One instance stays alive (see keepShape).
let trackerKept = false;

/**
 * Delivery bookkeeping of one publish (or lane batch): `pending` counts unsettled
 * deliveries and after-hooks, plus one for the invocation phase itself.
 * @internal
 */
export class Tracker {
  pending = 1;
  /** Failed deliveries, collected for a `handlerErrors: 'reject'` publish only. */
  failures: SubscriberError[] | undefined = undefined;
  #waiter: (() => void) | undefined;
  #onDone: (() => void) | undefined;

  constructor(
    /** The publish's middleware context (set whenever middleware exist). */
    readonly context: PublishContext | undefined,
    onDone: (() => void) | undefined = undefined,
  ) {
    this.#onDone = onDone;
    if (!trackerKept && new.target === Tracker) {
      trackerKept = true;
      keepShape(this); // settled, it no longer holds its callbacks (`release`)
    }
  }

  /** Called once everything settled (before the `finish` waiter). */
  get onDone(): (() => void) | undefined {
    return this.#onDone;
  }

  release(): void {
    if (--this.pending !== 0) return;
    const onDone = this.#onDone;
    const waiter = this.#waiter;
    this.#onDone = this.#waiter = undefined;
    onDone?.();
    waiter?.();
  }

  /** End the invocation phase; the promise (if any) resolves once everything settled. */
  finish(): Promise<void> | undefined {
    if (this.pending === 1) {
      this.release();
      return undefined;
    }
    return new Promise<void>((resolve) => this.finishThen(resolve));
  }

  /** End the invocation phase and call `then` once everything settled (now, if it has). */
  finishThen(then: () => void): void {
    this.#waiter = then;
    this.release();
  }
}
