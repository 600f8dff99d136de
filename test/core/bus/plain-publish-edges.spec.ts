import { describe, expect, it } from '@jest/globals';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { busFactory, deferred, listen, sig, sleep } from './helpers.js';

const newBus = busFactory('plain-publish-edges', { timeout: 50 });

describe('stats().pendingPublishes', () => {
  // BusStats.pendingPublishes TSDoc: "Publishes accepted and not settled yet (queued or
  // delivering)". The sequencer counts only queued publishes and the one holding the turn,
  // which is released as soon as the signals are handed over.
  it('counts a publish whose delivery has not settled', async () => {
    const bus = newBus();
    const hold = deferred();
    await bus.subscribe('a', () => hold.promise);
    let settled = false;
    const publish = bus.publish(sig('a')).then(() => (settled = true));
    await sleep(5);
    const { pendingPublishes } = await bus.stats();
    expect({ settled, idle: bus.idle }).toEqual({ settled: false, idle: false });
    expect(pendingPublishes).toBe(1);
    hold.resolve();
    await publish;
  });
});

describe('middleware or dispatch telemetry added while a plain publish is in flight', () => {
  // docs/bus.md: a middleware added with use() runs "from the next publish on"; BusDispatch is
  // published "per settled delivery". For a plain shared publish already in flight, only the
  // *failed* deliveries reach afterDispatch and BusDispatch (FanOut.#failed checks the
  // pipeline and emits; #plainSucceeded and the lone path's oneFailed do neither).
  it('treats the successes and the failures of one in-flight publish alike', async () => {
    const bus = newBus();
    await bus.publish(sig('warm-up')); // first publish reads the store size (not plain)
    const release = deferred();
    await bus.subscribe('a', {
      subscriptionId: 'fails',
      dispatch: async () => {
        await release.promise;
        throw new Error('no');
      },
    });
    await bus.subscribe('a', {
      subscriptionId: 'succeeds',
      dispatch: async () => {
        await release.promise;
      },
    });
    const publish = bus.publish(sig('a')); // plain, shared: two pending deliveries
    const seen: string[] = [];
    bus.use({
      name: 'late',
      afterDispatch: (_s, sub, r) => void seen.push(`${sub.id}:${r.status}`),
    });
    const dispatch = listen<{ subscriptionId: string; outcome: string }>(
      TelemetryChannel.BusDispatch,
    );
    release.resolve();
    await publish;
    dispatch.stop();
    const observed = dispatch.messages.map((m) => `${m.subscriptionId}:${m.outcome}`);
    // Either both deliveries are observed or (per "from the next publish on") neither.
    expect([seen, observed]).toEqual([[], []]);
  });
});
