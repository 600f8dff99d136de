// Subscriber process of the fan-out latency bench (fanout.ts): prints `lat <ms>` per signal
// received. Usage: fanout-worker.ts <jetstream|redis> <prefix>
import { SignalBus } from '../lib/core/bus/signal-bus.js';
import { connectFanOutStore, type FanOutEngine } from './fanout.js';

const [engine, prefix] = process.argv.slice(2) as [FanOutEngine, string];
const store = await connectFanOutStore(engine, prefix);
const bus = new SignalBus({ name: 'fan', store, maxLogSize: Infinity });
await bus.ready();
await bus.subscribe('fan.*', (signal) => {
  const { at } = signal.data as { at: number };
  process.stdout.write(`lat ${performance.timeOrigin + performance.now() - at}\n`);
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void bus
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
