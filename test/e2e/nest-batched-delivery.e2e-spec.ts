import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { fromHttp } from '../../lib/core/signal/serialization/http.js';
import { createSignal, type Signal } from '../../lib/core/signal/signal.js';
import { JidoSignalModule, getSignalBusToken } from '../../lib/nest/index.js';
import { startServer, type TestServer } from '../core/dispatch/http-test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('batched http targets and Nest shutdown (e2e)', () => {
  it('app.close() sends the signals still buffered before the application finishes closing', async () => {
    const app = await Test.createTestingModule({ imports: [JidoSignalModule.forRoot()] }).compile();
    await app.init();
    const bus = app.get<SignalBus>(getSignalBusToken());
    await bus.subscribe('metric.**', {
      dispatch: {
        adapter: 'http',
        url: `${server.origin}/ingest`,
        batch: { size: 1000, timeout: 60_000 },
      },
    });
    const signals = Array.from({ length: 7 }, (_, i) => createSignal('metric.cpu', { i }));
    // Not awaited: each publish settles with its batch, which only the shutdown flushes.
    const publishes = signals.map((s) => bus.publish(s));
    expect(server.requests).toHaveLength(0);
    await app.close();
    await Promise.all(publishes);
    expect(server.requests).toHaveLength(1);
    const received = fromHttp({
      headers: server.requests[0].headers,
      body: server.requests[0].body,
    }) as Signal[];
    expect(received.map((s) => s.id)).toEqual(signals.map((s) => s.id));
  });
});
