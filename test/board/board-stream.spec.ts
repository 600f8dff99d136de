import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBusRegistry } from '../../lib/core/bus/bus-registry.js';
import { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal, type Signal } from '../../lib/index.js';
import { resolveBoardOptions } from '../../lib/board/board-config.js';
import { SignalBoardService } from '../../lib/board/board.service.js';
import type { SignalBoardBatch } from '../../lib/board/board-stream.js';

const buses: SignalBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

function service(stream: { maxSignalsPerFlush?: number; maxStreams?: number }) {
  const registry = new SignalBusRegistry();
  const bus = registry.create({ name: 'default' });
  buses.push(bus);
  const config = resolveBoardOptions({
    allowUnauthenticated: true,
    stream: { flushIntervalMs: 50, ...stream },
  });
  return { bus, board: new SignalBoardService(config, registry) };
}

describe('the live stream is coalesced server-side', () => {
  it('sends the newest maxSignalsPerFlush signals of an interval and counts the rest', async () => {
    const { bus, board } = service({ maxSignalsPerFlush: 5 });
    const batches: SignalBoardBatch[] = [];
    let matched = 0;
    const all = new Promise<void>((resolve) => {
      const sub = board.stream('default', 'load.*').subscribe((event) => {
        if (event.type !== 'batch') return;
        const batch = event.data as SignalBoardBatch;
        batches.push(batch);
        matched += batch.matched;
        if (matched >= 100) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    const signals: Signal[] = Array.from({ length: 100 }, (_, n) =>
      createSignal('load.tick', { n }),
    );
    signals.push(createSignal('other.type', { n: -1 }));
    await bus.publish(signals);
    await all;
    expect(matched).toBe(100);
    for (const batch of batches) {
      expect(batch.signals.length).toBe(Math.min(5, batch.matched));
      expect(batch.dropped).toBe(batch.matched - batch.signals.length);
    }
    // The last batch ends with the newest signals, in order.
    const last = batches.at(-1)!.signals.map((s) => (s.data as { n: number }).n);
    expect(last.at(-1)).toBe(99);
    expect(last).toEqual([...last].sort((a, b) => a - b));
    expect(board.openStreams).toBe(0);
  });

  it('holds batches back while the page does not read, then sends the newest with the counts', async () => {
    const { bus, board } = service({ maxSignalsPerFlush: 3 });
    let backlog = 1_000_000;
    const batches: SignalBoardBatch[] = [];
    const sub = board
      .stream('default', '**', () => backlog)
      .subscribe((event) => {
        if (event.type === 'batch') batches.push(event.data as SignalBoardBatch);
      });
    await bus.publish(Array.from({ length: 10 }, (_, n) => createSignal('slow.page', { n })));
    await new Promise((r) => setTimeout(r, 200));
    expect(batches).toEqual([]);
    backlog = 0;
    await new Promise((r) => setTimeout(r, 150));
    sub.unsubscribe();
    expect(batches).toHaveLength(1);
    expect(batches[0].matched).toBe(10);
    expect(batches[0].signals.map((v) => (v.data as { n: number }).n)).toEqual([7, 8, 9]);
  });

  it('refuses more than maxStreams pages at once (503 queue_full), and counts closes', async () => {
    const { board } = service({ maxStreams: 1 });
    const first = board.stream('default', '**').subscribe();
    expect(board.openStreams).toBe(1);
    expect(() => board.stream('default', '**')).toThrow(
      expect.objectContaining({ code: 'queue_full' }),
    );
    first.unsubscribe();
    expect(board.openStreams).toBe(0);
    board.stream('default', '**').subscribe().unsubscribe();
  });

  it('rejects a bad pattern and an unknown bus', () => {
    const { board } = service({});
    expect(() => board.stream('default', 'a..b')).toThrow(
      expect.objectContaining({ code: 'invalid_pattern' }),
    );
    expect(() => board.stream('nope', '**')).toThrow(
      expect.objectContaining({ code: 'bus_not_found' }),
    );
  });
});
