// OpenTelemetry spans (docs/observability.md): the span tree of a publish with two handlers,
// of a persistent delivery retried then acked, of an HTTP/webhook dispatch (the receiving
// server sees the client span's traceparent), errors recorded without secrets, and nothing
// produced once the providers are unregistered.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { parseTraceparent } from '../../../lib/core/signal/trace-context.js';
import { configureOpenTelemetry } from '../../../lib/core/telemetry/otel/options.js';
import { settlementListenersActive } from '../../../lib/core/telemetry/otel/consumer-scope.js';
import { sig, sleep } from '../bus/helpers.js';
import { only, parentOf, startOtel, type OtelHarness } from '../../helpers/otel.js';

let otel: OtelHarness;
const closers: (() => Promise<void>)[] = [];

beforeEach(() => {
  otel = startOtel();
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await otel.stop();
  configureOpenTelemetry({ traces: true, metrics: true });
});

function newBus(name: string): SignalBus {
  const bus = new SignalBus({ name });
  closers.push(() => bus.close());
  return bus;
}

/** A loopback server that records request headers and answers `status`. */
async function server(status: () => number): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const srv: Server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.statusCode = status();
      res.end('token=s3cret-in-body');
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
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen };
}

describe('OpenTelemetry spans', () => {
  it('publish → two handlers: one producer span, two consumer spans under it, handler spans nested in each', async () => {
    const bus = newBus('orders');
    const tracer = trace.getTracer('app');
    const received: Signal[] = [];
    for (const id of ['billing', 'shipping']) {
      await bus.subscribe('order.*', {
        subscriptionId: id,
        dispatch: async (s: Signal) => {
          received.push(s);
          await sleep(1);
          tracer.startActiveSpan(`work ${id}`, (span) => span.end());
        },
      });
    }
    const signal = sig('order.created', { n: 1 });
    await bus.publish(signal);
    await sleep(5);

    const spans = otel.spans();
    const publish = only(spans, 'publish orders');
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(publish)).toBeUndefined();
    expect(publish.attributes).toMatchObject({
      'messaging.system': 'jido_signal',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
      'messaging.destination.name': 'orders',
      'messaging.message.id': signal.id,
    });
    const traceId = publish.spanContext().traceId;
    // The delivered signal carries the producer span as its traceparent.
    expect(parseTraceparent(received[0].extensions.traceparent)).toMatchObject({
      traceId,
      spanId: publish.spanContext().spanId,
    });

    const process = spans.filter((s) => s.name === 'process orders');
    expect(process).toHaveLength(2);
    for (const id of ['billing', 'shipping']) {
      const p = process.find((s) => s.attributes['messaging.consumer.group.name'] === id)!;
      expect(p.kind).toBe(SpanKind.CONSUMER);
      expect(p.spanContext().traceId).toBe(traceId);
      expect(parentOf(p)).toBe(publish.spanContext().spanId);
      expect(p.attributes).toMatchObject({
        'messaging.operation.type': 'process',
        'messaging.message.id': signal.id,
        'jido_signal.signal.type': 'order.created',
      });
      expect(p.status.code).not.toBe(SpanStatusCode.ERROR);
      const work = only(spans, `work ${id}`);
      expect(parentOf(work)).toBe(p.spanContext().spanId);
    }
  });

  it('a signal published from a handler continues the trace (publish under the process span)', async () => {
    const bus = newBus('chain');
    await bus.subscribe('a', {
      subscriptionId: 'first',
      dispatch: async () => {
        await bus.publish(sig('b'));
      },
    });
    await bus.subscribe('b', { subscriptionId: 'second', dispatch: () => undefined });
    await bus.publish(sig('a'));
    const spans = otel.spans();
    const publishes = spans.filter((s) => s.name === 'publish chain');
    expect(publishes).toHaveLength(2);
    const [outer] = publishes.filter((s) => parentOf(s) === undefined);
    const first = spans.find((s) => s.attributes['messaging.consumer.group.name'] === 'first')!;
    const inner = publishes.find((s) => parentOf(s) === first.spanContext().spanId)!;
    expect(inner).toBeDefined();
    const second = spans.find((s) => s.attributes['messaging.consumer.group.name'] === 'second')!;
    expect(parentOf(second)).toBe(inner.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(
      new Set([outer.spanContext().traceId]),
    );
  });

  it('a persistent delivery retried then acked: two process spans under the publish, the first failed (retry), the second acked', async () => {
    const bus = newBus('jobs');
    let calls = 0;
    await bus.subscribe('job.run', {
      persistent: true,
      subscriptionId: 'worker',
      autoAck: true,
      maxAttempts: 3,
      retryInterval: 5,
      dispatch: () => {
        calls++;
        if (calls === 1) throw new Error('first attempt fails');
      },
    });
    await bus.publish(sig('job.run'));
    for (let i = 0; i < 100 && calls < 2; i++) await sleep(5);
    await sleep(5);
    expect(calls).toBe(2);

    const spans = otel.spans();
    const publish = only(spans, 'publish jobs');
    const process = spans
      .filter((s) => s.name === 'process jobs')
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    expect(process).toHaveLength(2);
    for (const p of process) expect(parentOf(p)).toBe(publish.spanContext().spanId);
    const [failed, acked] = process;
    expect(failed.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(failed.events.map((e) => e.name)).toEqual(['exception', 'retry']);
    expect(failed.attributes['jido_signal.settlement']).toBe('retry');
    expect(failed.attributes['error.type']).toBe('Error');
    expect(acked.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(acked.attributes['jido_signal.settlement']).toBe('ack');
    expect(acked.events.map((e) => e.name)).toEqual(['ack']);
  });

  it('a persistent delivery that exhausts its attempts records dead_letter', async () => {
    const bus = newBus('dl');
    await bus.subscribe('x', {
      persistent: true,
      subscriptionId: 'doomed',
      maxAttempts: 1,
      dispatch: () => Promise.reject(new Error('always')),
    });
    await bus.publish(sig('x'));
    await sleep(10);
    const p = only(otel.spans(), 'process dl');
    expect(p.attributes['jido_signal.settlement']).toBe('dead_letter');
  });

  it('HTTP dispatch: a client span whose traceparent the receiving server sees, under the active span', async () => {
    const { url, seen } = await server(() => 200);
    const dispatcher = new Dispatcher();
    closers.push(() => dispatcher.close());
    const tracer = trace.getTracer('app');
    await tracer.startActiveSpan('request', async (root) => {
      await dispatcher.dispatch(sig('order.created'), { adapter: 'http', url: `${url}/hook` });
      root.end();
    });
    const spans = otel.spans();
    const client = only(spans, 'POST');
    const root = only(spans, 'request');
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(client)).toBe(root.spanContext().spanId);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.full': `${url}/hook`,
      'server.address': '127.0.0.1',
      'jido_signal.dispatch.adapter': 'http',
    });
    expect(seen).toHaveLength(1);
    expect(parseTraceparent(seen[0].traceparent)).toMatchObject({
      traceId: client.spanContext().traceId,
      spanId: client.spanContext().spanId,
    });
  });

  it('webhook dispatch from a bus subscription: client span under the process span, traceparent sent', async () => {
    const { url, seen } = await server(() => 204);
    const bus = newBus('hooks');
    await bus.subscribe('**', {
      subscriptionId: 'out',
      dispatch: {
        adapter: 'webhook',
        url: `${url}/in`,
        secret: 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=',
      },
    });
    await bus.publish(sig('user.created'));
    await sleep(5);
    const spans = otel.spans();
    const p = only(spans, 'process hooks');
    const client = only(spans, 'POST');
    expect(parentOf(client)).toBe(p.spanContext().spanId);
    expect(client.attributes['jido_signal.dispatch.adapter']).toBe('webhook');
    expect(parseTraceparent(seen[0].traceparent)?.spanId).toBe(client.spanContext().spanId);
  });

  it('a failing HTTP dispatch records the exception and status, and no secret (query token, auth header)', async () => {
    const { url } = await server(() => 500);
    const dispatcher = new Dispatcher();
    closers.push(() => dispatcher.close());
    await expect(
      dispatcher.dispatch(sig('x'), {
        adapter: 'http',
        url: `${url}/hook?token=s3cret-query`,
        headers: { authorization: 'Bearer s3cret-header' },
        retry: false,
      }),
    ).rejects.toMatchObject({ code: 'status_error' });
    const client = only(otel.spans(), 'POST');
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes['http.response.status_code']).toBe(500);
    expect(client.attributes['error.type']).toBe('status_error');
    expect(client.attributes['url.full']).toBe(`${url}/hook`);
    expect(client.events.map((e) => e.name)).toEqual(['exception']);
    const dump = JSON.stringify({
      attributes: client.attributes,
      events: client.events,
      status: client.status,
      name: client.name,
    });
    expect(dump).not.toContain('s3cret');
  });

  it('traces: false (configureOpenTelemetry) and an unregistered provider produce no spans and leave signals untouched', async () => {
    configureOpenTelemetry({ traces: false });
    const bus = newBus('quiet');
    const got: Signal[] = [];
    await bus.subscribe('**', { dispatch: (s: Signal) => void got.push(s) });
    await bus.publish(sig('a'));
    configureOpenTelemetry({ traces: true });
    await otel.stop();
    await bus.publish(sig('b'));
    expect(otel.spans()).toEqual([]);
    expect(got.map((s) => s.extensions.traceparent)).toEqual([undefined, undefined]);
    otel = startOtel(); // for afterEach
  });

  it('once the providers are unregistered, the next delivery releases the channel subscriptions', async () => {
    // Asked of this module instance: diagnostics channels are process-wide, and another spec
    // file's copy of the library (Jest loads one per file) may still listen to them.
    const ack = settlementListenersActive;
    const bus = newBus('release');
    const handled: string[] = [];
    await bus.subscribe('**', {
      persistent: true,
      autoAck: true,
      dispatch: (s: Signal) => void handled.push(s.type),
    });
    await bus.publish(sig('a'));
    expect(ack()).toBe(true);
    await otel.stop();
    await bus.publish(sig('b'));
    // The persistent engine may hand 'b' over after the publish resolved: wait for it.
    for (let i = 0; i < 200 && !handled.includes('b'); i++) await sleep(5);
    expect(handled).toEqual(['a', 'b']);
    expect(ack()).toBe(false);
    otel = startOtel(); // for afterEach
  });

  it('rejects bad options with a typed error', () => {
    expect(() => configureOpenTelemetry({ traces: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'invalid_option' }),
    );
    expect(() => configureOpenTelemetry({ maxAttributeValues: 0 })).toThrow(
      expect.objectContaining({ code: 'invalid_option' }),
    );
  });
});
