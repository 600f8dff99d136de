import { isThenable } from './is-thenable.js';

/**
 * What a handler returned, as a native promise; `undefined` when it is not a thenable. A
 * native promise is returned as is. Any other thenable — a promise subclass included, whose
 * `then` may call back at once — is adopted with `Promise.resolve`: its `then` runs in a later
 * job, only its first callback counts and a throw from it is a rejection, as with `await`.
 * @throws what looking `then` up throws (a revoked proxy, a throwing getter): call it where
 *   such a throw counts as the handler's own
 * @internal
 */
export function toPromise(value: unknown): Promise<unknown> | undefined {
  if (value instanceof Promise && value.constructor === Promise) return value;
  return isThenable(value) ? Promise.resolve(value) : undefined;
}
