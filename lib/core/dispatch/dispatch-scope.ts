// The cancellation scope of one `Dispatcher` call: the deliveries it aborts together, the
// per-delivery context they get, and the wiring of a call's `AbortSignal` and timeout.
import { DispatchError, DispatchTimeoutError, toDispatchError } from '../errors/dispatch.error.js';
import type { JidoSignalError } from '../errors/jido-signal.error.js';
import type { DeliveryContext, DeliveryFailure } from './adapter.interface.js';
import { optionalInteger } from './adapters/options.js';
import { DeliveryController } from './delivery-controller.js';
import type { DispatchCallOptions } from './dispatcher-options.js';
import { timerDelay } from '../util/timer-delay.js';

/** What one delivery ends with: its error, or `undefined` when it succeeded. @internal */
export type Outcome = JidoSignalError | undefined;

/** Cancellation and timeout shared by the deliveries of one call. @internal */
export class Scope {
  reason: JidoSignalError | undefined;
  settled = false;
  readonly live = new Set<Delivery>();
  #listener: ((reason: JidoSignalError) => void) | undefined;

  onAbort(listener: (reason: JidoSignalError) => void): void {
    this.#listener = listener;
  }

  abort(reason: JidoSignalError): void {
    if (this.reason !== undefined || this.settled) return;
    this.reason = reason;
    for (const delivery of this.live) delivery.abort(reason);
    this.live.clear();
    this.#listener?.(reason);
  }
}

/**
 * The context one delivery gets. Its `AbortSignal` is created on first access only:
 * building one costs microseconds, and most adapters never look at it (the built-in `http`
 * and `webhook` adapters use `aborted` / `onAbort`).
 * @internal
 */
export class Delivery extends DeliveryController implements DeliveryContext {
  /** Settles the delivery's promise; set while it is in flight. */
  settle: ((outcome: Outcome) => void) | undefined;

  constructor(failure: DeliveryFailure | undefined) {
    super(failure === undefined ? undefined : { failure });
  }

  override abort(reason: JidoSignalError): void {
    if (this.aborted) return;
    super.abort(reason);
    this.settle?.(reason);
  }
}

/** The `cancelled` error of a call aborted with `reason` (its text, when it has one, is appended). @internal */
export function cancelledError(adapter: string, reason: unknown): DispatchError {
  const text =
    reason instanceof Error
      ? reason.message
      : typeof reason === 'string' || typeof reason === 'number'
        ? String(reason)
        : undefined;
  const why = text === undefined ? '' : `: ${text}`;
  return new DispatchError('cancelled', adapter, `Dispatch was cancelled${why}`, { cause: reason });
}

/**
 * The validated `timeout` of a call (`0` = none).
 * @throws DispatchConfigError when it is not a non-negative integer
 * @internal
 */
export function callTimeout(value: unknown): number {
  return optionalInteger('dispatcher', 'timeout', value, 0, Number.MAX_SAFE_INTEGER, 0);
}

/**
 * Runs a call inside a scope wired to the external signal and the call timeout. With
 * `race`, the call rejects with the abort reason as soon as the scope aborts; without,
 * it waits for `run` to finish (its deliveries settle at once on abort). `label` names the
 * adapter (or `'dispatch'`) in the errors it creates.
 * @internal
 */
export function runScoped<T>(
  scope: Scope,
  label: () => string,
  options: DispatchCallOptions,
  race: boolean,
  run: (scope: Scope) => void | Promise<T>,
): Promise<void | T> {
  const external = options.signal;
  const timeout = callTimeout(options.timeout);
  return new Promise<void | T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onExternalAbort = (): void => scope.abort(cancelledError(label(), external?.reason));
    const cleanup = (): void => {
      scope.settled = true;
      if (timer !== undefined) clearTimeout(timer);
      external?.removeEventListener('abort', onExternalAbort);
    };
    if (race) {
      scope.onAbort((reason) => {
        cleanup();
        reject(reason);
      });
    }
    if (external !== undefined) {
      if (external.aborted) {
        onExternalAbort();
        if (race) return;
      } else {
        external.addEventListener('abort', onExternalAbort, { once: true });
      }
    }
    if (timeout > 0) {
      timer = setTimeout(
        () => scope.abort(new DispatchTimeoutError(label(), timeout)),
        timerDelay(timeout),
      );
    }
    let pending: void | Promise<T>;
    try {
      pending = run(scope);
    } catch (error) {
      cleanup();
      reject(toDispatchError(error, label()));
      return;
    }
    if (pending === undefined) {
      cleanup();
      resolve();
      return;
    }
    pending.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(toDispatchError(error, label()));
      },
    );
  });
}
