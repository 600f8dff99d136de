import { AsyncLocalStorage } from 'node:async_hooks';
import type { Signal } from '../signal/signal.js';
import { childTraceparent, parseTraceparent } from '../signal/trace-context.js';

const storage = new AsyncLocalStorage<Signal>();

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * The causal attributes a signal published while handling `parent` gets (see
 * {@link applyCausality}). Attributes the signal already sets are left out.
 */
function causalityFor(
  signal: Signal,
  parent: Signal,
): { causationid?: string; correlationid?: string; traceparent?: string; tracestate?: string } {
  const ext = signal.extensions;
  const out: {
    causationid?: string;
    correlationid?: string;
    traceparent?: string;
    tracestate?: string;
  } = {};
  // Re-publishing (forwarding) the handled signal itself must not make it its own effect.
  if (signal.id === parent.id) return out;
  if (ext.causationid === undefined) out.causationid = parent.id;
  if (ext.correlationid === undefined) {
    out.correlationid = text(parent.extensions.correlationid) ?? parent.id;
  }
  if (ext.traceparent === undefined) {
    const parentTrace = parent.extensions.traceparent;
    if (parseTraceparent(parentTrace) !== undefined) {
      out.traceparent = childTraceparent(parentTrace as string);
      const state = text(parent.extensions.tracestate);
      if (state !== undefined && ext.tracestate === undefined) out.tracestate = state;
    }
  }
  return out;
}

/**
 * A copy of `signal` carrying the causality of `parent` (by default the signal whose handler
 * is running, see {@link CausalityContext}):
 *
 * - `causationid` = the parent's id;
 * - `correlationid` = the parent's `correlationid`, or the parent's id when it has none (so
 *   the parent starts the conversation);
 * - `traceparent` = a child span of the parent's `traceparent` (same trace id, new span id,
 *   same flags) and the parent's `tracestate` — only when the parent is traced.
 *
 * Attributes the signal sets explicitly are kept. Without a parent, or when `signal` is the
 * parent itself (forwarding), or when nothing changes, `signal` is returned as is.
 */
export function applyCausality(
  signal: Signal,
  parent: Signal | undefined = storage.getStore(),
): Signal {
  if (parent === undefined) return signal;
  const changes = causalityFor(signal, parent);
  let changed = false;
  for (const _ in changes) {
    changed = true;
    break;
  }
  return changed ? signal.with({ extensions: { ...signal.extensions, ...changes } }) : signal;
}

/** The API of {@link CausalityContext}. */
export interface CausalityContextApi {
  /**
   * Run `fn` — a handler of `handled` — with `handled` as the current signal; everything
   * `fn` calls or awaits (timers, promises, callbacks) sees it, concurrent handlers each
   * see their own. Nested runs replace the current signal for their duration.
   * @returns what `fn` returns (its promise, for async handlers)
   */
  run<R>(handled: Signal, fn: () => R): R;
  /** The signal whose handler is running, or `undefined` outside of any handler. */
  current(): Signal | undefined;
  /** {@link applyCausality} with the current signal as parent. */
  applyCausality(signal: Signal): Signal;
  /** Run `fn` outside of any handler context (background work that must start a new chain). */
  exit<R>(fn: () => R): R;
}

/**
 * Automatic causality (design decision 9) on `AsyncLocalStorage`: a bus runs every handler
 * with {@link CausalityContextApi.run} and passes every signal it publishes through
 * {@link CausalityContextApi.applyCausality}, so a signal published while a handler runs is
 * an effect of the handled signal, inherits its correlation id and continues its trace —
 * across `await`s, and without leaking between concurrent handlers.
 *
 * Note: on Node 20 an active `AsyncLocalStorage` adds a small cost to every promise of the
 * process once `run` has been called for the first time.
 *
 * @example
 * await CausalityContext.run(orderCreated, async () => {
 *   const charge = CausalityContext.applyCausality(createSignal('payment.requested', {}));
 *   charge.extensions.causationid === orderCreated.id; // true
 * });
 */
export const CausalityContext: CausalityContextApi = Object.freeze({
  run<R>(handled: Signal, fn: () => R): R {
    return storage.run(handled, fn);
  },
  current(): Signal | undefined {
    return storage.getStore();
  },
  applyCausality(signal: Signal): Signal {
    return applyCausality(signal, storage.getStore());
  },
  exit<R>(fn: () => R): R {
    return storage.exit(fn);
  },
});

/**
 * A `DeliveryScope` for the signal bus (`new SignalBus({ deliveryScope: causalityDeliveryScope })`):
 * runs every delivery inside {@link CausalityContext.run} with the delivered signal.
 * Structurally typed so the journal does not depend on the bus.
 */
export const causalityDeliveryScope: {
  run<R>(handled: { readonly signal: Signal }, fn: () => R): R;
} = Object.freeze({
  run<R>(handled: { readonly signal: Signal }, fn: () => R): R {
    return storage.run(handled.signal, fn);
  },
});
