import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { MemoryStore } from '../../../lib/core/store/memory.store.js';
import type { RecordedSignal } from '../../../lib/core/store/signal-store.interface.js';
import { sig, sleep } from './helpers.js';

/**
 * Docs (startFrom): "'current' (signals recorded after subscribing)". A persistent
 * subscription opened while a publish is between recording and handing over (an async
 * store) is routed at once; the engine buffers live signals while it loads and tracks every
 * buffered one (local-engine.ts loadState) without checking it against its start.
 */
const buses: SignalBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ timeout: 100 })));
});

/** A MemoryStore whose append resolves a little later (like any remote store). */
class SlowStore extends MemoryStore {
  override async append(bus: string, signals: readonly Signal[]): Promise<RecordedSignal[]> {
    const entries = this.appendSync(bus, signals); // recorded now
    await sleep(20);
    return entries;
  }
}

describe("persistent: startFrom 'current' and a publish recorded before subscribe()", () => {
  it('a subscription opened after a signal was recorded does not receive it', async () => {
    const store = new SlowStore();
    // Force the async record path: hide appendSync from the bus.
    const view = new Proxy(store, {
      get: (t, p) => {
        if (p === 'appendSync') return undefined;
        const v: unknown = Reflect.get(t, p, t);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    const bus = new SignalBus({ name: 'mid-publish', store: view });
    buses.push(bus);
    const early: Signal[] = [];
    await bus.subscribe('m.*', {
      persistent: true,
      subscriptionId: 'early',
      dispatch: (s: Signal) => void early.push(s),
    });
    const late: Signal[] = [];
    const published = bus.publish(sig('m.x'));
    await sleep(5); // recorded, not handed over yet
    const recorded = await bus.replay('m.*');
    expect(recorded).toHaveLength(1);
    await bus.subscribe('m.*', {
      persistent: true,
      subscriptionId: 'late',
      startFrom: 'current',
      dispatch: (s: Signal) => void late.push(s),
    });
    await published;
    await sleep(10);
    expect({ early: early.length, late: late.length }).toEqual({ early: 1, late: 0 });
  });
});
