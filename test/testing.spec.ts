import { describe, expect, it } from '@jest/globals';
import { validate, version } from 'uuid';
import { SignalSpy, createTestSignalFactory, sequentialIds } from '../lib/testing/index.js';
import { Signal, SignalBus, SignalId, createSignal } from '../lib/index.js';

describe('testing helpers', () => {
  it('sequentialIds gives stable, increasing, valid UUIDv7 ids', () => {
    const a = sequentialIds({ start: 1_700_000_000_000, stepMs: 10 });
    const b = sequentialIds({ start: 1_700_000_000_000, stepMs: 10 });
    const ids = [a(), a(), a()];
    expect(ids).toEqual([b(), b(), b()]);
    expect(ids.map((x) => x.timestamp)).toEqual([
      1_700_000_000_000, 1_700_000_000_010, 1_700_000_000_020,
    ]);
    for (const { id, timestamp } of ids) {
      expect(validate(id) && version(id)).toBe(7);
      expect(SignalId.timestamp(id)).toBe(timestamp);
    }
    expect(ids[0].id < ids[1].id && ids[1].id < ids[2].id).toBe(true);
  });

  it('sequentialIds keeps its layout: timestamp, 7000, 8000, then n in 12 hex digits', () => {
    // The layout the helper always had, written out (its ids appear in users' snapshots).
    const layout = (timestamp: number, n: number): string => {
      const ts = timestamp.toString(16).padStart(12, '0');
      return `${ts.slice(0, 8)}-${ts.slice(8)}-7000-8000-${n.toString(16).padStart(12, '0')}`;
    };
    const next = sequentialIds({ start: 1_767_225_600_000, stepMs: 3 });
    for (let n = 0; n < 70_000; n++) {
      const { id, timestamp } = next();
      if (n % 997 === 0 || n < 300) expect(id).toBe(layout(timestamp, n));
    }
    // The smallest and the largest 48-bit timestamps.
    expect(sequentialIds({ start: 0 })().id).toBe(layout(0, 0));
    const last = sequentialIds({ start: 2 ** 48 - 1, stepMs: 0 });
    last();
    expect(last().id).toBe(layout(2 ** 48 - 1, 1));
  });

  it('createTestSignalFactory makes deterministic signals', () => {
    const f = createTestSignalFactory({ start: Date.UTC(2026, 0, 1) });
    const s = f.create('order.created', { n: 1 });
    expect(s).toBeInstanceOf(Signal);
    expect(s.source).toBe('/test');
    expect(s.time).toBe('2026-01-01T00:00:00.000Z');
    expect(s.id).toBe('019b76da-a800-7000-8000-000000000000');
    expect(f.create('x', null, { subject: 'y' }).time).toBe('2026-01-01T00:00:00.001Z');
    expect(createTestSignalFactory({ source: '/svc' }).create('a').source).toBe('/svc');
  });

  // docs/testing.md "Await deliveries": the spy on a persistent subscription over a list.
  it('SignalSpy waits for persistent deliveries, by subscription id', async () => {
    const bus = new SignalBus({ name: 'default' });
    const spy = new SignalSpy(bus);
    let failures = 1;
    await bus.subscribe(['invoice.*', 'credit-note.*'], {
      persistent: true,
      autoAck: true,
      subscriptionId: 'invoicing',
      backoff: [1],
      dispatch: () => {
        if (failures-- > 0) throw new Error('first attempt fails');
      },
    });
    await bus.subscribe('invoice.*', { subscriptionId: 'other', dispatch: () => undefined });
    await bus.publish(createSignal('invoice.created'));

    await expect(spy.waitFor('invoice.created')).resolves.toMatchObject({
      type: 'invoice.created',
    });
    const delivered = await spy.waitFor('invoice.*', { subscriptionId: 'invoicing' });
    expect(delivered.type).toBe('invoice.created');
    expect(
      spy.deliveries.filter((d) => d.subscriptionId === 'invoicing').map((d) => d.outcome),
    ).toEqual(['error', 'ok']);
    await expect(
      spy.waitFor('credit-note.*', { subscriptionId: 'invoicing', timeout: 20 }),
    ).rejects.toMatchObject({ code: 'timeout' });
    spy.detach();
    await bus.close();
  });
});
