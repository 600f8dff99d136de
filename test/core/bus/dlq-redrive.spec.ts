import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { BusOptionError } from '../../../lib/core/errors/bus.error.js';
import { rejection } from '../../helpers/errors.js';
import { sleep, until, withDeadLetters } from './helpers.js';

// Ported from jido_signal's DLQ tests (spec §5.10): `redrive_dlq(..., clear_on_success:)`,
// default true. Here `bus.dlq.redrive(id, { clearOnSuccess })`.
const buses: SignalBus[] = [];
function newBus(): SignalBus {
  const bus = new SignalBus({ name: `dlq-${buses.length}` });
  buses.push(bus);
  return bus;
}
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

describe('dlq.redrive clearOnSuccess', () => {
  it('default (true): an acked redelivery removes its entry', async () => {
    const { bus, state } = await withDeadLetters(newBus(), ['a', 'b']);
    state.fail = false;
    expect(await bus.dlq.redrive('sub')).toEqual({ redriven: 2, failed: 0 });
    await until(async () => (await bus.dlq.size('sub')) === 0);
    expect(state.got.map((s) => s.type)).toEqual(['a', 'b']);
  });

  it('false: acked redeliveries leave their entries unchanged in the DLQ', async () => {
    const { bus, state, entries } = await withDeadLetters(newBus(), ['a', 'b']);
    state.fail = false;
    expect(await bus.dlq.redrive('sub', { clearOnSuccess: false })).toEqual({
      redriven: 2,
      failed: 0,
    });
    await until(async () => (await bus.stats()).subscriptions[0].persistence!.acked >= 2);
    // Give any (wrong) delete a chance to land before looking.
    await sleep(20);
    expect(state.got.map((s) => s.type)).toEqual(['a', 'b']);
    expect(await bus.dlq.list('sub')).toEqual(entries);
  });

  it('false: a kept entry can be redriven again once its redelivery is acked', async () => {
    const { bus, state, entries } = await withDeadLetters(newBus(), ['a']);
    state.fail = false;
    await bus.dlq.redrive('sub', { clearOnSuccess: false });
    await until(async () => state.got.length === 1);
    await until(
      async () => (await bus.dlq.redrive('sub', { clearOnSuccess: false })).redriven === 1,
    );
    await until(async () => state.got.length === 2);
    expect(state.got.map((s) => s.id)).toEqual([entries[0].signal.id, entries[0].signal.id]);
    // The second redrive may clear it.
    await until(async () => (await bus.dlq.redrive('sub')).redriven === 1);
    await until(async () => (await bus.dlq.size('sub')) === 0);
  });

  it('false: a redelivery that fails again still replaces its entry (no duplicate)', async () => {
    const { bus, entries } = await withDeadLetters(newBus(), ['a']);
    expect(await bus.dlq.redrive('sub', { clearOnSuccess: false })).toEqual({
      redriven: 1,
      failed: 0,
    });
    await until(async () => {
      const list = await bus.dlq.list('sub');
      return list.length === 1 && list[0].id !== entries[0].id;
    });
    expect(await bus.dlq.size('sub')).toBe(1);
  });

  it('refuses a non-boolean clearOnSuccess with invalid_option, redriving nothing', async () => {
    const { bus, state } = await withDeadLetters(newBus(), ['a']);
    state.fail = false;
    const error = await rejection(
      bus.dlq.redrive('sub', { clearOnSuccess: 'no' as unknown as boolean }),
    );
    expect(error).toBeInstanceOf(BusOptionError);
    expect(error.code).toBe('invalid_option');
    await sleep(10);
    expect(state.got).toEqual([]);
    expect(await bus.dlq.size('sub')).toBe(1);
  });
});
