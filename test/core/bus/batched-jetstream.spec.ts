// Batched http targets on the remote persistent engine (a bus over JetStreamStore against
// the local NATS server, 127.0.0.1:4222): a batch's signals are acked when the batch request
// succeeds, and batches that keep failing dead-letter each of their signals.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { fromHttp } from '../../../lib/core/signal/serialization/http.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { JetStreamStore } from '../../../lib/core/store/jetstream/jetstream.store.js';
import { deleteTestStreams, NATS_URL, testPrefix } from '../../helpers/nats.js';
import { startServer, type TestServer } from '../dispatch/http-test-server.js';
import { sig, sleep } from './helpers.js';

const prefix = testPrefix('batch');
const stores: JetStreamStore[] = [];
const buses: SignalBus[] = [];
let server: TestServer;
let seq = 0;

async function newBus(): Promise<SignalBus> {
  const store = await JetStreamStore.connect({ servers: NATS_URL, prefix });
  stores.push(store);
  const bus = new SignalBus({ name: `bb${seq++}`, store, maxLogSize: Infinity });
  buses.push(bus);
  return bus;
}

async function until(check: () => Promise<boolean>, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

function ids(req: TestServer['requests'][number]): string[] {
  return (fromHttp({ headers: req.headers, body: req.body }) as Signal[]).map((s) => s.id);
}

beforeAll(async () => {
  server = await startServer();
});
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 5_000 })));
  await Promise.all(stores.splice(0).map((s) => s.close()));
  server.requests.length = 0;
}, 20_000);
afterAll(async () => {
  await server.close();
  await deleteTestStreams(prefix);
}, 30_000);

describe('batched http target on a JetStream-backed persistent subscription', () => {
  it('acks the signals of a batch once it succeeds, after the target recovered', async () => {
    const bus = await newBus();
    let calls = 0;
    server.handle((_req, res) => {
      calls++;
      res.statusCode = calls === 1 ? 503 : 200;
      res.end();
    });
    await bus.subscribe('order.*', {
      persistent: true,
      subscriptionId: 'orders',
      autoAck: true,
      maxAttempts: 4,
      backoff: { type: 'fixed', interval: 50 },
      dispatch: {
        adapter: 'http',
        url: `${server.origin}/o`,
        retry: false,
        circuitBreaker: false,
        batch: { size: 6, timeout: 200 },
      },
    });
    const published = await Promise.all(
      Array.from({ length: 6 }, (_, i) => bus.publish(sig('order.placed', { i }))),
    );
    const sent = published.flat().map((e) => e.signal.id);
    await until(async () => {
      const sub = (await bus.stats()).subscriptions.find((s) => s.id === 'orders');
      return sub?.persistence?.acked === 6;
    });
    const delivered = new Set(server.requests.slice(1).flatMap(ids));
    expect([...delivered].sort()).toEqual([...sent].sort());
    expect(await bus.dlq.list('orders')).toHaveLength(0);
  }, 30_000);

  it('dead-letters every signal of batches that fail past maxAttempts', async () => {
    const bus = await newBus();
    server.handle((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    await bus.subscribe('audit.*', {
      persistent: true,
      subscriptionId: 'audit',
      autoAck: true,
      maxAttempts: 2,
      backoff: { type: 'fixed', interval: 50 },
      dispatch: {
        adapter: 'http',
        url: `${server.origin}/a`,
        retry: false,
        circuitBreaker: false,
        batch: { size: 3, timeout: 200 },
      },
    });
    const published = await Promise.all(
      Array.from({ length: 3 }, (_, i) => bus.publish(sig('audit.event', { i }))),
    );
    await until(async () => (await bus.dlq.list('audit')).length === 3);
    const dead = await bus.dlq.list('audit');
    expect(dead.map((d) => d.signal.id).sort()).toEqual(
      published
        .flat()
        .map((e) => e.signal.id)
        .sort(),
    );
    for (const d of dead) expect(d.lastError).toMatchObject({ code: 'status_error' });
    // Every request carried a batch (never one request per signal).
    expect(server.requests.every((r) => ids(r).length >= 1)).toBe(true);
    expect(server.requests.length).toBeLessThan(6);
  }, 30_000);
});
