import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJournal, SignalJournal } from '../../../lib/core/journal/index.js';
import { createSignal } from '../../../lib/core/signal/signal.js';
import { prng } from '../../helpers/prng.js';

const repo = join(import.meta.dirname, '../../..');
const fixture = join(import.meta.dirname, 'fixtures/append-loop.ts');
const recorder = join(import.meta.dirname, 'fixtures/record-concurrently.ts');
const root = mkdtempSync(join(tmpdir(), 'jido-journal-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Run the appender until it reported `atLeast` durable records, then SIGKILL it mid-write. */
function appendAndKill(dir: string, atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', fixture, dir],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let durable = 0;
    let stderr = '';
    let buffered = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const m = /^durable (\d+)$/.exec(line);
        if (m !== null) durable = Number(m[1]);
      }
      if (!killed && durable >= atLeast) {
        killed = true;
        // Let it run on for a moment so the kill lands while batches are being written.
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 4));
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(durable);
      else reject(new Error(`appender exited with ${code}: ${stderr}`));
    });
  });
}

/**
 * Run the concurrent recorder, SIGKILL it `killAfterMs` after its first resolved record, and
 * return every id it reported as resolved (all of the pipe is read, up to the kill).
 */
function recordAndKill(dir: string, killAfterMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', recorder, dir],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const resolved: string[] = [];
    let stderr = '';
    let buffered = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line !== 'ready') resolved.push(line);
      if (timer === undefined && resolved.length > 0) {
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('error', reject);
    // 'close': the process is gone and its stdout is read to the end.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(resolved);
      else reject(new Error(`recorder exited with ${code}: ${stderr}`));
    });
  });
}

describe('FileJournal under SIGKILL (durability fsync, the default)', () => {
  // Invariant: every record whose record() had resolved before the kill is present after
  // reopening, with its cause. The kill moment is drawn from the seed.
  const seed = 20261206;
  const random = prng(seed);
  const delays = [0, 1, 2].map(() => 50 + Math.floor(random() * 450));
  it.each(delays.map((delay, trial) => [trial, delay]))(
    `seed ${seed}, trial %i: killed %i ms after the first resolved record — resolved ⇒ present after reopen`,
    async (trial, delay) => {
      const dir = join(root, `sigkill${trial}`);
      const resolved = await recordAndKill(dir, delay);
      expect(resolved.length).toBeGreaterThan(0);
      expect(new Set(resolved).size).toBe(resolved.length);
      const adapter = await FileJournal.open(dir);
      const journal = new SignalJournal({ adapter });
      const missing: string[] = [];
      for (const id of resolved) if ((await adapter.getMeta(id)) === undefined) missing.push(id);
      expect(missing).toEqual([]);
      // Whatever else made it (records not yet reported) is whole and has its cause.
      const size = await journal.size();
      expect(size).toBeGreaterThanOrEqual(resolved.length);
      for (const signal of await journal.query()) {
        const entry = (await journal.getEntry(signal.id))!;
        if (entry.causeId !== undefined) expect(await adapter.getMeta(entry.causeId)).toBeDefined();
      }
      await journal.record(createSignal('after.kill'));
      await journal.close();
    },
    20_000,
  );
});

describe('FileJournal crash safety', () => {
  it.each([1, 2])(
    'SIGKILL while appending (run %i): every reported record survives, the chain is intact, the journal stays writable',
    async (run) => {
      const dir = join(root, `run${run}`);
      const durable = await appendAndKill(dir, 1000 + run * 700);
      const adapter = await FileJournal.open(dir);
      const journal = new SignalJournal({ adapter });
      const size = await journal.size();
      expect(size).toBeGreaterThanOrEqual(durable);
      if (adapter.recovery !== undefined) {
        // A torn tail was found and cut off; what remains is whole.
        expect(adapter.recovery).toMatchObject({ repaired: true, records: size });
      }
      // Every record present is complete and they form one unbroken causal chain 0..size-1.
      const all = await journal.query();
      expect(all).toHaveLength(size);
      const first = all.find((s) => (s.data as { i: number }).i === 0)!;
      const chain = await journal.traceChain(first.id);
      expect(chain.map((s) => (s.signal.data as { i: number }).i)).toEqual(
        Array.from({ length: size }, (_, i) => i),
      );
      // The lock of the killed writer was taken over and appending continues.
      const last = chain[chain.length - 1];
      await journal.record(createSignal('after.crash'), { causeId: last.id });
      await journal.close();
      const clean = await FileJournal.open(dir);
      expect(clean.recovery).toBeUndefined();
      expect(await clean.size()).toBe(size + 1);
      await clean.close();
    },
    30_000,
  );
});
