// OpenTelemetry metrics (docs/observability.md): counters, the delivery duration histogram
// and the gauges, read with a pull reader; bounded attribute cardinality.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { OtelMetric } from '../../../lib/core/telemetry/otel/attributes.js';
import { configureOpenTelemetry } from '../../../lib/core/telemetry/otel/options.js';
import { deferred, sig, sleep } from '../bus/helpers.js';
import { histogramCount, startOtel, sumOf, type OtelHarness } from '../../helpers/otel.js';

let otel: OtelHarness;
const closers: (() => Promise<void>)[] = [];

beforeEach(() => {
  otel = startOtel({ traces: false, metrics: true });
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await otel.stop();
  configureOpenTelemetry({ traces: true, metrics: true, maxAttributeValues: 100 });
});

function newBus(name: string): SignalBus {
  const bus = new SignalBus({ name });
  bus.errors$.subscribe(() => undefined);
  closers.push(() => bus.close());
  return bus;
}

const dest = 'messaging.destination.name';
const group = 'messaging.consumer.group.name';

describe('OpenTelemetry metrics', () => {
  it('published and delivered counts, the duration histogram, retries, dead-lettered, DLQ depth and in-flight', async () => {
    const bus = newBus('m1');
    await bus.subscribe('**', { subscriptionId: 'ok', dispatch: () => sleep(2) });
    await bus.subscribe('**', {
      subscriptionId: 'bad',
      dispatch: () => {
        throw new Error('x');
      },
    });
    await bus.subscribe('job', {
      persistent: true,
      subscriptionId: 'worker',
      maxAttempts: 2,
      retryInterval: 1,
      dispatch: () => Promise.reject(new Error('always')),
    });
    const gate = deferred();
    await bus.subscribe('hold', {
      persistent: true,
      subscriptionId: 'holder',
      autoAck: true,
      dispatch: () => gate.promise,
    });
    await bus.publish([sig('a'), sig('b')]);
    await bus.publish(sig('job'));
    // A publish waits for its persistent deliveries: this one stays in flight until the gate opens.
    const held = bus.publish(sig('hold'));
    await sleep(30);

    const m = await otel.collect();
    expect(sumOf(m, OtelMetric.Sent, { [dest]: 'm1', 'messaging.system': 'jido_signal' })).toBe(4);
    // ok: a, b, job, hold; bad: the same four, failed.
    expect(sumOf(m, OtelMetric.Consumed, { [group]: 'ok' })).toBe(4);
    expect(sumOf(m, OtelMetric.Consumed, { [group]: 'bad', 'error.type': 'Error' })).toBe(4);
    expect(histogramCount(m, OtelMetric.ProcessDuration, { [group]: 'ok' })).toBe(4);
    expect(histogramCount(m, OtelMetric.ProcessDuration, { [group]: 'worker' })).toBe(2);
    expect(sumOf(m, OtelMetric.Retries, { [group]: 'worker' })).toBe(1);
    expect(sumOf(m, OtelMetric.DeadLettered, { [group]: 'worker' })).toBe(1);
    expect(sumOf(m, OtelMetric.DlqDepth, { [group]: 'worker' })).toBe(1);
    expect(sumOf(m, OtelMetric.InFlight, { [group]: 'holder' })).toBe(1);
    expect(sumOf(m, OtelMetric.DlqDepth, { [group]: 'holder' })).toBe(0);

    gate.resolve();
    await held;
    const after = await otel.collect();
    expect(sumOf(after, OtelMetric.InFlight, { [group]: 'holder' })).toBe(0);
  });

  it('open circuits per adapter, and HTTP resends as retries', async () => {
    const srv: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = 503;
        res.end();
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          srv.closeAllConnections();
          srv.close(() => resolve());
        }),
    );
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/x`;
    const dispatcher = new Dispatcher();
    closers.push(() => dispatcher.close());
    // Metrics start with the first bus, publish or delivery once a meter provider is registered.
    newBus('m2');
    const config = {
      adapter: 'http',
      url,
      retry: { maxAttempts: 2, baseDelay: 1, maxDelay: 5, jitter: false },
      circuitBreaker: { threshold: 2, windowMs: 10_000, halfOpenAfter: 60_000 },
    } as const;
    for (let i = 0; i < 2; i++) {
      await expect(dispatcher.dispatch(sig('x'), config)).rejects.toBeDefined();
    }
    const m = await otel.collect();
    expect(sumOf(m, OtelMetric.OpenCircuits, { 'jido_signal.dispatch.adapter': 'http' })).toBe(1);
    expect(sumOf(m, OtelMetric.Retries, { 'jido_signal.dispatch.adapter': 'http' })).toBe(1);
  });

  it('caps the distinct values of an attribute (maxAttributeValues), the rest is _other', async () => {
    configureOpenTelemetry({ maxAttributeValues: 2 });
    // A new meter provider: instruments (and caps) are made for it.
    await otel.stop();
    otel = startOtel({ traces: false, metrics: true });
    const bus = newBus('capped');
    for (const id of ['s1', 's2', 's3', 's4']) {
      await bus.subscribe('**', { subscriptionId: id, dispatch: (_s: Signal) => undefined });
    }
    await bus.publish(sig('a'));
    const m = await otel.collect();
    const consumed = m.find((x) => x.descriptor.name === OtelMetric.Consumed)!;
    const groups = consumed.dataPoints.map((p) => p.attributes[group]).sort();
    expect(groups).toEqual(['_other', 's1', 's2']);
    expect(sumOf(m, OtelMetric.Consumed, { [group]: '_other' })).toBe(2);
  });

  it('metrics: false records nothing', async () => {
    configureOpenTelemetry({ metrics: false });
    const bus = newBus('off');
    await bus.subscribe('**', { dispatch: () => undefined });
    await bus.publish(sig('a'));
    configureOpenTelemetry({ metrics: true });
    const m = await otel.collect();
    expect(sumOf(m, OtelMetric.Sent, { [dest]: 'off' })).toBe(0);
    expect(sumOf(m, OtelMetric.Consumed, { [dest]: 'off' })).toBe(0);
  });
});
