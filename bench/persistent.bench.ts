// Persistent subscriptions: acked throughput and a bounded-memory overflow burst.
import { SignalBus } from '../lib/core/bus/signal-bus.js';
import { isJidoSignalError } from '../lib/core/errors/jido-signal.error.js';
import { createSignal, type Signal } from '../lib/core/signal/signal.js';
import { atMost, system, type BenchCheck, type BenchSection } from './harness.js';

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
  const checks: BenchCheck[] = [atMost('persistent acked throughput ≥ 500k signals/s', row, 2000)];
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
      {
        name: '1M-signal burst, maxPending 10,000, no acks (publish attempts of 100)',
        nsPerOp: (ms * 1e6) / 1_000_000,
        note: `${b.rejected.toLocaleString('en-US')} rejected (queue_full), peak RSS ${(b.peakRss / 2 ** 20).toFixed(0)} MiB`,
      },
    ],
    checks,
  };
}
