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

describe('MemoryStore log ring', () => {
  it('keeps order and lookups across growth and wrap-around', async () => {
    const store = new MemoryStore();
    const ids: string[] = [];
    // Interleave appends and trims so the ring wraps and grows several times.
    for (let i = 0; i < 6000; i++) {
      const [entry] = await store.append('b', [createSignal('t', i)]);
      ids.push(entry.logId);
      if (i % 7 === 0) await store.trim('b', { maxSize: 1500 + (i % 500) });
    }
    const all = await store.read('b');
    const size = await store.size('b');
    expect(all).toHaveLength(size);
    expect(all.map((e) => e.logId)).toEqual(ids.slice(ids.length - size));
    expect(all.map((e) => e.signal.data)).toEqual(
      Array.from({ length: size }, (_, k) => 6000 - size + k),
    );
    for (const k of [0, 1, 137, size - 2]) {
      const page = await store.read('b', { afterLogId: all[k].logId, limit: 1 });
      expect(page[0].logId).toBe(all[k + 1].logId);
    }
    // Upper-case cursors are the same ids.
    expect(
      (await store.read('b', { afterLogId: all[0].logId.toUpperCase(), limit: 1 }))[0].logId,
    ).toBe(all[1].logId);
    await store.close();
  });

  it('a malformed cursor is a typed error', async () => {
    const store = new MemoryStore();
    await expect(store.read('b', { afterLogId: 'not-an-id' })).rejects.toMatchObject({
      code: 'invalid_id',
    });
    await store.close();
  });
});
