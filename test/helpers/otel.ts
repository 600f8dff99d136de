// Registers OpenTelemetry SDK providers for one spec (in-memory span exporter, a pull metric
// reader, the AsyncLocalStorage context manager) and unregisters every global afterwards,
// so nothing leaks into the next spec.
import { context, metrics, propagation, trace, type HrTime } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

class PullReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface OtelHarness {
  readonly exporter: InMemorySpanExporter;
  /** Finished spans so far. */
  spans(): ReadableSpan[];
  /** Collect every metric now. */
  collect(): Promise<MetricData[]>;
  /** Unregister everything. */
  stop(): Promise<void>;
}

/** Register providers (traces and/or metrics). */
export function startOtel(parts: { traces?: boolean; metrics?: boolean } = {}): OtelHarness {
  const exporter = new InMemorySpanExporter();
  let tracerProvider: BasicTracerProvider | undefined;
  let meterProvider: MeterProvider | undefined;
  const reader = new PullReader();
  const cm = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(cm);
  if (parts.traces !== false) {
    tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(tracerProvider);
  }
  if (parts.metrics === true) {
    meterProvider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(meterProvider);
  }
  return {
    exporter,
    spans: () => exporter.getFinishedSpans(),
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    },
    async stop() {
      trace.disable();
      metrics.disable();
      context.disable();
      propagation.disable();
      cm.disable();
      await tracerProvider?.shutdown();
      await meterProvider?.shutdown();
    },
  };
}

/** Parent span id of a span (SDK 2.x: `parentSpanContext`). */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** The one span named `name` (fails loudly when there are none or several). */
export function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) {
    throw new Error(
      `expected one span "${name}", got ${found.length}: ${spans.map((s) => s.name).join(', ')}`,
    );
  }
  return found[0];
}

/** Sum of a counter's points matching `attrs`. */
export function sumOf(
  all: MetricData[],
  name: string,
  attrs: Record<string, unknown> = {},
): number {
  const metric = all.find((m) => m.descriptor.name === name);
  if (metric === undefined) return 0;
  let total = 0;
  for (const p of metric.dataPoints) {
    if (Object.entries(attrs).every(([k, v]) => p.attributes[k] === v)) {
      total += typeof p.value === 'number' ? p.value : 0;
    }
  }
  return total;
}

/** Count of a histogram's recordings matching `attrs`. */
export function histogramCount(
  all: MetricData[],
  name: string,
  attrs: Record<string, unknown> = {},
): number {
  const metric = all.find((m) => m.descriptor.name === name);
  if (metric === undefined || metric.dataPointType !== DataPointType.HISTOGRAM) return 0;
  let total = 0;
  for (const p of metric.dataPoints) {
    if (Object.entries(attrs).every(([k, v]) => p.attributes[k] === v)) total += p.value.count;
  }
  return total;
}

/** Milliseconds of an `HrTime`. */
export function ms(t: HrTime): number {
  return t[0] * 1000 + t[1] / 1e6;
}
