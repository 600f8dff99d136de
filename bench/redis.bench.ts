// Distributed engine 2 (issue 18): publish → consume → ack through a SignalBus on RedisStore
// against a raw ioredis XADD / XREADGROUP / XACK loop and against BullMQ (add → worker →
// complete, the queue a Nest user would otherwise pick) on the same server in the same run,
// and fan-out latency from one publisher to ordinary subscribers in 3 other Node processes.
// Needs Redis on 127.0.0.1:6379; every key lives under a bench prefix and is deleted after.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { SignalBus } from '../lib/core/bus/signal-bus.js';
import { createSignal } from '../lib/core/signal/signal.js';
import { RedisStore } from '../lib/core/store/redis/redis.store.js';
import { fanOut, fanOutResults } from './fanout.js';
import { system, type BenchCheck, type BenchRow, type BenchSection } from './harness.js';

const URL = 'redis://127.0.0.1:6379';
const TOTAL = 10_000;
const BULL_TOTAL = 5_000;
const BATCH = 1_000;
let run = 0;

const body = (i: number): string =>
  JSON.stringify(createSignal('order.placed', { i, sku: 'book' }));

async function dropKeys(pattern: string): Promise<void> {
  const client = new Redis(URL);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
  client.disconnect();
}

/** Raw client: XADD pipelined per batch; one consumer XREADGROUP COUNT 1000 + XACK per batch. */
async function raw(): Promise<void> {
  const key = `jbench:raw${process.pid}n${run++}`;
  const producer = new Redis(URL);
  const consumer = new Redis(URL);
  await producer.xgroup('CREATE', key, 'bench', '0', 'MKSTREAM');
  const consumed = (async () => {
    let n = 0;
    while (n < TOTAL) {
      const reply = (await consumer.xreadgroup(
        'GROUP',
        'bench',
        'c',
        'COUNT',
        1000,
        'BLOCK',
        1000,
        'STREAMS',
        key,
        '>',
      )) as Array<[string, Array<[string, string[]]>]> | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      for (const [, fields] of entries) JSON.parse(fields[1]);
      await consumer.xack(key, 'bench', ...entries.map(([id]) => id));
      n += entries.length;
    }
  })();
  const payloads = Array.from({ length: BATCH }, (_, i) => body(i));
  for (let sent = 0; sent < TOTAL; sent += BATCH) {
    const pipeline = producer.pipeline();
    for (const p of payloads) pipeline.xadd(key, '*', 'd', p);
    await pipeline.exec();
  }
  await consumed;
  await producer.del(key);
  producer.disconnect();
  consumer.disconnect();
}

/** Ours: bus.publish of signal batches, a persistent autoAck subscription consuming. */
async function ours(): Promise<void> {
  const prefix = `jbench:ours${process.pid}n${run++}`;
  const store = await RedisStore.connect({ url: URL, prefix });
  const bus = new SignalBus({ name: 'bench', store, maxLogSize: Infinity });
  let handled = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  await bus.subscribe('order.*', {
    persistent: true,
    subscriptionId: 'bench',
    startFrom: 'origin',
    autoAck: true,
    maxInFlight: 1000,
    dispatch: () => {
      if (++handled === TOTAL) resolveAll();
    },
  });
  for (let sent = 0; sent < TOTAL; sent += BATCH) {
    await bus.publish(
      Array.from({ length: BATCH }, (_, i) => createSignal('order.placed', { i, sku: 'book' })),
    );
  }
  await all;
  await bus.close();
  await store.close();
  await dropKeys(`${prefix}:*`);
}

/** BullMQ: addBulk per batch, a worker (concurrency 100) completing every job. */
async function bull(): Promise<void> {
  const prefix = `jbench:bull${process.pid}n${run++}`;
  const connection = { host: '127.0.0.1', port: 6379 };
  const queue = new Queue('bench', { connection, prefix });
  let done = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const worker = new Worker(
    'bench',
    (job) => {
      JSON.parse(job.data as string);
      return Promise.resolve();
    },
    { connection, prefix, concurrency: 100, removeOnComplete: { count: 0 } },
  );
  worker.on('completed', () => {
    if (++done === BULL_TOTAL) resolveAll();
  });
  for (let sent = 0; sent < BULL_TOTAL; sent += BATCH) {
    await queue.addBulk(
      Array.from({ length: BATCH }, (_, i) => ({ name: 'order.placed', data: body(i) })),
    );
  }
  await all;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await dropKeys(`${prefix}:*`);
}

export default async function bench(): Promise<BenchSection> {
  const rawRow = await system('raw ioredis XADD → XREADGROUP → XACK', TOTAL, raw, {
    runs: 3,
    note: `${TOTAL} entries, XADD pipelined in batches of ${BATCH}, reads of 1000, one XACK per read`,
  });
  const ourRow = await system('SignalBus on RedisStore, persistent autoAck', TOTAL, ours, {
    runs: 3,
    note: 'same work plus signal serialization, log ids, matching, dispatch, in-flight bound',
  });
  const bullRow = await system('BullMQ add → worker → complete', BULL_TOTAL, bull, {
    runs: 3,
    note: `${BULL_TOTAL} jobs, addBulk of ${BATCH}, worker concurrency 100`,
  });
  const ratio = rawRow.nsPerOp / ourRow.nsPerOp;
  const vsBull = bullRow.nsPerOp / ourRow.nsPerOp;
  const fan = fanOutResults(
    await fanOut('redis', `jbench:fan${process.pid}n${run++}`, 300, (prefix) =>
      dropKeys(`${prefix}:*`),
    ),
    300,
    ' on Redis',
  );
  const rows: BenchRow[] = [rawRow, ourRow, bullRow, ...fan.rows];
  const checks: BenchCheck[] = [
    {
      name: 'publish → consume → ack throughput vs raw ioredis XADD/XREADGROUP/XACK',
      actual: `${(ratio * 100).toFixed(0)} %`,
      target: '≥ 50 %',
      pass: ratio >= 0.5,
    },
    {
      name: 'publish → consume → ack throughput vs BullMQ add → worker → complete',
      actual: `${vsBull.toFixed(2)}×`,
      target: 'reported',
      pass: true,
      info: true,
    },
    fan.check,
  ];
  return { title: 'Distributed engine: Redis Streams (127.0.0.1:6379)', rows, checks };
}
