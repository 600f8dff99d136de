// dlq.redrive({ clearOnSuccess: false }) on the remote persistent engine (SignalBus over a
// JetStreamStore, local NATS at 127.0.0.1:4222).
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { JetStreamStore } from '../../../lib/core/store/jetstream/jetstream.store.js';
import { deleteTestStreams, NATS_URL, testPrefix } from '../../helpers/nats.js';
import { sig, sleep } from './helpers.js';

const prefix = testPrefix('dlqkeep');
const stores: JetStreamStore[] = [];
const buses: SignalBus[] = [];

afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 5_000 })));
  await Promise.all(stores.splice(0).map((s) => s.close()));
}, 20_000);
afterAll(async () => {
  await deleteTestStreams(prefix);
}, 30_000);

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(15);
  }
}

describe('dlq.redrive clearOnSuccess on JetStream', () => {
  it('false keeps acked entries; the default removes them', async () => {
    const store = await JetStreamStore.connect({ servers: NATS_URL, prefix });
    stores.push(store);
    const bus = new SignalBus({ name: 'keep', store, maxLogSize: Infinity });
    buses.push(bus);
    let failing = true;
    const got: Signal[] = [];
    await bus.subscribe('k.*', {
      persistent: true,
      subscriptionId: 'keeper',
      autoAck: true,
      maxAttempts: 1,
      backoff: { type: 'fixed', interval: 50 },
      dispatch: (s: Signal) => {
        got.push(s);
        if (failing) throw new Error('down');
      },
    });
    await bus.publish([sig('k.1'), sig('k.2')]);
    await until('2 DLQ entries', async () => (await bus.dlq.size('keeper')) === 2);
    const entries = await bus.dlq.list('keeper');
    failing = false;
    const handled = got.length;

    await expect(bus.dlq.redrive('keeper', { clearOnSuccess: false })).resolves.toEqual({
      redriven: 2,
      failed: 0,
    });
    await until('both acked', async () => {
      const stats = await bus.stats();
      return stats.subscriptions[0].persistence!.acked >= 2;
    });
    await sleep(100); // a (wrong) delete would have landed by now
    expect(got.length).toBe(handled + 2);
    expect((await bus.dlq.list('keeper')).map((e) => e.id).sort()).toEqual(
      entries.map((e) => e.id).sort(),
    );

    await expect(bus.dlq.redrive('keeper')).resolves.toEqual({ redriven: 2, failed: 0 });
    await until('an empty DLQ', async () => (await bus.dlq.size('keeper')) === 0);
  }, 30_000);
});
