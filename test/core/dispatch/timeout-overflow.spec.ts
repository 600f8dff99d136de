// Timeouts above setTimeout's 2^31-1 ms limit. The dispatcher accepts any safe integer for
// its per-delivery `timeout` and a call's `timeout`; Node's setTimeout fires a longer delay
// after 1 ms, so the dispatcher caps its timers (a "very long" timeout must not fire at once).
import { describe, expect, it } from '@jest/globals';
import type { DispatchAdapter } from '../../../lib/core/dispatch/adapter.interface.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { createSignal } from '../../../lib/core/signal/signal.js';

const HUGE = 2 ** 31; // ~24.8 days: accepted by validation (max is Number.MAX_SAFE_INTEGER)

// An asynchronous adapter that takes 50 ms.
const slow: DispatchAdapter<object> = {
  name: 'slow50',
  validateOptions: () => ({}),
  deliverBatch: () => new Promise<void>((resolve) => setTimeout(resolve, 50)),
  deliver: () => new Promise<void>((resolve) => setTimeout(resolve, 50)),
};

describe('timeouts above the setTimeout limit', () => {
  it('accepts a dispatcher timeout of 2^31 ms', () => {
    const d = new Dispatcher({ timeout: HUGE });
    expect(d.timeout).toBe(HUGE);
    return d.close();
  });

  it('a per-delivery timeout of 2^31 ms does not expire after 50 ms (dispatch)', async () => {
    const d = new Dispatcher({ timeout: HUGE, adapters: [slow] });
    try {
      await expect(d.dispatch(createSignal('a.b'), { adapter: 'slow50' })).resolves.toBeUndefined();
    } finally {
      await d.close();
    }
  });

  it('a call timeout of 2^31 ms does not expire after 50 ms (dispatch options.timeout)', async () => {
    const d = new Dispatcher({ adapters: [slow] });
    try {
      await expect(
        d.dispatch(createSignal('a.b'), { adapter: 'slow50' }, { timeout: HUGE }),
      ).resolves.toBeUndefined();
    } finally {
      await d.close();
    }
  });

  it('dispatchMany with a per-delivery timeout of 2^31 ms delivers a 50 ms batch', async () => {
    const d = new Dispatcher({ timeout: HUGE, adapters: [slow] });
    try {
      const result = await d.dispatchMany([createSignal('a.b'), createSignal('a.c')], {
        adapter: 'slow50',
      });
      expect(result.outcomes.map((e) => e?.code)).toEqual([undefined, undefined]);
      expect(result.delivered).toBe(2);
    } finally {
      await d.close();
    }
  });

  it('dispatchMany with a call timeout of 2^31 ms delivers a 50 ms batch', async () => {
    const d = new Dispatcher({ adapters: [slow] });
    try {
      const result = await d.dispatchMany(
        [createSignal('a.b')],
        { adapter: 'slow50' },
        { timeout: HUGE },
      );
      expect(result.outcomes.map((e) => e?.code)).toEqual([undefined]);
    } finally {
      await d.close();
    }
  });
});
