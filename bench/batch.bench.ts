// Batched delivery (issue 20): 10,000 signals to one local HTTP server in CloudEvents batches
// of 100 versus one request per signal — same dispatcher, same connection pool, same
// concurrency, same run; plus a bus subscription with a batched http target.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignalBus } from '../lib/core/bus/signal-bus.js';
import { Dispatcher } from '../lib/core/dispatch/dispatcher.js';
import { createSignal, type Signal } from '../lib/core/signal/signal.js';
import { fasterBy, type BenchRow, type BenchSection } from './harness.js';

const SIGNALS = 10_000;
const BATCH = 100;
const ROUNDS = 3;
const CONCURRENCY = 32;

/** A server that reads every body and answers 204; counts the signals it received. */
async function ingestServer(): Promise<{
  url: string;
  received: () => number;
  close: () => Promise<void>;
}> {
  let received = 0;
  const server = createServer((req, res) => {
    const batch = (req.headers['content-type'] ?? '').includes('batch');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Count what arrived (the batch's length, without full parsing cost skewing either side).
      received += batch
        ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[]).length
        : 1;
      res.statusCode = 204;
      res.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/ingest`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function interleaved(
  candidates: readonly { name: string; run: () => Promise<void> }[],
  ops: number,
  rounds: number,
  note: string,
): Promise<BenchRow[]> {
  for (const c of candidates) await c.run();
  const samples = candidates.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < candidates.length; k++) {
      const i = (r + k) % candidates.length;
      const start = process.hrtime.bigint();
      await candidates[i].run();
      samples[i].push(Number(process.hrtime.bigint() - start) / ops);
    }
  }
  return candidates.map((c, i) => {
    const sorted = samples[i].sort((a, b) => a - b);
    return { name: c.name, nsPerOp: sorted[Math.floor(sorted.length / 2)], note };
  });
}

export default async function batchBench(): Promise<BenchSection> {
  const server = await ingestServer();
  const dispatcher = new Dispatcher({ maxConcurrency: CONCURRENCY });
  const config = { adapter: 'http', url: server.url, retry: false, circuitBreaker: false } as const;
  const signals: Signal[] = Array.from({ length: SIGNALS }, (_, i) =>
    createSignal('metric.recorded', { host: 'web-1', cpu: i % 100, i }, { source: '/bench' }),
  );
  const expectAll = async (run: () => Promise<unknown>): Promise<void> => {
    const before = server.received();
    await run();
    if (server.received() - before !== SIGNALS) throw new Error('batch bench: signals were lost');
  };

  const bus = new SignalBus({ name: 'batch-bench', dispatcher });
  await bus.subscribe('metric.**', {
    dispatch: {
      ...config,
      batch: { size: BATCH, timeout: 50, maxBuffered: SIGNALS, concurrency: 4 },
    },
  });

  const rows = await interleaved(
    [
      {
        name: `dispatchMany: ${SIGNALS.toLocaleString('en-US')} signals, batches of ${BATCH} (per signal)`,
        run: () =>
          expectAll(async () => {
            const r = await dispatcher.dispatchMany(signals, config, { batchSize: BATCH });
            if (r.delivered !== SIGNALS) throw new Error('batch bench: delivery failed');
          }),
      },
      {
        name: `dispatchMany: ${SIGNALS.toLocaleString('en-US')} signals, one request each (per signal)`,
        run: () =>
          expectAll(async () => {
            const r = await dispatcher.dispatchMany(signals, config, { batchSize: 1 });
            if (r.delivered !== SIGNALS) throw new Error('batch bench: delivery failed');
          }),
      },
      {
        name: `dispatch: ${SIGNALS.toLocaleString('en-US')} × one signal, ${CONCURRENCY} in flight (per signal)`,
        run: () =>
          expectAll(async () => {
            let next = 0;
            const worker = async (): Promise<void> => {
              while (next < SIGNALS) await dispatcher.dispatch(signals[next++], config);
            };
            await Promise.all(Array.from({ length: CONCURRENCY }, worker));
          }),
      },
      {
        name: `bus subscription, http batch { size: ${BATCH} }: ${SIGNALS.toLocaleString('en-US')} publishes (per signal)`,
        run: () =>
          expectAll(async () => {
            await Promise.all(signals.map((s) => bus.publish(s)));
          }),
      },
    ],
    SIGNALS,
    ROUNDS,
    `local node:http server, ${CONCURRENCY} requests in flight at most`,
  );
  await bus.close();
  await dispatcher.close();
  await server.close();
  const [batched, singleMany, singleDispatch, subscription] = rows;
  // The faster of the two one-request-per-signal paths is the baseline.
  const single = singleMany.nsPerOp <= singleDispatch.nsPerOp ? singleMany : singleDispatch;
  return {
    title: 'Batched delivery (issue 20)',
    rows,
    checks: [
      fasterBy('batches of 100 vs one request per signal (throughput)', batched, single, 10),
      {
        ...fasterBy(
          'batched subscription vs one request per signal (throughput)',
          subscription,
          single,
          1,
        ),
        info: true,
      },
    ],
  };
}
