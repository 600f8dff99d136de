import { isThenable } from '../util/is-thenable.js';
import {
  BusOptionError,
  MiddlewareError,
  MiddlewareHaltError,
  type BusError,
  type MiddlewareHook,
} from '../errors/bus.error.js';
import { Signal } from '../signal/signal.js';
import type { RecordedSignal } from '../store/signal-store.interface.js';
import type {
  BusMiddleware,
  DeliveryResult,
  DispatchContext,
  PublishContext,
} from './middleware.interface.js';
import {
  middlewareFailed,
  middlewareSkip,
  middlewareStart,
  middlewareStop,
  type MiddlewareCall,
} from './middleware-telemetry.js';
import type { SubscriptionInfo } from './subscription.js';

/** What the dispatch hooks decided for one delivery. @internal */
export type DispatchVerdict =
  | { readonly kind: 'deliver'; readonly signal: Signal }
  | { readonly kind: 'skip'; readonly middleware: string; readonly reason: string | undefined }
  | { readonly kind: 'fail'; readonly error: BusError };

interface Entry {
  readonly middleware: BusMiddleware;
  readonly name: string;
}

interface Ids {
  readonly subscriptionId?: string;
  readonly signalId?: string;
}

const HOOKS: readonly MiddlewareHook[] = [
  'beforePublish',
  'afterPublish',
  'beforeDispatch',
  'afterDispatch',
];

/** Publish the end of an observed `beforeDispatch` call for its verdict; returns the verdict. */
function observed(call: MiddlewareCall | undefined, verdict: DispatchVerdict): DispatchVerdict {
  if (call === undefined) return verdict;
  if (verdict.kind === 'deliver') middlewareStop(call, 'continue');
  else if (verdict.kind === 'skip') middlewareSkip(call, verdict.reason);
  else if (verdict.error instanceof MiddlewareHaltError) middlewareStop(call, 'halt');
  else middlewareFailed(call, verdict.error);
  return verdict;
}

function outcomeAction(value: unknown): unknown {
  return typeof value === 'object' && value !== null
    ? (value as { action?: unknown }).action
    : undefined;
}

function invalidOutcome(hook: MiddlewareHook, value: unknown): Error {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? typeof value;
  } catch {
    shown = typeof value;
  }
  return new TypeError(
    `${hook} returned an invalid outcome ${shown.slice(0, 120)}; expected undefined or { action: ${
      hook === 'beforePublish' ? "'continue' | 'halt'" : "'continue' | 'skip' | 'halt'"
    } }`,
  );
}

/**
 * Runs a bus's middleware: configuration order for every hook, a per-call timeout,
 * failures turned into typed errors. Synchronous hooks run without promises or timers.
 * @internal
 */
export class MiddlewarePipeline {
  readonly #bus: string;
  readonly #timeout: number;
  #beforePublish: Entry[] = [];
  #afterPublish: Entry[] = [];
  #beforeDispatch: Entry[] = [];
  #afterDispatch: Entry[] = [];
  #count = 0;
  readonly #names: string[] = [];

  /**
   * @param bus - bus name (for errors)
   * @param timeout - per-call limit in ms; `0` disables it
   * @param middleware - in configuration order
   */
  constructor(bus: string, timeout: number, middleware: readonly BusMiddleware[] = []) {
    this.#bus = bus;
    this.#timeout = timeout;
    for (const m of middleware) this.add(m);
  }

  /** Whether some middleware implements `beforePublish`. */
  get hasBeforePublish(): boolean {
    return this.#beforePublish.length > 0;
  }
  /** Whether some middleware implements `afterPublish`. */
  get hasAfterPublish(): boolean {
    return this.#afterPublish.length > 0;
  }
  /** Whether some middleware implements `beforeDispatch`. */
  get hasBeforeDispatch(): boolean {
    return this.#beforeDispatch.length > 0;
  }
  /** Whether some middleware implements `afterDispatch`. */
  get hasAfterDispatch(): boolean {
    return this.#afterDispatch.length > 0;
  }
  /** Whether any middleware is registered. */
  get isEmpty(): boolean {
    return this.#count === 0;
  }
  /** Names in configuration order. */
  get names(): readonly string[] {
    return this.#names;
  }

  /**
   * Append a middleware (it runs after those already registered).
   * @throws BusOptionError when it is not an object or a hook is not a function
   */
  add(middleware: BusMiddleware): void {
    const index = this.#count;
    if (typeof middleware !== 'object' || middleware === null) {
      throw new BusOptionError(
        this.#bus,
        `middleware[${index}]`,
        `middleware #${index} must be an object with hooks, got ${middleware === null ? 'null' : typeof middleware}`,
      );
    }
    for (const hook of HOOKS) {
      const fn = (middleware as unknown as Record<string, unknown>)[hook];
      if (fn !== undefined && typeof fn !== 'function') {
        throw new BusOptionError(
          this.#bus,
          `middleware[${index}].${hook}`,
          `middleware #${index}: ${hook} must be a function`,
        );
      }
    }
    const ctorName = (middleware as { constructor?: { name?: unknown } }).constructor?.name;
    const name =
      typeof middleware.name === 'string' && middleware.name.length > 0
        ? middleware.name
        : typeof ctorName === 'string' && ctorName !== 'Object' && ctorName.length > 0
          ? ctorName
          : `middleware#${index}`;
    const entry: Entry = { middleware, name };
    // Copy-on-write: a publish iterating the old list is not affected by a late `add`.
    if (middleware.beforePublish) this.#beforePublish = [...this.#beforePublish, entry];
    if (middleware.afterPublish) this.#afterPublish = [...this.#afterPublish, entry];
    if (middleware.beforeDispatch) this.#beforeDispatch = [...this.#beforeDispatch, entry];
    if (middleware.afterDispatch) this.#afterDispatch = [...this.#afterDispatch, entry];
    this.#names.push(name);
    this.#count++;
  }

  /**
   * Run every `beforePublish` in order, each on the list the previous one returned.
   * @returns the final list
   * @throws MiddlewareHaltError on a halt; MiddlewareError on a throw, rejection, invalid
   *   outcome or timeout (later middleware are not called)
   */
  async beforePublish(
    signals: readonly Signal[],
    context: PublishContext,
  ): Promise<readonly Signal[]> {
    let current = signals;
    for (const entry of this.#beforePublish) {
      const call = middlewareStart(this.#bus, entry.name, 'beforePublish', current.length, {});
      let out: unknown;
      try {
        out = entry.middleware.beforePublish!(current, context);
      } catch (cause) {
        throw middlewareFailed(call, this.#error(entry, 'beforePublish', cause, {}));
      }
      if (isThenable(out)) {
        try {
          out = await this.#timed(out, entry, 'beforePublish', {});
        } catch (error) {
          throw middlewareFailed(call, error as BusError);
        }
      }
      if (out === undefined) {
        middlewareStop(call, 'continue');
        continue;
      }
      const action = outcomeAction(out);
      if (action === 'halt') {
        middlewareStop(call, 'halt');
        throw new MiddlewareHaltError(
          this.#bus,
          entry.name,
          'beforePublish',
          (out as { reason?: unknown }).reason,
        );
      }
      if (action !== 'continue') {
        throw middlewareFailed(
          call,
          this.#error(entry, 'beforePublish', invalidOutcome('beforePublish', out), {}),
        );
      }
      const replaced = (out as { signals?: unknown }).signals;
      if (replaced !== undefined) {
        if (!Array.isArray(replaced) || !replaced.every((s) => s instanceof Signal)) {
          throw middlewareFailed(
            call,
            this.#error(
              entry,
              'beforePublish',
              new TypeError(
                'beforePublish returned { signals } that is not an array of Signal instances',
              ),
              {},
            ),
          );
        }
        current = replaced as readonly Signal[];
      }
      middlewareStop(call, 'continue');
    }
    return current;
  }

  /** Run every `afterPublish`; failures are reported, never thrown. */
  afterPublish(
    entries: readonly RecordedSignal[],
    context: PublishContext,
    report: (error: BusError) => void,
  ): void | Promise<void> {
    return this.#runAfter(
      this.#afterPublish,
      'afterPublish',
      {},
      report,
      (m) => m.afterPublish!(entries, context),
      entries.length,
    );
  }

  /**
   * Run every `beforeDispatch` in order; the signal one returns is what the next sees and
   * what is delivered. Synchronous hooks give a synchronous verdict.
   */
  beforeDispatch(
    signal: Signal,
    subscription: SubscriptionInfo,
    context: DispatchContext,
  ): DispatchVerdict | Promise<DispatchVerdict> {
    return this.#dispatchFrom(0, signal, subscription, context);
  }

  /** Run every `afterDispatch`; failures are reported, never thrown. */
  afterDispatch(
    signal: Signal,
    subscription: SubscriptionInfo,
    result: DeliveryResult,
    context: DispatchContext,
    report: (error: BusError) => void,
  ): void | Promise<void> {
    return this.#runAfter(
      this.#afterDispatch,
      'afterDispatch',
      { subscriptionId: subscription.id, signalId: signal.id },
      report,
      (m) => m.afterDispatch!(signal, subscription, result, context),
    );
  }

  #dispatchFrom(
    start: number,
    signal: Signal,
    subscription: SubscriptionInfo,
    context: DispatchContext,
  ): DispatchVerdict | Promise<DispatchVerdict> {
    const list = this.#beforeDispatch;
    let current = signal;
    for (let i = start; i < list.length; i++) {
      const entry = list[i];
      const ids: Ids = { subscriptionId: subscription.id, signalId: current.id };
      const call = middlewareStart(this.#bus, entry.name, 'beforeDispatch', undefined, ids);
      let out: unknown;
      try {
        out = entry.middleware.beforeDispatch!(current, subscription, context);
      } catch (cause) {
        return {
          kind: 'fail',
          error: middlewareFailed(call, this.#error(entry, 'beforeDispatch', cause, ids)),
        };
      }
      if (isThenable(out)) {
        const from = current;
        return this.#timed(out, entry, 'beforeDispatch', ids).then(
          (value) => {
            const verdict = observed(call, this.#interpret(value, entry, from, ids));
            return verdict.kind === 'deliver'
              ? this.#dispatchFrom(i + 1, verdict.signal, subscription, context)
              : verdict;
          },
          (error: BusError): DispatchVerdict => ({
            kind: 'fail',
            error: middlewareFailed(call, error),
          }),
        );
      }
      const verdict = observed(call, this.#interpret(out, entry, current, ids));
      if (verdict.kind !== 'deliver') return verdict;
      current = verdict.signal;
    }
    return { kind: 'deliver', signal: current };
  }

  #interpret(value: unknown, entry: Entry, signal: Signal, ids: Ids): DispatchVerdict {
    if (value === undefined) return { kind: 'deliver', signal };
    const action = outcomeAction(value);
    if (action === 'continue') {
      const replaced = (value as { signal?: unknown }).signal;
      if (replaced === undefined) return { kind: 'deliver', signal };
      if (replaced instanceof Signal) return { kind: 'deliver', signal: replaced as Signal };
      return {
        kind: 'fail',
        error: this.#error(
          entry,
          'beforeDispatch',
          new TypeError('beforeDispatch returned { signal } that is not a Signal instance'),
          ids,
        ),
      };
    }
    if (action === 'skip') {
      const reason = (value as { reason?: unknown }).reason;
      return {
        kind: 'skip',
        middleware: entry.name,
        reason: typeof reason === 'string' ? reason : undefined,
      };
    }
    if (action === 'halt') {
      return {
        kind: 'fail',
        error: new MiddlewareHaltError(
          this.#bus,
          entry.name,
          'beforeDispatch',
          (value as { reason?: unknown }).reason,
          ids,
        ),
      };
    }
    return {
      kind: 'fail',
      error: this.#error(entry, 'beforeDispatch', invalidOutcome('beforeDispatch', value), ids),
    };
  }

  #runAfter(
    list: readonly Entry[],
    hook: MiddlewareHook,
    ids: Ids,
    report: (error: BusError) => void,
    call: (m: BusMiddleware) => unknown,
    signalCount?: number,
  ): void | Promise<void> {
    for (let i = 0; i < list.length; i++) {
      const entry = list[i];
      const observedCall = middlewareStart(this.#bus, entry.name, hook, signalCount, ids);
      let out: unknown;
      try {
        out = call(entry.middleware);
      } catch (cause) {
        report(middlewareFailed(observedCall, this.#error(entry, hook, cause, ids)));
        continue;
      }
      if (isThenable(out)) {
        return this.#timed(out, entry, hook, ids).then(
          () => {
            middlewareStop(observedCall, 'continue');
            return this.#runAfter(list.slice(i + 1), hook, ids, report, call, signalCount);
          },
          (error: BusError) => {
            report(middlewareFailed(observedCall, error));
            return this.#runAfter(list.slice(i + 1), hook, ids, report, call, signalCount);
          },
        );
      }
      middlewareStop(observedCall, 'continue');
    }
  }

  #error(entry: Entry, hook: MiddlewareHook, cause: unknown, ids: Ids): MiddlewareError {
    return new MiddlewareError(this.#bus, entry.name, hook, { cause }, ids);
  }

  /** Await a hook's promise within the timeout; rejects with a `MiddlewareError`. */
  #timed(
    out: PromiseLike<unknown>,
    entry: Entry,
    hook: MiddlewareHook,
    ids: Ids,
  ): Promise<unknown> {
    const timeout = this.#timeout;
    return new Promise<unknown>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (timeout > 0) {
        timer = setTimeout(
          () =>
            reject(new MiddlewareError(this.#bus, entry.name, hook, { timeoutMs: timeout }, ids)),
          timeout,
        );
      }
      out.then(
        (value) => {
          if (timer !== undefined) clearTimeout(timer);
          resolve(value);
        },
        (cause: unknown) => {
          if (timer !== undefined) clearTimeout(timer);
          reject(this.#error(entry, hook, cause, ids));
        },
      );
    });
  }
}
