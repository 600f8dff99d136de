// Distributed engine (issue 8): publish → consume → ack through a SignalBus on JetStreamStore
// against a raw @nats-io/jetstream loop on the same server in the same run, and fan-out
// latency from one publisher to ordinary subscribers in 3 other Node processes.
// Needs NATS with JetStream on 127.0.0.1:4222.
import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { SignalBus } from '../lib/core/bus/signal-bus.js';
import { createSignal } from '../lib/core/signal/signal.js';
import { JetStreamStore } from '../lib/core/store/jetstream/jetstream.store.js';
import { fanOut, fanOutResults } from './fanout.js';
import { system, type BenchCheck, type BenchRow, type BenchSection } from './harness.js';

const SERVERS = 'nats://127.0.0.1:4222';
const TOTAL = 10_000;
const BATCH = 1_000;
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
  const fan = fanOutResults(
    await fanOut('jetstream', `benchfan${process.pid}n${run++}`, 300, dropStreams),
    300,
  );
  const rows: BenchRow[] = [rawRow, ourRow, ...fan.rows];
  const checks: BenchCheck[] = [
    {
      name: 'publish → consume → ack throughput vs raw @nats-io/jetstream',
      actual: `${(ratio * 100).toFixed(0)} %`,
      target: '≥ 50 %',
      pass: ratio >= 0.5,
    },
    fan.check,
  ];
  return { title: 'Distributed engine: NATS JetStream (127.0.0.1:4222)', rows, checks };
}
