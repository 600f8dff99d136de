import { describe, expect, it } from '@jest/globals';
import { createSignal, MemoryStore } from '../../../lib/index.js';
import { describeSignalStoreConformance } from '../../../lib/testing/index.js';

describeSignalStoreConformance('MemoryStore', () => new MemoryStore());

describe('MemoryStore specifics', () => {
  it('trimming after every append keeps reads correct across compactions', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 5000; i++) {
      await store.append('b', [createSignal('t', i)]);
      await store.trim('b', { maxSize: 100 });
    }
    const all = await store.read('b');
    expect(all).toHaveLength(100);
    expect(all[0].signal.data).toBe(4900);
    expect(all[99].signal.data).toBe(4999);
    const page = await store.read('b', { afterLogId: all[49].logId, limit: 2 });
    expect(page.map((e) => e.signal.data)).toEqual([4950, 4951]);
    await store.close();
  });
});
