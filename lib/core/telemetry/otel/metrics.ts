import type {
  Counter,
  Histogram,
  Meter,
  ObservableGauge,
  ObservableResult,
} from '@opentelemetry/api';
import { TelemetryChannel } from '../channels.js';
import { ChannelListeners } from './channel-listeners.js';
import {
  CardinalityCap,
  INSTRUMENTATION_SCOPE,
  MESSAGING_SYSTEM,
  OtelAttr,
  OtelMetric,
} from './attributes.js';
import { otelSettings } from './options.js';
import { metricsActive, metricsGlobal, otelApi } from './otel-state.js';

/** What the gauges read from a bus (structural, so telemetry does not depend on the bus). */
export interface MeteredBus {
  readonly name: string;
  readonly closed: boolean;
  stats(): Promise<{
    readonly subscriptions: readonly {
      readonly id: string;
      readonly inFlight: number;
      readonly persistent: boolean;
      readonly persistence?: { readonly inFlight: number };
    }[];
  }>;
  readonly dlq: { size(subscriptionId?: string): Promise<number> };
}

interface Instruments {
  readonly meter: Meter;
  readonly sent: Counter;
  readonly consumed: Counter;
  readonly duration: Histogram;
  readonly retries: Counter;
  readonly deadLettered: Counter;
  readonly gauges: readonly ObservableGauge[];
}

/** Live buses (weakly held; closed ones are dropped at the next collection). */
const buses = new Set<WeakRef<MeteredBus>>();
/** Drops the reference of a collected bus, so creating many buses leaks nothing. */
const forget = new FinalizationRegistry<WeakRef<MeteredBus>>((ref) => buses.delete(ref));
/** Circuit states by breaker key (adapter + origin); bounded by the breakers' own keys. */
const circuits = new Map<string, { adapter: string; open: boolean }>();
const MAX_CIRCUITS = 10_000;

let instruments: Instruments | undefined;
let instrumentsFor: unknown;
let caps = {
  bus: new CardinalityCap(100),
  sub: new CardinalityCap(100),
  adapter: new CardinalityCap(100),
};

/** Make `bus` visible to the DLQ-depth and in-flight gauges. @internal */
export function trackBusForMetrics(bus: MeteredBus): void {
  const ref = new WeakRef(bus);
  buses.add(ref);
  forget.register(bus, ref);
  if (metricsActive()) ensureMetrics();
}

function busAttrs(bus: string): Record<string, string> {
  return { [OtelAttr.System]: MESSAGING_SYSTEM, [OtelAttr.DestinationName]: caps.bus.value(bus) };
}

function subAttrs(bus: string, subscriptionId: string): Record<string, string> {
  return { ...busAttrs(bus), [OtelAttr.ConsumerGroup]: caps.sub.value(subscriptionId) };
}

/** The instruments of the registered meter provider, or `undefined` while metrics are off. */
function current(): Instruments | undefined {
  if (!metricsActive()) return undefined;
  ensureMetrics();
  return instruments;
}

async function observeBuses(inFlight: ObservableResult, dlq: ObservableResult): Promise<void> {
  const work: Promise<void>[] = [];
  for (const ref of buses) {
    const bus = ref.deref();
    if (bus === undefined || bus.closed) {
      buses.delete(ref);
      continue;
    }
    work.push(
      (async () => {
        const stats = await bus.stats();
        const sizes = await Promise.all(
          stats.subscriptions.map((s) =>
            s.persistent ? bus.dlq.size(s.id).catch(() => undefined) : Promise.resolve(undefined),
          ),
        );
        stats.subscriptions.forEach((s, i) => {
          const attrs = subAttrs(bus.name, s.id);
          inFlight.observe(s.persistence?.inFlight ?? s.inFlight, attrs);
          const size = sizes[i];
          if (size !== undefined) dlq.observe(size, attrs);
        });
      })().catch(() => undefined),
    );
  }
  await Promise.all(work);
}

function observeCircuits(result: ObservableResult): void {
  const open = new Map<string, number>();
  for (const c of circuits.values()) {
    open.set(c.adapter, (open.get(c.adapter) ?? 0) + (c.open ? 1 : 0));
  }
  for (const [adapter, n] of open) {
    result.observe(n, {
      [OtelAttr.System]: MESSAGING_SYSTEM,
      [OtelAttr.Adapter]: caps.adapter.value(adapter),
    });
  }
}

function create(): Instruments {
  const meter = otelApi().metrics.getMeter(INSTRUMENTATION_SCOPE);
  const max = otelSettings.maxAttributeValues;
  caps = {
    bus: new CardinalityCap(max),
    sub: new CardinalityCap(max),
    adapter: new CardinalityCap(max),
  };
  const inFlight = meter.createObservableGauge(OtelMetric.InFlight, {
    description: 'Deliveries handed over and not settled yet, per subscription',
    unit: '{message}',
  });
  const dlq = meter.createObservableGauge(OtelMetric.DlqDepth, {
    description: "Entries in a persistent subscription's dead-letter queue",
    unit: '{message}',
  });
  const open = meter.createObservableGauge(OtelMetric.OpenCircuits, {
    description: 'Circuits not closed (open or half-open), per dispatch adapter',
    unit: '{circuit}',
  });
  meter.addBatchObservableCallback(
    (batch) =>
      observeBuses(
        { observe: (v, a) => batch.observe(inFlight, v, a) },
        { observe: (v, a) => batch.observe(dlq, v, a) },
      ),
    [inFlight, dlq],
  );
  open.addCallback(observeCircuits);
  return {
    meter,
    sent: meter.createCounter(OtelMetric.Sent, {
      description: 'Signals recorded by a bus',
      unit: '{message}',
    }),
    consumed: meter.createCounter(OtelMetric.Consumed, {
      description: 'Deliveries to subscriptions that finished (error.type set on failures)',
      unit: '{message}',
    }),
    duration: meter.createHistogram(OtelMetric.ProcessDuration, {
      description: 'Duration of a delivery to a subscription (its handler)',
      unit: 's',
    }),
    retries: meter.createCounter(OtelMetric.Retries, {
      description: 'Retries scheduled: persistent redeliveries and HTTP/webhook resends',
      unit: '{retry}',
    }),
    deadLettered: meter.createCounter(OtelMetric.DeadLettered, {
      description: 'Signals dead-lettered by persistent subscriptions',
      unit: '{message}',
    }),
    gauges: [inFlight, dlq, open],
  };
}

function circuitState(m: unknown, open: boolean): void {
  const msg = m as { adapter: string; key: string };
  if (!circuits.has(msg.key) && (!open || circuits.size >= MAX_CIRCUITS)) return;
  circuits.set(msg.key, { adapter: msg.adapter, open });
}

const listeners = new ChannelListeners();

function listen(): void {
  listeners.subscribe([
    [
      TelemetryChannel.BusPublish,
      (m) => {
        const msg = m as { bus: string; count: number };
        current()?.sent.add(msg.count, {
          ...busAttrs(msg.bus),
          [OtelAttr.OperationName]: 'publish',
        });
      },
    ],
    [
      TelemetryChannel.SubscriptionRetry,
      (m) => {
        const msg = m as { bus: string; subscriptionId: string; reason: string };
        current()?.retries.add(1, {
          ...subAttrs(msg.bus, msg.subscriptionId),
          [OtelAttr.ErrorType]: msg.reason,
        });
      },
    ],
    [
      TelemetryChannel.DispatchRetry,
      (m) => {
        const msg = m as { adapter: string; error: { code: string } };
        current()?.retries.add(1, {
          [OtelAttr.System]: MESSAGING_SYSTEM,
          [OtelAttr.Adapter]: caps.adapter.value(msg.adapter),
          [OtelAttr.ErrorType]: msg.error.code,
        });
      },
    ],
    [
      TelemetryChannel.SubscriptionDeadLetter,
      (m) => {
        const msg = m as { bus: string; subscriptionId: string; reason: string };
        current()?.deadLettered.add(1, {
          ...subAttrs(msg.bus, msg.subscriptionId),
          [OtelAttr.ErrorType]: msg.reason,
        });
      },
    ],
    [TelemetryChannel.CircuitOpen, (m) => circuitState(m, true)],
    [TelemetryChannel.CircuitHalfOpen, (m) => circuitState(m, true)],
    [TelemetryChannel.CircuitClose, (m) => circuitState(m, false)],
  ]);
}

/**
 * Stop listening to the channels once no meter provider is registered (the instruments are
 * made again for the next one).
 * @internal
 */
export function releaseMetrics(): void {
  if (!listeners.active) return;
  listeners.release();
  instruments = undefined;
  instrumentsFor = undefined;
}

/**
 * Create the instruments for the registered meter provider (again when another one was
 * registered since) and start listening to the library's telemetry channels.
 * @internal
 */
export function ensureMetrics(): void {
  const g = metricsGlobal();
  if (instruments === undefined || g !== instrumentsFor) {
    instruments = create();
    instrumentsFor = g;
  }
  listen();
}

/** Count and time one finished delivery. @internal */
export function recordDelivery(
  bus: string,
  subscriptionId: string,
  seconds: number,
  error: string | undefined,
): void {
  const m = current();
  if (m === undefined) return;
  const attrs: Record<string, string> = {
    ...subAttrs(bus, subscriptionId),
    [OtelAttr.OperationName]: 'process',
  };
  if (error !== undefined) attrs[OtelAttr.ErrorType] = error;
  m.consumed.add(1, attrs);
  m.duration.record(seconds, attrs);
}
