import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJournal, SignalJournal } from '../../../lib/core/journal/index.js';
import { createSignal } from '../../../lib/core/signal/signal.js';
import { prng } from '../../helpers/prng.js';

const repo = join(import.meta.dirname, '../../..');
const recorder = join(import.meta.dirname, 'fixtures/crash-recorder.ts');
const root = mkdtempSync(join(tmpdir(), 'journal-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function recordAndKill(
  dir: string,
  seed: number,
  killAfterMs: number,
): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', recorder, dir, String(seed)],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const resolved = new Map<string, string>();
    let stderr = '';
    let buffered = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') continue;
        const sp = line.indexOf(' ');
        resolved.set(line.slice(0, sp), line.slice(sp + 1));
      }
      if (timer === undefined && resolved.size > 0)
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(resolved);
      else reject(new Error(`recorder exited with ${code}: ${stderr}`));
    });
  });
}

/**
 * Invariant (seeded kill moments): every record whose record() resolved in the killed child is
 * present after reopen with the same CloudEvents JSON and its cause; the tail is repaired (a
 * second open reports nothing); new records append after the repair and survive a clean
 * reopen. Tiny segments make the kill land around segment rolls.
 */
describe('SIGKILL with tiny segments (fsync)', () => {
  const seed = 5150;
  const random = prng(seed);
  const delays = [0, 1, 2, 3].map(() => 20 + Math.floor(random() * 300));
  it.each(delays.map((d, t) => [t, d]))(
    'trial %i, kill %i ms after the first resolved record',
    async (trial, delay) => {
      const dir = join(root, `t${trial}`);
      const resolved = await recordAndKill(dir, seed + trial, delay);
      expect(resolved.size).toBeGreaterThan(0);
      const segments = readdirSync(dir).filter((f) => f.endsWith('.jrnl'));
      expect(segments.length).toBeGreaterThan(1);
      const adapter = await FileJournal.open(dir, { segmentMaxBytes: 1500, indexInterval: 2 });
      const journal = new SignalJournal({ adapter });
      for (const [id, json] of resolved) {
        const entry = await journal.getEntry(id);
        expect(entry).toBeDefined();
        expect(JSON.stringify(entry!.signal)).toBe(json);
        if (entry!.causeId !== undefined)
          expect(await adapter.getMeta(entry!.causeId)).toBeDefined();
      }
      const size = await journal.size();
      const all = await journal.query();
      expect(all).toHaveLength(size);
      const extra = createSignal('after.kill');
      await journal.record(extra, { causeId: all[all.length - 1].id });
      await journal.close();
      const clean = await FileJournal.open(dir, { segmentMaxBytes: 1500, indexInterval: 2 });
      expect(clean.recovery).toBeUndefined();
      expect(await clean.size()).toBe(size + 1);
      expect((await clean.getSignal(extra.id))?.signal.type).toBe('after.kill');
      await clean.close();
    },
    30_000,
  );
});
