// Subscriber process of the Redis fan-out latency bench: prints `lat <ms>` per signal received.
import { SignalBus } from '../lib/core/bus/signal-bus.js';
import { RedisStore } from '../lib/core/store/redis/redis.store.js';

const prefix = process.argv[2];
const store = await RedisStore.connect({ url: 'redis://127.0.0.1:6379', prefix });
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
