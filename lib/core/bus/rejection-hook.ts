import type { Signal } from '../signal/signal.js';

/**
 * Settles an asynchronous failure of a handler the bus observed (its promise rejected):
 * returns `true` when the delivery fails (the bus counts it failed and reports a
 * `SubscriberError`), `false` when the hook took care of the error itself and the delivery
 * counts as succeeded. A hook that throws fails the delivery with what it threw.
 *
 * This lets a handler wrapper — the Nest layer's, which logs every failure and, with
 * `onError: 'log'`, reports it without failing the delivery — leave the promise to the
 * bus instead of chaining a `.then` onto every call.
 * @internal
 */
export type RejectionHook = (error: unknown, signal: Signal) => boolean;

const hooks = new WeakMap<object, RejectionHook>();

/**
 * Register `hook` for `handler`: ordinary subscriptions made with `handler` afterwards call
 * it when a delivery's promise rejects. Persistent subscriptions do not (the handler must
 * handle its own rejections there).
 * @internal
 */
export function setRejectionHook(handler: object, hook: RejectionHook): void {
  hooks.set(handler, hook);
}

/** The hook registered for `handler`, if any. @internal */
export function rejectionHookOf(handler: object): RejectionHook | undefined {
  return hooks.get(handler);
}
