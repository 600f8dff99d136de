import type { DeliveryContext, DeliveryFailure } from './adapter.interface.js';

/** Options of a {@link DeliveryController}. */
export interface DeliveryControllerOptions {
  /** The context's `attempt`. @default 1 */
  attempt?: number;
  /** The context's `failure` (set for `onFailure` fallbacks). @default undefined */
  failure?: DeliveryFailure;
}

/** A listener of {@link DeliveryContext.onAbort}. */
export type DeliveryAbortListener = (reason: unknown) => void;

const noop = (): void => {};

function callListener(listener: DeliveryAbortListener, reason: unknown): void {
  try {
    listener(reason);
  } catch (error) {
    // Like an AbortSignal listener: reported as an uncaught exception, the others still run.
    queueMicrotask(() => {
      throw error;
    });
  }
}

/**
 * A {@link DeliveryContext} plus the means to abort it — an `AbortController` for one
 * delivery. The `Dispatcher` creates one per delivery; create your own to call an adapter's
 * `deliver` directly.
 *
 * It is cheap: `aborted`, `reason` and `onAbort` work without an `AbortSignal`, which is
 * only created when something reads `signal` (building one costs microseconds on Node 20).
 *
 * @example
 * const delivery = new DeliveryController();
 * const pending = adapter.deliver(signal, options, delivery);
 * delivery.abort(new Error('shutting down')); // the in-flight request is aborted
 */
export class DeliveryController implements DeliveryContext {
  /** @inheritdoc */
  readonly attempt: number;
  /** @inheritdoc */
  readonly failure: DeliveryFailure | undefined;
  #aborted = false;
  #reason: unknown = undefined;
  #controller: AbortController | undefined;
  #listener: DeliveryAbortListener | undefined;
  #listeners: DeliveryAbortListener[] | undefined;

  constructor(options?: DeliveryControllerOptions) {
    this.attempt = options?.attempt ?? 1;
    this.failure = options?.failure;
  }

  /** Whether {@link DeliveryController.abort} was called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** The abort reason (`undefined` until aborted). */
  get reason(): unknown {
    return this.#reason;
  }

  /** An `AbortSignal` mirroring this delivery, created on first access. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /**
   * Call `listener` with the reason when the delivery aborts (synchronously, inside
   * `abort()`). Not called when already aborted — check `aborted` first.
   * @returns a function that removes the listener
   */
  onAbort(listener: DeliveryAbortListener): () => void {
    if (this.#aborted) return noop;
    if (this.#listener === undefined && this.#listeners === undefined) {
      this.#listener = listener;
      return () => {
        if (this.#listener === listener) this.#listener = undefined;
      };
    }
    (this.#listeners ??= []).push(listener);
    return () => {
      const list = this.#listeners;
      if (this.#listener === listener) this.#listener = undefined;
      else if (list !== undefined) {
        const i = list.indexOf(listener);
        if (i >= 0) list.splice(i, 1);
      }
    };
  }

  /**
   * Abort the delivery: `onAbort` listeners run, then `signal` (if created) aborts.
   * Idempotent.
   * @param reason @default a `DOMException` named `'AbortError'`, as `AbortController.abort()`
   */
  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason =
      reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    const first = this.#listener;
    const rest = this.#listeners;
    this.#listener = undefined;
    this.#listeners = undefined;
    if (first !== undefined) callListener(first, this.#reason);
    if (rest !== undefined) for (const listener of rest) callListener(listener, this.#reason);
    this.#controller?.abort(this.#reason);
  }
}

/**
 * `ctx.aborted`, falling back to `ctx.signal.aborted` for hand-built contexts.
 * @internal
 */
export function isDeliveryAborted(ctx: DeliveryContext): boolean {
  return ctx.aborted ?? ctx.signal.aborted;
}

/**
 * `ctx.reason`, falling back to `ctx.signal.reason` for hand-built contexts.
 * @internal
 */
export function deliveryAbortReason(ctx: DeliveryContext): unknown {
  return ctx.aborted === undefined ? ctx.signal.reason : ctx.reason;
}

/**
 * `ctx.onAbort(listener)`, falling back to an `abort` listener on `ctx.signal` for
 * hand-built contexts. Not called when already aborted.
 * @returns a function that removes the listener
 * @internal
 */
export function watchDeliveryAbort(
  ctx: DeliveryContext,
  listener: DeliveryAbortListener,
): () => void {
  if (ctx.onAbort !== undefined) return ctx.onAbort(listener);
  const signal = ctx.signal;
  const onAbort = (): void => listener(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
