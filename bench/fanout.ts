// Fan-out latency of a distributed engine, shared by jetstream.bench.ts and redis.bench.ts: one
// publisher, ordinary subscribers in 3 other Node processes (fanout-worker.ts), ms from publish
// to handler.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignalBus } from '../lib/core/bus/signal-bus.js';
import { createSignal } from '../lib/core/signal/signal.js';
import type { DistributedSignalStore } from '../lib/core/store/distributed-store.interface.js';
import type { BenchCheck, BenchRow } from './harness.js';

/** The engines of the fan-out bench. */
export type FanOutEngine = 'jetstream' | 'redis';

const here = dirname(fileURLToPath(import.meta.url));

/** A store of `engine` on the local server under `prefix` (the bench and its workers). */
export async function connectFanOutStore(
  engine: FanOutEngine,
  prefix: string,
): Promise<DistributedSignalStore> {
  if (engine === 'jetstream') {
    const { JetStreamStore } = await import('../lib/core/store/jetstream/jetstream.store.js');
    return JetStreamStore.connect({ servers: 'nats://127.0.0.1:4222', prefix });
  }
  const { RedisStore } = await import('../lib/core/store/redis/redis.store.js');
  return RedisStore.connect({ url: 'redis://127.0.0.1:6379', prefix });
}

/**
 * Publish `count` signals on `engine` under `prefix` to 3 subscriber processes, then remove
 * what the run stored with `drop`.
 * @returns the latencies in ms, sorted
 */
export async function fanOut(
  engine: FanOutEngine,
  prefix: string,
  count: number,
  drop: (prefix: string) => Promise<void>,
): Promise<number[]> {
  const store = await connectFanOutStore(engine, prefix);
  const bus = new SignalBus({ name: 'fan', store, maxLogSize: Infinity });
  await bus.ready();
  const latencies: number[] = [];
  const children: ChildProcess[] = [];
  let expected = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const worker = join(here, 'fanout-worker.ts');
  await Promise.all(
    [0, 1, 2].map(
      (i) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ['--import', '@swc-node/register/esm-register', worker, engine, prefix],
            { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
          );
          children[i] = child;
          let buffer = '';
          child.stdout.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, nl);
              buffer = buffer.slice(nl + 1);
              if (line === 'ready') resolve();
              else if (line.startsWith('lat ')) {
                latencies.push(Number(line.slice(4)));
                if (latencies.length === expected) done();
              }
            }
          });
          child.once('exit', (code) => reject(new Error(`fan-out worker exited with ${code}`)));
        }),
    ),
  );
  expected = count * 3;
  for (let i = 0; i < count; i++) {
    await bus.publish(createSignal('fan.out', { at: performance.timeOrigin + performance.now() }));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await finished;
  for (const child of children) {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
  }
  await bus.close();
  await store.close();
  await drop(prefix);
  return latencies.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * The p50 / p99 rows and the (informational) check of a {@link fanOut} run of `count` signals;
 * `where` ends the check's name (`' on Redis'`).
 */
export function fanOutResults(
  sorted: number[],
  count: number,
  where = '',
): { rows: BenchRow[]; check: BenchCheck } {
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  const note = `${count} signals × 3`;
  return {
    rows: [
      { name: 'fan-out to 3 processes, p50 latency', nsPerOp: p50 * 1e6, note },
      { name: 'fan-out to 3 processes, p99 latency', nsPerOp: p99 * 1e6, note },
    ],
    check: {
      name: `fan-out latency across 3 processes${where} (p50 / p99)`,
      actual: `${p50.toFixed(2)} / ${p99.toFixed(2)} ms`,
      target: 'reported',
      pass: true,
      info: true,
    },
  };
}
