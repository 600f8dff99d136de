import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { SignalBatcher, resolveBatchOptions } from '../../../lib/core/bus/batched-target.js';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { DispatchAdapter } from '../../../lib/core/dispatch/adapter.interface.js';
import { DeliveryController } from '../../../lib/core/dispatch/delivery-controller.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { verifyWebhook } from '../../../lib/core/dispatch/webhook-signature.js';
import { BatchBufferFullError } from '../../../lib/core/errors/dispatch.error.js';
import { fromHttp } from '../../../lib/core/signal/serialization/http.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { rejection } from '../../helpers/errors.js';
import { startServer, type TestServer } from '../dispatch/http-test-server.js';
import { collectErrors, sig, sleep } from './helpers.js';

const buses: SignalBus[] = [];
function newBus(name = 'batched'): SignalBus {
  const bus = new SignalBus({ name });
  buses.push(bus);
  return bus;
}

async function until(check: () => boolean | Promise<boolean>, timeout = 5000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** Signal ids of every request's batch body, in arrival order. */
function batches(server: TestServer): string[][] {
  return server.requests.map((r) =>
    (fromHttp({ headers: r.headers, body: r.body }) as Signal[]).map((s) => s.id),
  );
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 2000 })));
  server.requests.length = 0;
  server.handle((_req, res) => res.end('ok'));
});

describe('subscriptions with a batched http/webhook target', () => {
  it('flushes by size: one CloudEvents batch request per `size` signals', async () => {
    const bus = newBus();
    await bus.subscribe('metric.*', {
      dispatch: { adapter: 'http', url: `${server.origin}/m`, batch: { size: 5, timeout: 60_000 } },
    });
    // Ten separate publishes, not awaited one by one: they fill the same buffers.
    const published = (
      await Promise.all(Array.from({ length: 10 }, (_, i) => bus.publish(sig('metric.cpu', { i }))))
    ).flat();
    await server.waitForRequests(2);
    expect(batches(server)).toEqual([
      published.slice(0, 5).map((e) => e.signal.id),
      published.slice(5).map((e) => e.signal.id),
    ]);
    expect(server.requests[0].headers['content-type']).toBe(
      'application/cloudevents-batch+json; charset=utf-8',
    );
    const [stats] = (await bus.stats()).subscriptions;
    expect(stats.target).toBe(`http ${server.origin}/m (batches of 5)`);
  });

  it('flushes by time: a partial batch goes once its oldest signal waited `timeout` ms', async () => {
    const bus = newBus();
    await bus.subscribe('log.*', {
      dispatch: { adapter: 'http', url: `${server.origin}/l`, batch: { size: 100, timeout: 300 } },
    });
    const started = Date.now();
    const publishing = bus.publish([sig('log.a'), sig('log.b'), sig('log.c')]);
    await sleep(20);
    expect(server.requests).toHaveLength(0);
    await server.waitForRequests(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(batches(server)[0]).toHaveLength(3);
    await publishing;
  });

  it('flushes on unsubscribe and on bus close: nothing stays in the buffer', async () => {
    const bus = newBus();
    const config = {
      adapter: 'http',
      url: `${server.origin}/u`,
      batch: { size: 100, timeout: 60_000 },
    };
    const a = await bus.subscribe('a.*', { dispatch: config });
    await bus.subscribe('b.*', { dispatch: config });
    // A publish resolves once its deliveries settled — here, once the buffers are flushed.
    const publishing = bus.publish([sig('a.one'), sig('a.two'), sig('b.one')]);
    await sleep(30);
    expect(server.requests).toHaveLength(0);
    await bus.unsubscribe(a);
    await server.waitForRequests(1);
    expect(batches(server)[0]).toHaveLength(2);
    await bus.close();
    await publishing;
    // close() resolved after the last buffer went out and was answered.
    expect(batches(server).map((b) => b.length)).toEqual([2, 1]);
  });

  it('signs webhook batches: the receiver verifies the batch body and decodes every signal', async () => {
    const bus = newBus();
    const secret = 'batch-webhook-secret';
    await bus.subscribe('invoice.*', {
      dispatch: { adapter: 'webhook', url: `${server.origin}/w`, secret, batch: { size: 3 } },
    });
    const published = await bus.publish([
      sig('invoice.paid'),
      sig('invoice.paid'),
      sig('invoice.paid'),
    ]);
    await server.waitForRequests(1);
    const req = server.requests[0];
    expect(verifyWebhook(req.body, req.headers, secret).id).toMatch(/^batch_/);
    expect(batches(server)[0]).toEqual(published.map((e) => e.signal.id));
  });

  it('persistent: a target that fails then recovers — nothing lost, acked only after the batch succeeded', async () => {
    const bus = newBus();
    const persistence = async () =>
      (await bus.stats()).subscriptions.find((s) => s.id === 'orders')!.persistence!;
    let calls = 0;
    let ackedBeforeFirstSuccess: number | undefined;
    server.handle((_req, res) => {
      calls++;
      if (calls <= 3) {
        res.statusCode = 503;
        res.end();
        return;
      }
      if (calls > 4) {
        res.end();
        return;
      }
      // Hold the first successful answer until we know nothing was acked before it.
      void persistence().then((p) => {
        ackedBeforeFirstSuccess = p.acked;
        res.end();
      });
    });
    await bus.subscribe('order.*', {
      persistent: true,
      subscriptionId: 'orders',
      autoAck: true,
      maxInFlight: 50,
      maxAttempts: 5,
      retryInterval: 10,
      dispatch: {
        adapter: 'http',
        url: `${server.origin}/o`,
        retry: { maxAttempts: 2, baseDelay: 1, jitter: false },
        circuitBreaker: false,
        batch: { size: 10, timeout: 20 },
      },
    });
    const published = await bus.publish(
      Array.from({ length: 25 }, (_, i) => sig('order.placed', { i })),
    );
    const ids = published.map((e) => e.signal.id);
    await until(async () => (await persistence()).acked === 25);
    // Only successful requests count as received; at-least-once allows repeats, but every
    // signal arrived and none was acked before its batch succeeded.
    const ok = server.requests.slice(3);
    const okIds = ok.flatMap((r) =>
      (fromHttp({ headers: r.headers, body: r.body }) as Signal[]).map((s) => s.id),
    );
    // Nothing lost, and nothing delivered twice by a successful request (no ackTimeout
    // passed, so at-least-once did not need a repeat here).
    expect([...okIds].sort()).toEqual([...ids].sort());
    expect(ackedBeforeFirstSuccess).toBe(0);
    expect(await persistence()).toMatchObject({ inFlight: 0, deadLettered: 0 });
    expect(await bus.dlq.list('orders')).toHaveLength(0);
    // The first (failed) batch was retried as a whole by the http retry policy.
    expect(batches(server)[1]).toEqual(batches(server)[0]);
  });

  it('persistent: batches failing past maxAttempts dead-letter every signal of the batch', async () => {
    const bus = newBus();
    server.handle((_req, res) => {
      res.statusCode = 500;
      res.end('down');
    });
    await bus.subscribe('audit.*', {
      persistent: true,
      subscriptionId: 'audit',
      autoAck: true,
      maxAttempts: 2,
      retryInterval: 5,
      dispatch: {
        adapter: 'http',
        url: `${server.origin}/a`,
        retry: false,
        circuitBreaker: false,
        batch: { size: 4, timeout: 10 },
      },
    });
    const published = await bus.publish(
      Array.from({ length: 4 }, (_, i) => sig('audit.event', { i })),
    );
    await until(async () => (await bus.dlq.list('audit')).length === 4);
    const dead = await bus.dlq.list('audit');
    expect(dead.map((d) => d.signal.id).sort()).toEqual(published.map((e) => e.signal.id).sort());
    for (const d of dead)
      expect(d).toMatchObject({ attempts: 2, lastError: { code: 'status_error' } });
    // Each attempt was one batch request carrying all four signals.
    expect(batches(server).map((b) => b.length)).toEqual([4, 4]);
  });

  it('persistent: maxInFlight counts signals — batches never carry more than maxInFlight unacked signals', async () => {
    const bus = newBus();
    let inFlightSeen = 0;
    server.handle((_req, res) => {
      void bus.stats().then((stats) => {
        const p = stats.subscriptions.find((s) => s.id === 'capped')!.persistence!;
        inFlightSeen = Math.max(inFlightSeen, p.inFlight);
        res.end();
      });
    });
    await bus.subscribe('job.*', {
      persistent: true,
      subscriptionId: 'capped',
      autoAck: true,
      maxInFlight: 4,
      dispatch: { adapter: 'http', url: `${server.origin}/j`, batch: { size: 10, timeout: 15 } },
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => bus.publish(sig('job.run', { i }))));
    await until(async () => {
      const p = (await bus.stats()).subscriptions.find((s) => s.id === 'capped')!.persistence!;
      return p.acked === 10;
    });
    const sizes = batches(server).map((b) => b.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    expect(inFlightSeen).toBeLessThanOrEqual(4);
    expect(inFlightSeen).toBeGreaterThan(1); // several signals shared one request
  });

  it('reports a failed batch per signal on errors$ for an ordinary subscription', async () => {
    const bus = newBus();
    const errors = collectErrors(bus);
    server.handle((_req, res) => {
      res.statusCode = 400;
      res.end();
    });
    await bus.subscribe('x.*', {
      dispatch: { adapter: 'http', url: `${server.origin}/x`, batch: { size: 2 } },
    });
    await bus.publish([sig('x.a'), sig('x.b')]);
    await until(() => errors.length === 2);
    expect(errors.map((e) => (e.cause as { code?: string }).code)).toEqual([
      'status_error',
      'status_error',
    ]);
  });

  it('rejects bad batch options and adapters that cannot batch, at subscribe time', async () => {
    const bus = newBus();
    const url = `${server.origin}/bad`;
    expect(
      (await rejection(bus.subscribe('a', { dispatch: { adapter: 'noop', batch: {} } }))).code,
    ).toBe('invalid_dispatch_config');
    const binary = await rejection(
      bus.subscribe('a', { dispatch: { adapter: 'http', url, mode: 'binary', batch: {} } }),
    );
    expect(binary).toMatchObject({ code: 'invalid_dispatch_config', field: 'batch' });
    for (const [batch, field] of [
      [{ size: 0 }, 'batch.size'],
      [{ timeout: -1 }, 'batch.timeout'],
      [{ size: 10, maxBuffered: 5 }, 'batch.maxBuffered'],
      [{ concurrency: 1.5 }, 'batch.concurrency'],
      [{ sise: 10 }, 'batch.sise'],
      [7, 'batch'],
    ] as const) {
      const e = await rejection(bus.subscribe('a', { dispatch: { adapter: 'http', url, batch } }));
      expect(e).toMatchObject({ code: 'invalid_dispatch_config', field });
    }
    const list = await rejection(
      bus.subscribe('a', {
        dispatch: [{ adapter: 'logger' }, { adapter: 'http', url, batch: { size: -1 } }],
      }),
    );
    expect(list).toMatchObject({ code: 'dispatch_failed' });
    expect(bus.subscriptions()).toHaveLength(0);
  });
});

describe('SignalBatcher', () => {
  function gated(): {
    adapter: DispatchAdapter<unknown>;
    sent: number[];
    open: () => void;
  } {
    const sent: number[] = [];
    let release: (() => void)[] = [];
    return {
      sent,
      open: () => {
        for (const r of release) r();
        release = [];
      },
      adapter: {
        name: 'gated',
        validateOptions: () => ({}),
        deliver: () => undefined,
        deliverBatch: (signals: readonly Signal[]) => {
          sent.push(signals.length);
          return new Promise<void>((resolve) => release.push(resolve));
        },
      },
    };
  }

  it('bounds the buffer: beyond maxBuffered a delivery fails at once with queue_full; later ones are accepted again', async () => {
    const { adapter, sent, open } = gated();
    const dispatcher = new Dispatcher({ adapters: [adapter] });
    const batcher = new SignalBatcher(
      dispatcher,
      { adapter: 'gated' },
      'gated',
      'gated',
      resolveBatchOptions('gated', { size: 2, maxBuffered: 4, timeout: 5 }),
    );
    const accepted = [1, 2, 3, 4].map((i) => batcher.add(sig('t', { i })));
    const refused = await rejection(batcher.add(sig('t', { i: 5 })));
    expect(refused).toBeInstanceOf(BatchBufferFullError);
    expect(refused).toMatchObject({
      code: 'queue_full',
      retryable: true,
      details: { maxBuffered: 4 },
    });
    expect(sent).toEqual([2]); // concurrency 1: the second batch waits for the first
    open();
    await until(() => sent.length === 2);
    open();
    await Promise.all(accepted);
    expect(batcher.size).toBe(0);
    const again = batcher.add(sig('t'));
    batcher.drain();
    await until(() => sent.length === 3);
    open();
    await again;
    await dispatcher.close();
  });

  it('once drained, sends what is buffered at once and later bursts after one tick, still batched', async () => {
    const { adapter, sent, open } = gated();
    const dispatcher = new Dispatcher({ adapters: [adapter] });
    const batcher = new SignalBatcher(
      dispatcher,
      { adapter: 'gated' },
      'gated',
      'gated',
      resolveBatchOptions('gated', { size: 100, timeout: 60_000, concurrency: 4 }),
    );
    const first = [1, 2, 3].map((i) => batcher.add(sig('t', { i })));
    expect(sent).toEqual([]);
    batcher.drain();
    expect(sent).toEqual([3]);
    const burst = [4, 5, 6, 7, 8].map((i) => batcher.add(sig('t', { i })));
    expect(sent).toEqual([3]);
    await until(() => sent.length === 2);
    expect(sent).toEqual([3, 5]);
    open();
    await Promise.all([...first, ...burst]);
    await dispatcher.close();
  });

  it('takes a still-buffered signal out when its delivery aborts (ackTimeout)', async () => {
    const { adapter, sent, open } = gated();
    const dispatcher = new Dispatcher({ adapters: [adapter] });
    const batcher = new SignalBatcher(
      dispatcher,
      { adapter: 'gated' },
      'gated',
      'gated',
      resolveBatchOptions('gated', { size: 10, timeout: 30 }),
    );
    const delivery = new DeliveryController();
    const aborted = batcher.add(sig('t', 1), delivery);
    const kept = batcher.add(sig('t', 2));
    delivery.abort(new Error('ack timeout'));
    expect((await rejection(aborted)).code).toBe('dispatch_error');
    await until(() => sent.length === 1);
    expect(sent).toEqual([1]);
    open();
    await kept;
    await dispatcher.close();
  });
});
