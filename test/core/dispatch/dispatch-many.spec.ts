import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { HTTP } from 'cloudevents';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type {
  DeliveryContext,
  DeliveryFailure,
  DispatchAdapter,
} from '../../../lib/core/dispatch/adapter.interface.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import type { DispatchTelemetryMessage } from '../../../lib/core/dispatch/dispatch-telemetry.js';
import { verifyWebhook } from '../../../lib/core/dispatch/webhook-signature.js';
import { DispatchAggregateError } from '../../../lib/core/errors/dispatch.error.js';
import { fromHttp } from '../../../lib/core/signal/serialization/http.js';
import { createSignal, Signal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { rejection } from '../../helpers/errors.js';
import { startServer, type TestServer } from './http-test-server.js';

const NO_RETRY = { maxAttempts: 1 } as const;

function signals(n: number, type = 'metric.recorded'): Signal[] {
  return Array.from({ length: n }, (_, i) => createSignal(type, { i }));
}

describe('Dispatcher.dispatchMany', () => {
  let server: TestServer;
  let dispatcher: Dispatcher;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());
  afterEach(async () => {
    server.requests.length = 0;
    server.handle((_req, res) => res.end('ok'));
    await dispatcher?.close();
  });

  it('sends one CloudEvents batch request per batchSize signals to an http target', async () => {
    dispatcher = new Dispatcher();
    const list = signals(250);
    const result = await dispatcher.dispatchMany(
      list,
      { adapter: 'http', url: `${server.origin}/bulk` },
      { batchSize: 100 },
    );
    expect(result).toMatchObject({ delivered: 250, failed: [], requests: 3 });
    expect(result.outcomes).toHaveLength(250);
    expect(result.outcomes.every((o) => o === undefined)).toBe(true);
    expect(Object.keys(result.outcomes)).toHaveLength(250); // dense: one entry per signal
    expect(server.requests).toHaveLength(3);
    const sizes = server.requests.map((r) => (JSON.parse(r.body) as unknown[]).length).sort();
    expect(sizes).toEqual([100, 100, 50].sort());
    for (const req of server.requests) {
      expect(req.headers['content-type']).toBe('application/cloudevents-batch+json; charset=utf-8');
    }
    // Every signal arrived exactly once, decodable by our own decoder.
    const ids = server.requests.flatMap((r) =>
      (fromHttp({ headers: r.headers, body: r.body }) as Signal[]).map((s) => s.id),
    );
    expect(ids.sort()).toEqual(list.map((s) => s.id).sort());
  });

  it('produces a batch body the official cloudevents SDK parses', async () => {
    dispatcher = new Dispatcher();
    const list = [
      createSignal('order.created', { id: 1 }, { subject: 'orders/1' }),
      createSignal('order.paid', { id: 1, amount: 9.5 }),
    ];
    await dispatcher.dispatchMany(list, { adapter: 'http', url: `${server.origin}/ce` });
    const req = server.requests[0];
    const events = HTTP.toEvent({ headers: req.headers, body: req.body });
    expect(Array.isArray(events)).toBe(true);
    const parsed = events as { id: string; type: string; data?: unknown; subject?: string }[];
    expect(parsed.map((e) => [e.id, e.type])).toEqual(list.map((s) => [s.id, s.type]));
    expect(parsed[0].subject).toBe('orders/1');
    expect(parsed[1].data).toEqual({ id: 1, amount: 9.5 });
  });

  it('signs a webhook batch body; verifyWebhook and fromHttp accept it on the receiving side', async () => {
    dispatcher = new Dispatcher();
    const secret = 'whsec_' + Buffer.from('batch-secret-0123456789').toString('base64');
    const list = signals(3, 'invoice.paid');
    const result = await dispatcher.dispatchMany(list, {
      adapter: 'webhook',
      url: `${server.origin}/hook`,
      secret,
    });
    expect(result.delivered).toBe(3);
    const req = server.requests[0];
    const verified = verifyWebhook(req.body, req.headers, secret);
    expect(verified.id).toMatch(/^batch_[A-Za-z0-9_-]{24}$/);
    expect(req.headers['x-webhook-event']).toBe('invoice.paid');
    const received = fromHttp({ headers: req.headers, body: req.body }) as Signal[];
    expect(received.map((s) => s.id)).toEqual(list.map((s) => s.id));
    // A tampered batch body does not verify.
    const tampered = req.body.replace('"i":0', '"i":7');
    expect(() => verifyWebhook(tampered, req.headers, secret)).toThrow(
      expect.objectContaining({ code: 'invalid_webhook_signature' }),
    );
    // Same signals, same order → same webhook-id (receivers can de-duplicate a resend).
    await dispatcher.dispatchMany(list, {
      adapter: 'webhook',
      url: `${server.origin}/hook`,
      secret,
    });
    expect(server.requests[1].headers['webhook-id']).toBe(req.headers['webhook-id']);
    // A mixed batch carries no event-type header.
    await dispatcher.dispatchMany([list[0], createSignal('other.type')], {
      adapter: 'webhook',
      url: `${server.origin}/hook`,
      secret,
    });
    expect(server.requests[2].headers['x-webhook-event']).toBeUndefined();
  });

  it('reports every signal of a failed batch with the typed error, and retries the batch as a whole', async () => {
    dispatcher = new Dispatcher();
    let calls = 0;
    server.handle((_req, res) => {
      calls++;
      res.statusCode = calls === 1 ? 503 : 200;
      res.end();
    });
    const list = signals(4);
    const recovered = await dispatcher.dispatchMany(list, {
      adapter: 'http',
      url: `${server.origin}/flaky`,
      retry: { maxAttempts: 2, baseDelay: 1, jitter: false },
    });
    expect(recovered.delivered).toBe(4);
    expect(server.requests.map((r) => (JSON.parse(r.body) as unknown[]).length)).toEqual([4, 4]);

    server.handle((_req, res) => {
      res.statusCode = 422;
      res.end('bad');
    });
    const failed = await dispatcher.dispatchMany(list, {
      adapter: 'http',
      url: `${server.origin}/reject`,
      retry: NO_RETRY,
    });
    expect(failed.delivered).toBe(0);
    expect(failed.failed.map((f) => [f.signalIndex, f.signalId, f.index, f.error.code])).toEqual(
      list.map((s, i) => [i, s.id, 0, 'status_error']),
    );
    expect(failed.outcomes.every((o) => o?.code === 'status_error')).toBe(true);
  });

  it('runs batch requests through the target circuit: an open circuit fails the next batch without a request', async () => {
    dispatcher = new Dispatcher();
    server.handle((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    const config = {
      adapter: 'http',
      url: `${server.origin}/cb`,
      retry: NO_RETRY,
      circuitBreaker: { threshold: 1, windowMs: 10_000, halfOpenAfter: 60_000 },
    };
    const first = await dispatcher.dispatchMany(signals(3), config);
    expect(first.failed.map((f) => f.error.code)).toEqual(Array(3).fill('status_error'));
    const second = await dispatcher.dispatchMany(signals(3), config);
    expect(second.failed.map((f) => f.error.code)).toEqual(Array(3).fill('circuit_open'));
    expect(server.requests).toHaveLength(1);
  });

  it('explains that `batch` belongs to subscriptions when given to a direct dispatch', async () => {
    dispatcher = new Dispatcher();
    const e = await rejection(
      dispatcher.dispatch(createSignal('x'), {
        adapter: 'http',
        url: `${server.origin}/x`,
        batch: { size: 10 },
      }),
    );
    expect(e).toMatchObject({ code: 'invalid_dispatch_config', field: 'batch' });
    expect(e.message).toMatch(/dispatchMany/);
  });

  it('keeps per-signal delivery for adapters without deliverBatch, and mixes targets', async () => {
    dispatcher = new Dispatcher();
    const seen: string[] = [];
    const perSignal: Omit<DispatchAdapter<unknown>, 'name'> = {
      validateOptions: () => ({}),
      deliver: (s: Signal) => {
        if ((s.data as { i: number }).i === 1) throw new Error('no');
        seen.push(s.id);
      },
    };
    const list = signals(3);
    const result = await dispatcher.dispatchMany(list, [
      { adapter: 'http', url: `${server.origin}/a`, retry: NO_RETRY },
      { adapter: perSignal },
      { adapter: 'nope' },
    ]);
    expect(result.requests).toBe(1 + 3);
    expect(seen).toEqual([list[0].id, list[2].id]);
    expect(result.delivered).toBe(0); // the unknown adapter fails every signal
    const second = result.outcomes[1];
    expect(second).toBeInstanceOf(DispatchAggregateError);
    expect((second as DispatchAggregateError).failures.map((f) => f.index)).toEqual([1, 2]);
    expect(result.outcomes[0]?.code).toBe('invalid_dispatch_config');
  });

  it('uses custom deliverBatch outcomes per signal and sends fallbacks the failed ones', async () => {
    const batches: number[] = [];
    const custom: DispatchAdapter<unknown> = {
      name: 'bulk',
      validateOptions: () => ({}),
      deliver: () => {
        throw new Error('deliver must not be called');
      },
      deliverBatch: (list: readonly Signal[]) => {
        batches.push(list.length);
        return list.map((s, i) => (i % 2 === 1 ? new Error(`rejected ${s.id}`) : undefined));
      },
    };
    dispatcher = new Dispatcher({ adapters: [custom] });
    const dead: Signal[] = [];
    const why: (DeliveryFailure | undefined)[] = [];
    const deadLetters: Omit<DispatchAdapter<unknown>, 'name'> = {
      validateOptions: () => ({}),
      deliver: (s: Signal, _o: unknown, ctx: DeliveryContext) => {
        dead.push(s);
        why.push(ctx.failure);
      },
    };
    const list = signals(5);
    const result = await dispatcher.dispatchMany(
      list,
      { adapter: 'bulk', onFailure: { adapter: deadLetters } },
      { batchSize: 2 },
    );
    expect(batches).toEqual([2, 2, 1]);
    expect(result.failed.map((f) => f.signalIndex)).toEqual([1, 3]);
    expect(result.failed[0].error.code).toBe('dispatch_error');
    expect(dead.map((s) => s.id)).toEqual([list[1].id, list[3].id]);
    expect(dead[0].extensions.dispatchadapter).toBe('bulk');
    expect(why[0]).toMatchObject({ adapter: 'bulk', error: { code: 'dispatch_error' } });
  });

  it('publishes a list to a bus once and hands pid receivers the list in order', async () => {
    const published: (Signal | readonly Signal[])[] = [];
    dispatcher = new Dispatcher({
      buses: new Map([['main', { publish: (s: Signal | readonly Signal[]) => published.push(s) }]]),
    });
    const got: string[] = [];
    const list = signals(3);
    const result = await dispatcher.dispatchMany(list, [
      { adapter: 'bus', bus: 'main' },
      { adapter: 'pid', target: (s: Signal) => got.push(s.id), deliveryMode: 'sync' },
    ]);
    expect(result).toMatchObject({ delivered: 3, requests: 2 });
    expect(published).toHaveLength(1);
    expect((published[0] as Signal[]).map((s) => s.id)).toEqual(list.map((s) => s.id));
    expect(got).toEqual(list.map((s) => s.id));
  });

  it('emits one dispatch telemetry message per batch request, with batchSize', async () => {
    dispatcher = new Dispatcher();
    const ends: DispatchTelemetryMessage[] = [];
    const listener = (m: unknown): void => {
      ends.push(m as DispatchTelemetryMessage);
    };
    subscribe(TelemetryChannel.DispatchEnd, listener);
    try {
      await dispatcher.dispatchMany(signals(5), { adapter: 'http', url: `${server.origin}/t` });
    } finally {
      unsubscribe(TelemetryChannel.DispatchEnd, listener);
    }
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ adapter: 'http', batchSize: 5, outcome: 'ok' });
  });

  it('cancels: unstarted and in-flight batches fail with the cancellation, nothing hangs', async () => {
    dispatcher = new Dispatcher();
    server.handle(() => {
      // never answers
    });
    const controller = new AbortController();
    const pending = dispatcher.dispatchMany(
      signals(4),
      { adapter: 'http', url: `${server.origin}/slow`, retry: NO_RETRY },
      { batchSize: 2, maxConcurrency: 1, signal: controller.signal },
    );
    await server.waitForRequests(1);
    controller.abort();
    const result = await pending;
    expect(result.delivered).toBe(0);
    expect(result.failed.every((f) => f.error.code === 'cancelled')).toBe(true);
    expect(result.requests).toBe(1);
  });

  it('rejects bad arguments with typed errors', async () => {
    dispatcher = new Dispatcher();
    const config = { adapter: 'noop' };
    expect((await rejection(dispatcher.dispatchMany('x' as never, config))).code).toBe(
      'invalid_signal',
    );
    const notSignal = await rejection(
      dispatcher.dispatchMany([createSignal('a'), { type: 'b' }] as never, config),
    );
    expect(notSignal).toMatchObject({ code: 'invalid_signal', field: 'signals[1]' });
    expect((await rejection(dispatcher.dispatchMany([], []))).code).toBe('invalid_dispatch_config');
    const size = await rejection(dispatcher.dispatchMany([], config, { batchSize: 0 }));
    expect(size).toMatchObject({ code: 'invalid_dispatch_config', field: 'batchSize' });
    await dispatcher.close();
    expect((await rejection(dispatcher.dispatchMany([], config))).code).toBe('closed');
  });
});
