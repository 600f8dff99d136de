import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { BusOptionError } from '../../../lib/core/errors/bus.error.js';
import { MemoryJournal } from '../../../lib/core/journal/memory.journal.js';
import { SignalJournal } from '../../../lib/core/journal/signal-journal.js';
import { rejection } from '../../helpers/errors.js';
import { until, withDeadLetters } from './helpers.js';

// bus.dlq.redrive(id, { ids }) and bus.dlq.delete(id, ids): the signal board's "redrive one"
// and "delete one" (memory engine; the JetStream engine in dlq-ids-jetstream.spec.ts).
const buses: SignalBus[] = [];
function newBus(): SignalBus {
  const bus = new SignalBus({ name: `ids-${buses.length}` });
  buses.push(bus);
  return bus;
}
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

describe('dlq.redrive({ ids })', () => {
  it('redrives only the named entries; the others stay', async () => {
    const { bus, state, entries } = await withDeadLetters(newBus(), ['a', 'b', 'c']);
    state.fail = false;
    expect(await bus.dlq.redrive('sub', { ids: [entries[1].id, 'no-such-entry'] })).toEqual({
      redriven: 1,
      failed: 0,
    });
    await until(async () => (await bus.dlq.size('sub')) === 2);
    expect(state.got.map((s) => s.type)).toEqual(['b']);
    expect((await bus.dlq.list('sub')).map((e) => e.signal.type)).toEqual(['a', 'c']);
  });

  it('applies limit to the named entries, oldest first', async () => {
    const { bus, state, entries } = await withDeadLetters(newBus(), ['a', 'b', 'c']);
    state.fail = false;
    const ids = [entries[2].id, entries[0].id];
    expect(await bus.dlq.redrive('sub', { ids, limit: 1 })).toEqual({ redriven: 1, failed: 0 });
    await until(async () => state.got.length === 1);
    expect(state.got[0].type).toBe('a');
  });

  it('rejects ids that are not an array of strings', async () => {
    const { bus } = await withDeadLetters(newBus(), ['a']);
    const error = await rejection(bus.dlq.redrive('sub', { ids: 'x' as unknown as string[] }));
    expect(error).toBeInstanceOf(BusOptionError);
  });
});

describe('dlq.delete', () => {
  it('deletes the named entries and reports how many', async () => {
    const { bus, entries } = await withDeadLetters(newBus(), ['a', 'b']);
    expect(await bus.dlq.delete('sub', [entries[0].id, 'unknown'])).toBe(1);
    expect((await bus.dlq.list('sub')).map((e) => e.signal.type)).toEqual(['b']);
    expect(await bus.dlq.delete('sub', [])).toBe(0);
    await expect(bus.dlq.delete('sub', [7] as unknown as string[])).rejects.toThrow(BusOptionError);
  });
});

describe('bus.journal', () => {
  it('is the journal given in the options, else undefined', async () => {
    const journal = new SignalJournal({ adapter: new MemoryJournal() });
    const bus = new SignalBus({ name: 'with-journal', journal });
    const plain = new SignalBus({ name: 'plain' });
    buses.push(bus, plain);
    expect(bus.journal).toBe(journal);
    expect(plain.journal).toBeUndefined();
  });
});
