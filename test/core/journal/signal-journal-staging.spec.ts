import { describe, expect, it } from '@jest/globals';
import {
  MemoryJournal,
  SignalJournal,
  type JournalEntry,
  type StagedSignal,
} from '../../../lib/core/journal/index.js';
import { JournalIoError } from '../../../lib/core/errors/journal.error.js';
import { createTestSignalFactory } from '../../../lib/testing/index.js';

/** A memory journal whose entries become durable only when the test says so. */
class StagingJournal extends MemoryJournal {
  readonly staged: string[] = [];
  private readonly waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];

  async stageSignal(entry: JournalEntry): Promise<StagedSignal> {
    await this.putSignal(entry);
    this.staged.push(entry.id);
    const durable = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    return { durable };
  }

  /** Make every staged entry durable (or fail them). */
  settle(error?: Error): void {
    for (const w of this.waiting.splice(0)) {
      if (error === undefined) w.resolve();
      else w.reject(error);
    }
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SignalJournal with an adapter that stages (group commit)', () => {
  it('record() resolves only once the adapter made the record durable', async () => {
    const adapter = new StagingJournal();
    const journal = new SignalJournal({ adapter });
    const signal = createTestSignalFactory().create('a');
    let resolved = false;
    const recording = journal.record(signal).then(() => (resolved = true));
    await tick();
    expect(adapter.staged).toEqual([signal.id]);
    expect(resolved).toBe(false);
    // Reads already see it (read your writes).
    expect((await journal.get(signal.id))?.id).toBe(signal.id);
    adapter.settle();
    await recording;
    expect(resolved).toBe(true);
  });

  it('the next record is checked and staged while the previous one is not durable yet', async () => {
    const adapter = new StagingJournal();
    const journal = new SignalJournal({ adapter });
    const f = createTestSignalFactory();
    const cause = f.create('cause');
    const effect = f.create('effect');
    const both = Promise.all([
      journal.record(cause),
      journal.record(effect, { causeId: cause.id }),
    ]);
    await tick();
    // Both staged before either is durable: they can share one write + sync.
    expect(adapter.staged).toEqual([cause.id, effect.id]);
    adapter.settle();
    const [c, e] = await both;
    expect(e.causeId).toBe(c.id);
  });

  it('a durability failure rejects record() with the adapter error', async () => {
    const adapter = new StagingJournal();
    const journal = new SignalJournal({ adapter });
    const recording = journal.record(createTestSignalFactory().create('doomed'));
    await tick();
    adapter.settle(new JournalIoError('disk gone'));
    await expect(recording).rejects.toMatchObject({ code: 'journal_io_error' });
  });
});
