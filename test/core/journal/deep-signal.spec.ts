import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJournal, SignalJournal } from '../../../lib/core/journal/index.js';
import { DEFAULT_MAX_DEPTH } from '../../../lib/core/signal/safe-input.js';
import { createSignal } from '../../../lib/core/signal/signal.js';

const root = mkdtempSync(join(tmpdir(), 'jido-deep-signal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `{ a: { a: … { a: 1 } } }`, `depth` levels. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('a signal deeper than the decoders’ nesting limit, built by the application', () => {
  // The decoders refuse untrusted input past DEFAULT_MAX_DEPTH; what a journal wrote itself
  // must still read back (regression: record() resolved, then get() failed with nesting_too_deep).
  it('reads back from a FileJournal as it was recorded, before and after reopening', async () => {
    const depth = DEFAULT_MAX_DEPTH + 36;
    const signal = createSignal('deep.data', nested(depth));
    const directory = join(root, 'file');
    const journal = new SignalJournal({ adapter: await FileJournal.open(directory) });
    await journal.record(signal);
    expect((await journal.get(signal.id))?.data).toEqual(nested(depth));
    await journal.close();

    const reopened = new SignalJournal({ adapter: await FileJournal.open(directory) });
    expect((await reopened.get(signal.id))?.data).toEqual(nested(depth));
    await reopened.close();
  });
});
