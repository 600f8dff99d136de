// Persistent subscriptions: acked throughput and a bounded-memory overflow burst.
import { SignalBus } from '../lib/core/bus/signal-bus.js';
import { isJidoSignalError } from '../lib/core/errors/jido-signal.error.js';
import { createSignal, type Signal } from '../lib/core/signal/signal.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  atMost,
  fasterBy,
  roundsRow,
  system,
  type BenchCheck,
  type BenchRow,
  type BenchSection,
} from './harness.js';

const BATCH = 1000;

/** publish → deliver → ack, `total` signals in batches of `BATCH`, maxInFlight 1000. */
async function ackedThroughput(total: number): Promise<void> {
  const bus = new SignalBus({ name: 'bench-persistent', maxLogSize: 10_000 });
  const delivered: string[] = [];
  await bus.subscribe('order.*', {
    persistent: true,
    subscriptionId: 'bench',
    maxInFlight: 1000,
    dispatch: (signal: Signal) => {
      delivered.push(signal.id);
    },
  });
  const batch = Array.from({ length: BATCH }, (_, i) => createSignal('order.placed', { i }));
  for (let sent = 0; sent < total; sent += BATCH) {
    await bus.publish(batch);
    await bus.ack('bench', delivered);
    delivered.length = 0;
  }
  await bus.close();
}

/** publish → deliver → autoAck, `total` signals in batches of `BATCH` (what `@OnSignal` persistent does). */
async function autoAckedThroughput(total: number): Promise<void> {
  const bus = new SignalBus({ name: 'bench-persistent-auto', maxLogSize: 10_000 });
  let delivered = 0;
  await bus.subscribe('order.*', {
    persistent: true,
    subscriptionId: 'bench',
    maxInFlight: 1000,
    autoAck: true,
    dispatch: async () => {
      delivered++;
    },
  });
  const batch = Array.from({ length: BATCH }, (_, i) => createSignal('order.placed', { i }));
  for (let sent = 0; sent < total; sent += BATCH) await bus.publish(batch);
  const { subscriptions } = await bus.stats();
  await bus.close();
  const acked = subscriptions[0]?.persistence?.acked;
  if (delivered !== total || acked !== total) {
    throw new Error(`autoAck bench: ${delivered} delivered, ${String(acked)} acked of ${total}`);
  }
}

/**
 * One awaited publish at a time to one async handler: a persistent autoAck subscription
 * against an ordinary one, interleaved (a round of each, alternating who goes first), after
 * a GC each; median ns per publish of `rounds` rounds of `ops` publishes.
 */
async function singlePublish(
  ops: number,
  rounds = 7,
): Promise<{ persistent: BenchRow; ordinary: BenchRow }> {
  const gc = ((): (() => void) => {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  })();
  let n = 0;
  const handler = async (): Promise<void> => {
    n++;
  };
  const persistentBus = new SignalBus({ name: 'bench-single-persistent' });
  await persistentBus.subscribe('order.*', {
    persistent: true,
    subscriptionId: 'single',
    autoAck: true,
    dispatch: handler,
  });
  const ordinaryBus = new SignalBus({ name: 'bench-single-ordinary' });
  await ordinaryBus.subscribe('order.*', handler);
  const buses = [persistentBus, ordinaryBus];
  const samples: number[][] = [[], []];
  const signal = createSignal('order.placed', { i: 1 });
  for (let round = 0; round <= rounds; round++) {
    for (let k = 0; k < 2; k++) {
      const index = (k + round) % 2;
      const bus = buses[index];
      gc();
      for (let i = 0; i < ops / 5; i++) await bus.publish(signal);
      const start = process.hrtime.bigint();
      for (let i = 0; i < ops; i++) await bus.publish(signal);
      if (round > 0) samples[index].push(Number(process.hrtime.bigint() - start) / ops);
    }
  }
  const { subscriptions } = await persistentBus.stats();
  const acked = subscriptions[0]?.persistence?.acked ?? 0;
  await persistentBus.close();
  await ordinaryBus.close();
  const expected = 2 * (rounds + 1) * (ops + Math.ceil(ops / 5));
  if (n !== expected || acked !== expected / 2) {
    throw new Error(`single-publish bench: ${n} deliveries, ${acked} acked, ${expected} expected`);
  }
  return {
    persistent: roundsRow(
      'persistent (autoAck): await publish(), one at a time, 1 async handler',
      samples[0],
    ),
    ordinary: roundsRow(
      'ordinary subscription: await publish(), one at a time, same handler (the non-persistent path)',
      samples[1],
    ),
  };
}

/** 1,000,000 signals published in batches with nobody acking: maxPending bounds memory. */
async function burst(
  total: number,
): Promise<{ rejected: number; accepted: number; peakRss: number; typed: boolean }> {
  const bus = new SignalBus({ name: 'bench-burst', maxLogSize: 20_000 });
  await bus.subscribe('burst.*', {
    persistent: true,
    subscriptionId: 'burst',
    maxInFlight: 1000,
    maxPending: 10_000,
    dispatch: () => undefined,
  });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 5);
  let rejected = 0;
  let accepted = 0;
  let typed = true;
  const small = 100;
  for (let sent = 0; sent < total; sent += small) {
    const batch = Array.from({ length: small }, (_, i) => createSignal('burst.x', { i: sent + i }));
    try {
      await bus.publish(batch);
      accepted += small;
    } catch (error) {
      if (!isJidoSignalError(error, 'queue_full')) typed = false;
      rejected += small;
    }
    if (sent % 50_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  await bus.close();
  return { rejected, accepted, peakRss, typed };
}

export default async function persistentBench(): Promise<BenchSection> {
  const total = 200_000;
  const row = await system(
    'persistent: publish → deliver → ack (batches of 1000, maxInFlight 1000)',
    total,
    () => ackedThroughput(total),
  );
  const autoRow = await system(
    'persistent: publish → deliver → autoAck (batches of 1000, maxInFlight 1000, async handler)',
    total,
    () => autoAckedThroughput(total),
  );
  const single = await singlePublish(20_000);
  const checks: BenchCheck[] = [
    atMost('persistent acked throughput ≥ 500k signals/s', row, 2000),
    atMost('persistent batched autoAck throughput ≥ 700k signals/s', autoRow, 1e9 / 700_000),
    fasterBy(
      'persistent, one awaited publish at a time: persistent (autoAck) vs the non-persistent path',
      single.persistent,
      single.ordinary,
      0.7,
    ),
  ];
  const before = process.memoryUsage().rss;
  const start = process.hrtime.bigint();
  const b = await burst(1_000_000);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const growthMb = (b.peakRss - before) / 2 ** 20;
  checks.push({
    name: '1M burst: overflow rejected with typed queue_full errors',
    actual: `${b.rejected.toLocaleString('en-US')} rejected, ${b.accepted.toLocaleString('en-US')} accepted`,
    target: 'accepted = maxInFlight + maxPending, rest queue_full',
    pass: b.typed && b.accepted === 11_000 && b.rejected === 1_000_000 - 11_000,
  });
  checks.push({
    name: '1M burst: peak RSS growth bounded',
    actual: `${growthMb.toFixed(1)} MiB (peak ${(b.peakRss / 2 ** 20).toFixed(0)} MiB)`,
    target: '≤ 200 MiB',
    pass: growthMb <= 200,
  });
  return {
    title: 'Persistent subscriptions',
    rows: [
      row,
      autoRow,
      single.persistent,
      single.ordinary,
      {
        name: '1M-signal burst, maxPending 10,000, no acks (publish attempts of 100)',
        nsPerOp: (ms * 1e6) / 1_000_000,
        note: `${b.rejected.toLocaleString('en-US')} rejected (queue_full), peak RSS ${(b.peakRss / 2 ** 20).toFixed(0)} MiB`,
      },
    ],
    checks,
  };
}
