import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { sig, sleep } from './helpers.js';

/**
 * A handler may return any thenable (docs: "A handler may return any thenable"). One whose
 * `then` throws synchronously is a failed attempt for an ordinary subscription
 * (Promise.resolve turns it into a rejection). For a persistent subscription the in-process
 * engine calls `result.then(...)` directly (local-engine.ts #dispatch), so the throw escapes.
 */
const buses: SignalBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 100 })));
});

function badThenable(): PromiseLike<void> {
  return {
    then() {
      throw new Error('then exploded');
    },
  };
}

describe('persistent: a handler returning a thenable whose then() throws', () => {
  it('the publish resolves (signal recorded), the attempt counts as failed and the bus keeps working', async () => {
    const bus = new SignalBus({ name: 'thenable-throws' });
    buses.push(bus);
    bus.errors$.subscribe(() => undefined);
    const got: Signal[] = [];
    let first = true;
    await bus.subscribe('t.*', {
      persistent: true,
      subscriptionId: 's',
      autoAck: true,
      maxAttempts: 2,
      retryInterval: 1,
      ackTimeout: 50,
      dispatch: (s: Signal) => {
        got.push(s);
        if (first) {
          first = false;
          return badThenable();
        }
        return Promise.resolve();
      },
    });
    const outcome = await bus.publish(sig('t.a')).then(
      () => 'resolved',
      (e: unknown) => `rejected: ${(e as Error).message}`,
    );
    // Docs: publish rejects only when nothing of it was recorded.
    const log = await bus.replay('t.*');
    // The bus must keep working: a second publish settles.
    const second = await Promise.race([
      bus.publish(sig('t.b')).then(
        () => 'settled',
        () => 'settled',
      ),
      sleep(500).then(() => 'hung'),
    ]);
    await sleep(100);
    const st = (await bus.stats()).subscriptions[0].persistence!;
    expect({
      recorded: log.length,
      outcome,
      second,
      inFlight: st.inFlight,
      pending: st.pending,
      retrying: st.retrying,
    }).toEqual({
      recorded: 1,
      outcome: 'resolved',
      second: 'settled',
      inFlight: 0,
      pending: 0,
      retrying: 0,
    });
  });
});
