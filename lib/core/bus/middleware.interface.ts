import type { JidoSignalError } from '../errors/jido-signal.error.js';
import type { Signal } from '../signal/signal.js';
import type { RecordedSignal } from '../store/signal-store.interface.js';
import type { SubscriptionInfo } from './subscription.js';

/** Context shared by every hook of one publish. */
export interface PublishContext {
  /** Name of the bus. */
  readonly bus: string;
  /** When the publish started (ms since the epoch). */
  readonly publishedAt: number;
  /**
   * Free-form values shared by the hooks of one publish (all middleware, every signal and
   * subscriber): set something in `beforePublish`, read it in `afterDispatch`.
   */
  readonly metadata: Map<string, unknown>;
}

/** Context of the dispatch hooks: the publish context plus where the delivery runs. */
export interface DispatchContext extends PublishContext {
  /** Log position of the signal. */
  readonly logId: string;
  /** Partition (lane) index; `0` on a bus without partitions. */
  readonly partition: number;
}

/**
 * What `beforePublish` decides:
 * - `{ action: 'continue' }` — go on with the same signals; `{ action: 'continue', signals }`
 *   replaces the list the next middleware (and the log) sees;
 * - `{ action: 'halt', reason }` — reject the publish with a `MiddlewareHaltError`; nothing
 *   is recorded or delivered and later middleware are not called.
 *
 * Returning nothing (`undefined`) means continue unchanged.
 */
export type PublishDecision =
  | { readonly action: 'continue'; readonly signals?: readonly Signal[] }
  | { readonly action: 'halt'; readonly reason: unknown };

/**
 * What `beforeDispatch` decides for one (signal, subscription) pair:
 * - `{ action: 'continue' }` — deliver; `{ action: 'continue', signal }` delivers (and hands
 *   the next middleware) that signal instead;
 * - `{ action: 'skip', reason? }` — this subscriber does not get this signal; counted as
 *   skipped, reported on the `dispatch_skipped` telemetry channel, not an error;
 * - `{ action: 'halt', reason }` — this subscriber does not get this signal and the halt is
 *   reported as a `MiddlewareHaltError` on `errors$` (counted as a failure). Other
 *   subscribers and signals are not affected (as in jido_signal).
 *
 * Returning nothing (`undefined`) means continue unchanged.
 */
export type DispatchDecision =
  | { readonly action: 'continue'; readonly signal?: Signal }
  | { readonly action: 'skip'; readonly reason?: string }
  | { readonly action: 'halt'; readonly reason: unknown };

/** Outcome of one delivery, as `afterDispatch` sees it. */
export type DeliveryResult =
  | { readonly status: 'ok' }
  | {
      readonly status: 'error';
      /** The subscriber's failure (handler error, dispatch error or timeout). */
      readonly error: JidoSignalError;
    };

/** What a hook may return: the value itself or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Bus middleware: every hook is optional and runs in configuration order (after-hooks are
 * not reversed). Each call is limited by the bus's `middlewareTimeout`; a hook that throws,
 * rejects, returns an invalid outcome or times out is reported as a `MiddlewareError` naming
 * {@link BusMiddleware.name}. In `beforePublish` such a failure rejects the publish; in
 * `beforeDispatch` it withholds that one delivery; in the after-hooks it is only reported.
 *
 * Synchronous hooks cost no promise and no timer; return a promise only when you need to.
 * A middleware is a plain object or class instance and keeps whatever state it wants.
 *
 * @example
 * const dropDebug: BusMiddleware = {
 *   name: 'drop-debug',
 *   beforeDispatch: (signal) =>
 *     signal.type.startsWith('debug.') ? { action: 'skip', reason: 'debug' } : undefined,
 * };
 */
export interface BusMiddleware {
  /** Name used in errors, telemetry and logs. @default the class name, else `'middleware#<index>'` */
  readonly name?: string;
  /** Before anything is recorded: may replace the signals or halt the publish. */
  beforePublish?(
    signals: readonly Signal[],
    context: PublishContext,
  ): MaybePromise<PublishDecision | void>;
  /** After the signals are recorded and (on a bus without partitions) delivered. */
  afterPublish?(entries: readonly RecordedSignal[], context: PublishContext): MaybePromise<void>;
  /** Before one signal is handed to one subscription. */
  beforeDispatch?(
    signal: Signal,
    subscription: SubscriptionInfo,
    context: DispatchContext,
  ): MaybePromise<DispatchDecision | void>;
  /** After one delivery settled, with its result. */
  afterDispatch?(
    signal: Signal,
    subscription: SubscriptionInfo,
    result: DeliveryResult,
    context: DispatchContext,
  ): MaybePromise<void>;
}
