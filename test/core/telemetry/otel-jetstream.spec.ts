// One trace across two app instances over JetStream (127.0.0.1:4222): a signal published on
// one bus instance is handled on another (an ordinary and a persistent subscription), and the
// consumer spans there are children of the producer span — through the stored traceparent.
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SpanKind } from '@opentelemetry/api';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { JetStreamStore } from '../../../lib/core/store/jetstream/jetstream.store.js';
import { deleteTestStreams, NATS_URL, testPrefix } from '../../helpers/nats.js';
import { only, parentOf, startOtel, type OtelHarness } from '../../helpers/otel.js';
import { sig, sleep } from '../bus/helpers.js';

const prefix = testPrefix('otel');
let otel: OtelHarness;
const closers: (() => Promise<void>)[] = [];

beforeEach(() => {
  otel = startOtel();
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await otel.stop();
}, 20_000);

afterAll(async () => {
  await deleteTestStreams(prefix);
}, 30_000);

async function instance(name: string): Promise<SignalBus> {
  const store = await JetStreamStore.connect({ servers: NATS_URL, prefix });
  closers.push(() => store.close());
  const bus = new SignalBus({ name, store, maxLogSize: Infinity });
  closers.push(() => bus.close({ timeout: 5_000 }));
  return bus;
}

describe('OpenTelemetry across JetStream instances', () => {
  it('publish on instance A, ordinary and persistent handlers on instance B: one trace, consumer spans under the producer span', async () => {
    const a = await instance('xa');
    const b = await instance('xa');
    await a.ready();
    await b.ready();
    const got: Signal[] = [];
    await b.subscribe('order.*', {
      subscriptionId: 'audit',
      dispatch: (s: Signal) => void got.push(s),
    });
    await b.subscribe('order.*', {
      persistent: true,
      subscriptionId: 'billing',
      autoAck: true,
      dispatch: (s: Signal) => void got.push(s),
    });
    const signal = sig('order.created', { n: 1 });
    await a.publish(signal);
    for (let i = 0; i < 400 && got.length < 2; i++) await sleep(10);
    await sleep(20);
    expect(got).toHaveLength(2);

    const spans = otel.spans();
    const publish = only(spans, 'publish xa');
    const traceId = publish.spanContext().traceId;
    const process = spans.filter((s) => s.name === 'process xa');
    expect(process.map((p) => p.attributes['messaging.consumer.group.name']).sort()).toEqual([
      'audit',
      'billing',
    ]);
    for (const p of process) {
      expect(p.kind).toBe(SpanKind.CONSUMER);
      expect(p.spanContext().traceId).toBe(traceId);
      expect(parentOf(p)).toBe(publish.spanContext().spanId);
      expect(p.parentSpanContext?.isRemote).toBe(true);
      expect(p.attributes['messaging.message.id']).toBe(signal.id);
    }
    const billing = process.find(
      (p) => p.attributes['messaging.consumer.group.name'] === 'billing',
    )!;
    expect(billing.attributes['jido_signal.settlement']).toBe('ack');
  }, 30_000);
});
