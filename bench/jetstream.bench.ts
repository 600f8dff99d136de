// Distributed engine (issue 8): publish → consume → ack through a SignalBus on JetStreamStore
// against a raw @nats-io/jetstream loop on the same server in the same run, and fan-out
// latency from one publisher to ordinary subscribers in 3 other Node processes.
// Needs NATS with JetStream on 127.0.0.1:4222.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { SignalBus } from '../lib/core/bus/signal-bus.js';
import { createSignal } from '../lib/core/signal/signal.js';
import { JetStreamStore } from '../lib/core/store/jetstream/jetstream.store.js';
import { system, type BenchCheck, type BenchRow, type BenchSection } from './harness.js';

const SERVERS = 'nats://127.0.0.1:4222';
const TOTAL = 10_000;
const BATCH = 1_000;
const here = dirname(fileURLToPath(import.meta.url));
let run = 0;

const signalBytes = (i: number): Uint8Array =>
  new TextEncoder().encode(JSON.stringify(createSignal('order.placed', { i, sku: 'book' })));

/** Raw client: a durable consumer acking every message, publishes pipelined per batch. */
async function raw(): Promise<void> {
  const nc = await connect({ servers: SERVERS });
  const jsm = await jetstreamManager(nc);
  const js = jsm.jetstream();
  const name = `BENCHRAW${process.pid}N${run++}`;
  const subject = `${name.toLowerCase()}.order.placed`;
  await jsm.streams.add({ name, subjects: [`${name.toLowerCase()}.>`] });
  await jsm.consumers.add(name, {
    durable_name: 'bench',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 1000,
  });
  const messages = await (await js.consumers.get(name, 'bench')).consume({ max_messages: 1000 });
  const consumed = (async () => {
    let n = 0;
    for await (const m of messages) {
      m.ack();
      if (++n === TOTAL) break;
    }
  })();
  const payloads = Array.from({ length: BATCH }, (_, i) => signalBytes(i));
  for (let sent = 0; sent < TOTAL; sent += BATCH) {
    await Promise.all(payloads.map((p) => js.publish(subject, p)));
  }
  await consumed;
  await jsm.streams.delete(name);
  await nc.close();
}

/** Ours: bus.publish of signal batches, a persistent autoAck subscription consuming. */
async function ours(): Promise<void> {
  const prefix = `benchjs${process.pid}n${run++}`;
  const store = await JetStreamStore.connect({ servers: SERVERS, prefix });
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
  await dropStreams(prefix);
  await store.close();
}

async function dropStreams(prefix: string): Promise<void> {
  const nc = await connect({ servers: SERVERS });
  const jsm = await jetstreamManager(nc);
  for await (const name of jsm.streams.names()) {
    if (name.toLowerCase().startsWith(prefix.toLowerCase())) await jsm.streams.delete(name);
  }
  await nc.close();
}

/** Fan-out latency: one publisher, 3 subscriber processes; ms from publish to handler. */
async function fanOut(count: number): Promise<number[]> {
  const prefix = `benchfan${process.pid}n${run++}`;
  const store = await JetStreamStore.connect({ servers: SERVERS, prefix });
  const bus = new SignalBus({ name: 'fan', store, maxLogSize: Infinity });
  await bus.ready();
  const latencies: number[] = [];
  const children: ChildProcess[] = [];
  let expected = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await Promise.all(
    [0, 1, 2].map(
      (i) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ['--import', '@swc-node/register/esm-register', join(here, 'fanout-worker.ts'), prefix],
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
  await dropStreams(prefix);
  await store.close();
  return latencies.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export default async function bench(): Promise<BenchSection> {
  const rawRow = await system('raw @nats-io/jetstream publish → consume → ack', TOTAL, raw, {
    runs: 3,
    note: `${TOTAL} messages, batches of ${BATCH}, max_ack_pending 1000, file storage`,
  });
  const ourRow = await system('SignalBus on JetStreamStore, persistent autoAck', TOTAL, ours, {
    runs: 3,
    note: 'same work plus signal serialization, log ids, matching and dispatch',
  });
  const ratio = rawRow.nsPerOp / ourRow.nsPerOp;
  const sorted = await fanOut(300);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  const rows: BenchRow[] = [
    rawRow,
    ourRow,
    { name: 'fan-out to 3 processes, p50 latency', nsPerOp: p50 * 1e6, note: '300 signals × 3' },
    { name: 'fan-out to 3 processes, p99 latency', nsPerOp: p99 * 1e6, note: '300 signals × 3' },
  ];
  const checks: BenchCheck[] = [
    {
      name: 'publish → consume → ack throughput vs raw @nats-io/jetstream',
      actual: `${(ratio * 100).toFixed(0)} %`,
      target: '≥ 50 %',
      pass: ratio >= 0.5,
    },
    {
      name: 'fan-out latency across 3 processes (p50 / p99)',
      actual: `${p50.toFixed(2)} / ${p99.toFixed(2)} ms`,
      target: 'reported',
      pass: true,
      info: true,
    },
  ];
  return { title: 'Distributed engine: NATS JetStream (127.0.0.1:4222)', rows, checks };
}
