import type { Span } from '@opentelemetry/api';
import type { DeliveryScope, HandledSignal } from '../../bus/delivery-scope.js';
import { isThenable } from '../../util/is-thenable.js';
import { TelemetryChannel } from '../channels.js';
import { MESSAGING_SYSTEM, OtelAttr } from './attributes.js';
import { ChannelListeners } from './channel-listeners.js';
import { ensureMetrics, recordDelivery, releaseMetrics } from './metrics.js';
import { metricsActive, openTelemetryRegistered, otelApi, tracingActive } from './otel-state.js';
import { contextFromSignal } from './propagation.js';
import { errorType, recordFailure, tracer } from './tracer.js';

/**
 * Process spans whose delivery just settled, by `bus \0 subscription`: a persistent
 * subscription acks, retries or dead-letters synchronously right after the handler settles
 * (its reaction runs after ours), so the span is ended one microtask later and the
 * settlement recorded on it first.
 */
const settling = new Map<string, { span: Span; signalId: string }>();

function settle(
  bus: string,
  subscriptionId: string,
  signalId: string | undefined,
  how: string,
): void {
  const key = `${bus}\0${subscriptionId}`;
  const entry = settling.get(key);
  if (entry === undefined || (signalId !== undefined && entry.signalId !== signalId)) return;
  settling.delete(key);
  entry.span.setAttribute(OtelAttr.Settlement, how);
  entry.span.addEvent(how);
}

const listeners = new ChannelListeners();

function bySignal(how: string): (m: unknown) => void {
  return (m) => {
    const msg = m as { bus: string; subscriptionId: string; signalId: string };
    settle(msg.bus, msg.subscriptionId, msg.signalId, how);
  };
}

/**
 * Whether this module listens to the settlement channels (for tests: the channels are
 * process-wide, so other module instances may listen to them too).
 * @internal
 */
export function settlementListenersActive(): boolean {
  return listeners.active;
}

/** Subscribe to the persistent settlement channels while spans are made. */
function listen(): void {
  if (listeners.active) return;
  listeners.subscribe([
    [
      TelemetryChannel.SubscriptionAck,
      (m) => {
        const msg = m as { bus: string; subscriptionId: string };
        settle(msg.bus, msg.subscriptionId, undefined, 'ack');
      },
    ],
    [TelemetryChannel.SubscriptionRetry, bySignal('retry')],
    [TelemetryChannel.SubscriptionDeadLetter, bySignal('dead_letter')],
    [TelemetryChannel.SubscriptionNack, bySignal('nack')],
  ]);
}

function finish(
  handled: HandledSignal,
  span: Span | undefined,
  started: number,
  error: unknown,
  failed: boolean,
): void {
  if (started !== 0) {
    recordDelivery(
      handled.bus,
      handled.subscriptionId,
      (performance.now() - started) / 1000,
      failed ? errorType(error) : undefined,
    );
  }
  if (span === undefined) return;
  if (failed) recordFailure(span, error);
  const key = `${handled.bus}\0${handled.subscriptionId}`;
  const entry = { span, signalId: handled.signal.id };
  settling.set(key, entry);
  queueMicrotask(() => {
    if (settling.get(key) === entry) settling.delete(key);
    span.end();
  });
}

/** Run one delivery inside its `process <bus>` span and/or measure it. */
function runDelivery<R>(inner: DeliveryScope | undefined, handled: HandledSignal, fn: () => R): R {
  const tracing = tracingActive();
  const started = metricsActive() ? performance.now() : 0;
  let span: Span | undefined;
  let call = inner === undefined ? fn : () => inner.run(handled, fn);
  if (tracing) {
    listen();
    const api = otelApi();
    const signal = handled.signal;
    const parent = contextFromSignal(signal, api.context.active()) ?? api.context.active();
    const s = tracer().startSpan(
      `process ${handled.bus}`,
      {
        kind: api.SpanKind.CONSUMER,
        attributes: {
          [OtelAttr.System]: MESSAGING_SYSTEM,
          [OtelAttr.OperationType]: 'process',
          [OtelAttr.OperationName]: 'process',
          [OtelAttr.DestinationName]: handled.bus,
          [OtelAttr.ConsumerGroup]: handled.subscriptionId,
          [OtelAttr.MessageId]: signal.id,
          [OtelAttr.SignalType]: signal.type,
          [OtelAttr.LogId]: handled.logId,
          ...(typeof signal.extensions.correlationid === 'string'
            ? { [OtelAttr.ConversationId]: signal.extensions.correlationid }
            : {}),
        },
      },
      parent,
    );
    span = s;
    const ctx = api.trace.setSpan(parent, s);
    const run = call;
    // The handler and everything it awaits see the process span as the active one.
    call = () => api.context.with(ctx, run);
  }
  let result: R;
  try {
    result = call();
  } catch (error) {
    finish(handled, span, started, error, true);
    throw error;
  }
  if (isThenable(result)) {
    result.then(
      () => finish(handled, span, started, undefined, false),
      (error: unknown) => finish(handled, span, started, error, true),
    );
  } else {
    finish(handled, span, started, undefined, false);
  }
  return result;
}

const wrappers = new WeakMap<DeliveryScope, DeliveryScope>();
const bare: DeliveryScope = { run: (handled, fn) => runDelivery(undefined, handled, fn) };

/**
 * The scope a bus runs a delivery in: `inner` as is while no tracer or meter provider is
 * registered (one symbol lookup), otherwise `inner` wrapped in a consumer span and/or a
 * delivery measurement.
 * @internal
 */
export function withOpenTelemetry(inner: DeliveryScope | undefined): DeliveryScope | undefined {
  if (!openTelemetryRegistered()) {
    // The providers were unregistered: stop listening to the channels.
    if (listeners.active) listeners.release();
    releaseMetrics();
    return inner;
  }
  const tracing = tracingActive();
  const metering = metricsActive();
  if (!tracing) listeners.release();
  if (metering) ensureMetrics();
  else releaseMetrics();
  if (!tracing && !metering) return inner;
  if (inner === undefined) return bare;
  let wrapped = wrappers.get(inner);
  if (wrapped === undefined) {
    wrapped = { run: (handled, fn) => runDelivery(inner, handled, fn) };
    wrappers.set(inner, wrapped);
  }
  return wrapped;
}
