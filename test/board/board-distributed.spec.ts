// The board on the distributed engines (local NATS JetStream at 127.0.0.1:4222, local Redis at
// 127.0.0.1:6379): it uses the bus API only, so the overview, live stream, DLQ redrive of one
// entry and replay work unchanged.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deleteTestStreams, NATS_URL, testPrefix } from '../helpers/nats.js';
import { deleteRedisKeys, REDIS_URL, redisTestPrefix } from '../helpers/redis.js';
import {
  PAYMENTS,
  startBoardFixture,
  type BoardFixture,
  type FixtureStore,
} from './board-fixture.js';
import { openSession, post, readSse, waitFor } from './board-http.js';

interface Engine {
  name: string;
  store: () => FixtureStore;
  cleanup: (store: FixtureStore) => Promise<unknown>;
}

const ENGINES: Engine[] = [
  {
    name: 'NATS JetStream',
    store: () => ({ type: 'jetstream', servers: NATS_URL, prefix: testPrefix('board') }),
    cleanup: (store) => deleteTestStreams((store as { prefix: string }).prefix),
  },
  {
    name: 'Redis Streams',
    store: () => ({ type: 'redis', url: REDIS_URL, prefix: redisTestPrefix('board') }),
    cleanup: (store) => deleteRedisKeys((store as { prefix: string }).prefix),
  },
];

interface Entry {
  id: string;
  signal: { data: { orderId: string } };
}

describe.each(ENGINES)('signal board on $name', (engine) => {
  let f: BoardFixture;
  const store = engine.store();

  // The helpers throw at import when their server is not reachable (never skipped).
  beforeAll(async () => {
    f = await startBoardFixture('express', undefined, store);
  }, 30_000);

  afterAll(async () => {
    await f?.close();
    await engine.cleanup(store);
  }, 30_000);

  it('streams, lists and redrives one DLQ entry, and replays, through the bus API', async () => {
    const board = `${f.url}/board`;
    const sse = await readSse(
      `${board}/api/buses/default/stream?pattern=payment.*`,
      (events) => events.some((e) => e.data.includes('"payment.seen"')),
      10_000,
      () => f.publish('payment.seen', { orderId: 'js-0' }),
    );
    expect(sse.events.some((e) => e.event === 'batch' && e.data.includes('js-0'))).toBe(true);
    await f.publish('payment.requested', { orderId: 'js-1' });
    await f.publish('payment.requested', { orderId: 'js-2' });

    const dlq = `${board}/api/buses/default/subscriptions/${PAYMENTS}/dlq`;
    /** The DLQ once it holds `count` entries. */
    const dlqOf = (count: number, what: string): Promise<Entry[]> =>
      waitFor(
        what,
        async () => {
          const list = (await (await fetch(dlq)).json()) as Entry[];
          return list.length === count ? list : undefined;
        },
        10_000,
        50,
      );
    const entries = await dlqOf(2, '2 DLQ entries');
    const overview = (await (await fetch(`${board}/api/overview`)).json()) as {
      buses: { name: string; dlqSize: number; health: { status: string } }[];
    };
    expect(overview.buses[0]).toMatchObject({
      name: 'default',
      dlqSize: 2,
      health: { status: 'degraded' },
    });

    f.payments.failing = false;
    const session = await openSession(board);
    const first = entries.find((e) => e.signal.data.orderId === 'js-1')!;
    const res = await post(`${dlq}/redrive`, { ids: [first.id] }, session);
    expect(await res.json()).toEqual({ redriven: 1, failed: 0 });
    const left = await dlqOf(1, 'the redriven entry to leave');
    expect(left[0].signal.data.orderId).toBe('js-2');

    const replay = (await (
      await fetch(`${board}/api/buses/default/replay?pattern=payment.requested`)
    ).json()) as { data: { orderId: string } }[];
    expect(replay.map((v) => v.data.orderId)).toEqual(['js-1', 'js-2']);
  }, 40_000);
});
