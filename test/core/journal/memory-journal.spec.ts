import { describe, expect, it } from '@jest/globals';
import { MemoryJournal } from '../../../lib/core/journal/index.js';
import { describeJournalAdapterConformance } from '../../../lib/testing/index.js';
import { createTestSignalFactory } from '../../../lib/testing/index.js';

describeJournalAdapterConformance('MemoryJournal', () => new MemoryJournal());

describe('MemoryJournal specifics', () => {
  it('a scan keeps its place when older signals are inserted while it runs', async () => {
    const f = createTestSignalFactory();
    const adapter = new MemoryJournal();
    const put = (t: number) => {
      const s = f.create('t', { t });
      return adapter.putSignal({
        id: s.id,
        time: t,
        recordedAt: t,
        causeId: undefined,
        conversationId: s.id,
        signal: s,
      });
    };
    for (const t of [10, 20, 30, 40]) await put(t);
    const seen: number[] = [];
    for await (const e of adapter.scan()) {
      seen.push(e.time);
      if (e.time === 20) {
        await put(5); // before the cursor: shifts every position
        await put(25); // after the cursor: must be visited
      }
    }
    expect(seen).toEqual([10, 20, 25, 30, 40]);
    const down: number[] = [];
    for await (const e of adapter.scan({ order: 'desc' })) {
      down.push(e.time);
      if (e.time === 30) await put(1);
    }
    expect(down).toEqual([40, 30, 25, 20, 10, 5, 1]);
    await adapter.close();
  });
});
