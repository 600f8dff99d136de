import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { sig, sleep } from './helpers.js';

/**
 * Docs: "publish() resolves once its signals are recorded and each persistent subscription's
 * first attempt of them has ended". A batch that fits is handed over in endBatch, whose
 * attempts the publish waits for. With overflow 'dead-letter' a batch larger than the room
 * makes enqueue() pump mid-batch (local-engine.ts enqueue → #pump, outside
 * PublishWaits.collect), so the attempts it starts are not waited for.
 */
const buses: SignalBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 200 })));
});

async function publishWaits(overflow: 'reject' | 'dead-letter', size: number): Promise<boolean> {
  const bus = new SignalBus({ name: `ovf-${overflow}-${size}` });
  buses.push(bus);
  let running = 0;
  let finished = 0;
  await bus.subscribe('o.*', {
    persistent: true,
    subscriptionId: 's',
    autoAck: true,
    maxInFlight: 2,
    maxPending: 2,
    overflow,
    dispatch: async (_s: Signal) => {
      running++;
      await sleep(40);
      finished++;
    },
  });
  await bus.publish(Array.from({ length: size }, (_, i) => sig('o.x', { i })));
  // The first attempts started by this publish (two of them) have ended?
  return running >= 2 && finished >= 2;
}

describe('persistent: a publish waits for the first attempts it started, overflow or not', () => {
  it('a 4-signal batch (fits): publish waits for the 2 attempts it started', async () => {
    expect(await publishWaits('reject', 4)).toBe(true);
  });
  it("a 5-signal batch with overflow 'dead-letter': publish waits for the 2 attempts it started", async () => {
    expect(await publishWaits('dead-letter', 5)).toBe(true);
  });
});
