import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

// Graceful shutdown of a real Nest application (issue 14, point 4): SIGTERM arrives while
// handlers are running; the follow-ups they publish — on their own bus and on another one,
// two generations deep — are all delivered before the application finishes closing.
const root = join(import.meta.dirname, '..', '..');
const app = join(import.meta.dirname, 'fixtures', 'shutdown-app.ts');
const ORDERS = 5;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jido-shutdown-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  lines: string[];
  output: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Boot the app in a child process, SIGTERM it once every handler runs, collect its log. */
function runUntilSigterm(causality: boolean): Promise<Run> {
  const logFile = join(dir, `run-${causality ? 'causality' : 'plain'}.log`);
  const child = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', app, logFile, causality ? '1' : '0'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let signalled = false;
  return new Promise<Run>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the app did not finish in time: ${output}`));
    }, 40_000);
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!signalled && output.includes('started')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      let text = '';
      try {
        text = readFileSync(logFile, 'utf8');
      } catch {
        // no log: the assertions below say what is missing
      }
      resolve({ lines: text.split('\n').filter(Boolean), output, code, signal });
    });
  });
}

function expectEveryFollowUp(run: Run): void {
  expect(run.output).toContain('started');
  const delivered = run.lines.filter((l) => l.startsWith('delivered '));
  const expected: string[] = [];
  for (let n = 1; n <= ORDERS; n++) {
    expected.push(
      `delivered default order.placed ${n}`,
      `delivered default order.charged ${n}`,
      `delivered default order.shipped ${n}`,
      `delivered audit audit.order ${n}`,
    );
  }
  expect([...delivered].sort()).toEqual(expected.sort());
  // Everything was delivered before the application finished closing.
  expect(run.lines.at(-1)).toBe('closed');
  // Nest re-raises SIGTERM after app.close(); the process ends by it (or exits cleanly).
  expect(run.signal === 'SIGTERM' || run.code === 0).toBe(true);
}

describe('Nest application: SIGTERM during a drain (enableShutdownHooks)', () => {
  it('delivers every follow-up of the handlers still running (default module: no causality)', async () => {
    const run = await runUntilSigterm(false);
    expectEveryFollowUp(run);
  }, 60_000);

  it('with causality: follow-ups delivered, an outside publish during the drain refused and logged with its id', async () => {
    const run = await runUntilSigterm(true);
    expectEveryFollowUp(run);
    expect(run.lines).toContain('refused order.placed closed during-drain');
    expect(run.lines).not.toContain('delivered default order.placed 99');
    expect(run.output).toMatch(/Publish refused: bus "default" is shutting down.*signal ids: \S+/);
  }, 60_000);
});
