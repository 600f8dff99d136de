// One bus over a distributed store across 3 Node processes (fixtures/multiprocess-worker.ts),
// the scenarios every engine passes: fan-out to every instance, each persistent signal handled
// by one instance at a time, a consumer SIGKILLed mid-stream loses nothing, and — on engines
// whose test server is private — a server restart mid-stream loses nothing. Used by
// jetstream-multiprocess.e2e-spec.ts and redis-multiprocess.e2e-spec.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal } from '../../lib/core/signal/signal.js';
import type { DistributedSignalStore } from '../../lib/core/store/distributed-store.interface.js';

const root = join(import.meta.dirname, '..', '..');
const worker = join(import.meta.dirname, 'fixtures', 'multiprocess-worker.ts');

/** What the multi-process scenarios need from an engine. */
export interface MultiprocessEngine<S extends DistributedSignalStore> {
  /** Title of the describe block. */
  readonly title: string;
  /** Engine argument of the worker fixture. */
  readonly worker: 'jetstream' | 'redis';
  /** Prefix of the run's temporary directory (worker logs, a private server's data). */
  readonly tmpPrefix: string;
  /** Handler delay of the workers in the SIGKILL scenario, in ms. */
  readonly killDelayMs: number;
  /** Prepare the server side (`dir`: the run's temporary directory). */
  setUp(dir: string): Promise<{ url: string; prefix: string }>;
  /** The test's own store (the publisher). */
  connect(url: string, prefix: string): Promise<S>;
  /** Remove what the run left on the server side (afterAll). */
  tearDown(prefix: string): Promise<unknown>;
  /**
   * Server-side counts of the consumer of `subscriptionId` that are 0 once everything is
   * delivered and acked (not delivered yet, delivered but unacked).
   */
  unsettled(store: S, url: string, bus: string, subscriptionId: string): Promise<number[]>;
  /** Stop and start the test server (a private one): adds the restart scenario. */
  readonly restart?: { stop(): Promise<void>; start(): Promise<void> };
}

interface Worker {
  name: string;
  child: ChildProcess;
}

function startWorker(
  engine: string,
  url: string,
  prefix: string,
  name: string,
  logFile: string,
  delayMs: number,
): Promise<Worker> {
  const child = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', worker, engine, url, prefix, name, logFile],
    {
      cwd: root,
      env: { ...process.env, HANDLER_DELAY_MS: String(delayMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${stderr}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve({ name, child });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${String(code)} before it was ready: ${stderr}`));
    });
  });
}

function stopWorker(w: Worker, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    w.child.once('exit', () => resolve());
    w.child.kill(signal);
  });
}

interface Lines {
  seen: Map<string, Set<string>>;
  runs: Array<{ worker: string; id: string; start: number; end: number | undefined }>;
  ended: Set<string>;
}

function readLines(file: string): Lines {
  const seen = new Map<string, Set<string>>();
  const open = new Map<
    string,
    { worker: string; id: string; start: number; end: number | undefined }
  >();
  const runs: Lines['runs'] = [];
  const ended = new Set<string>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { seen, runs, ended };
  }
  for (const line of text.split('\n')) {
    const [kind, worker, id, at, count] = line.split(' ');
    if (kind === 'seen') {
      if (!seen.has(worker)) seen.set(worker, new Set());
      seen.get(worker)!.add(id);
    } else if (kind === 'start') {
      const run = { worker, id, start: Number(at), end: undefined };
      open.set(`${worker} ${id} ${count}`, run);
      runs.push(run);
    } else if (kind === 'end') {
      const run = open.get(`${worker} ${id} ${count}`);
      if (run !== undefined) run.end = Number(at);
      ended.add(id);
    }
  }
  return { seen, runs, ended };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Two runs of one signal overlap when they ran on different workers at the same time. */
function overlapping(runs: Lines['runs']): string[] {
  const byId = new Map<string, Lines['runs']>();
  for (const run of runs) {
    if (!byId.has(run.id)) byId.set(run.id, []);
    byId.get(run.id)!.push(run);
  }
  const bad: string[] = [];
  for (const [id, list] of byId) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i];
        const b = list[j];
        if (a.end === undefined || b.end === undefined) continue; // killed mid-run
        if (a.start < b.end && b.start < a.end) bad.push(id);
      }
    }
  }
  return bad;
}

/** Register the scenarios for `engine`. */
export function describeMultiprocess<S extends DistributedSignalStore>(
  engine: MultiprocessEngine<S>,
): void {
  describe(engine.title, () => {
    const dir = mkdtempSync(join(tmpdir(), engine.tmpPrefix));
    const workers: Worker[] = [];
    let url: string;
    let prefix: string;
    let store: S;
    let bus: SignalBus;

    const start = (name: string, file: string, delayMs: number) =>
      startWorker(engine.worker, url, prefix, name, file, delayMs);
    const startAll = async (file: string, delayMs: number) => {
      workers.push(...(await Promise.all(['a', 'b', 'c'].map((n) => start(n, file, delayMs)))));
    };

    beforeAll(async () => {
      ({ url, prefix } = await engine.setUp(dir));
      store = await engine.connect(url, prefix);
      bus = new SignalBus({ name: 'orders', store, maxLogSize: Infinity });
      await bus.ready();
    }, 30_000);

    afterAll(async () => {
      await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
      await bus.close();
      await store.close();
      await engine.tearDown(prefix);
      rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    /** Server side: the group's counts, waiting up to 10 s for them to drain to 0. */
    async function unsettledAfterDrain(): Promise<number[]> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const counts = await engine.unsettled(store, url, 'orders', 'payments');
        if (counts.every((n) => n === 0) || Date.now() > deadline) return counts;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    /** Nothing dead-lettered, nothing left to deliver and nothing delivered but unacked. */
    async function expectSettled(): Promise<void> {
      await expect(store.listDlq('orders', 'payments')).resolves.toEqual([]);
      const counts = await unsettledAfterDrain();
      expect(counts).toEqual(counts.map(() => 0));
    }

    it('fans ordinary signals out to every instance and hands each persistent signal to one at a time', async () => {
      const file = join(dir, 'fanout.log');
      await startAll(file, 5);
      const published = await bus.publish(
        Array.from({ length: 150 }, (_, i) => createSignal('order.created', { n: i })),
      );
      const ids = published.map((e) => e.signal.id);
      await until(
        'every instance to see every signal and every signal to be handled',
        () => {
          const lines = readLines(file);
          return (
            ['a', 'b', 'c'].every((w) => lines.seen.get(w)?.size === ids.length) &&
            ids.every((id) => lines.ended.has(id))
          );
        },
        30_000,
      );
      const lines = readLines(file);
      for (const w of ['a', 'b', 'c']) {
        expect([...lines.seen.get(w)!].sort()).toEqual([...ids].sort());
      }
      // Competing consumers: work was shared, and no signal ran on two instances at once.
      const handlers = new Set(lines.runs.map((r) => r.worker));
      expect(handlers.size).toBeGreaterThan(1);
      expect(overlapping(lines.runs)).toEqual([]);
    }, 60_000);

    it('loses nothing when a consumer is SIGKILLed mid-stream and restarted', async () => {
      const file = join(dir, 'kill.log');
      await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
      await startAll(file, engine.killDelayMs);
      const published = await bus.publish(
        Array.from({ length: 200 }, (_, i) => createSignal('order.paid', { n: i })),
      );
      const ids = published.map((e) => e.signal.id);
      await until('some signals to be handled', () => readLines(file).ended.size >= 30, 30_000);
      // Kill b while it runs a handler (pulls come in bursts on a loaded machine).
      await until(
        'b to be running a handler',
        () => readLines(file).runs.some((r) => r.worker === 'b' && r.end === undefined),
        30_000,
      );
      await stopWorker(workers[1], 'SIGKILL');
      const killedMidRun = readLines(file).runs.filter(
        (r) => r.worker === 'b' && r.end === undefined,
      );
      workers[1] = await start('b', file, engine.killDelayMs);
      await until(
        'every signal to be handled after the restart',
        () => {
          const ended = readLines(file).ended;
          return ids.every((id) => ended.has(id));
        },
        45_000,
      );
      // Whatever the killed instance was running was redelivered (claimed after ackTimeout)
      // and finished elsewhere or after its restart; the server has nothing left pending.
      expect(killedMidRun.length).toBeGreaterThan(0);
      const ended = readLines(file).ended;
      for (const run of killedMidRun) expect(ended.has(run.id)).toBe(true);
      await expectSettled();
    }, 90_000);

    const restart = engine.restart;
    if (restart === undefined) return;

    it('loses nothing when the server restarts mid-stream: every stored signal is handled and fanned out', async () => {
      const file = join(dir, 'restart.log');
      await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
      await startAll(file, 5);
      const ids: string[] = [];
      let restarted = false;
      for (let i = 0; i < 120; i++) {
        if (i === 40) {
          await until('some signals to be handled', () => readLines(file).ended.size >= 20, 30_000);
          await restart.stop();
          setTimeout(() => void restart.start().then(() => (restarted = true)), 500);
        }
        // A publish while the server is down is refused (store_unavailable): retry it.
        for (;;) {
          try {
            const [entry] = await bus.publish(createSignal('order.shipped', { n: i }));
            ids.push(entry.signal.id);
            break;
          } catch (error) {
            expect((error as { code?: string }).code).toBe('store_unavailable');
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      }
      expect(restarted).toBe(true);
      await until(
        'every stored signal handled and seen by every instance after the restart',
        () => {
          const lines = readLines(file);
          return (
            ids.every((id) => lines.ended.has(id)) &&
            ['a', 'b', 'c'].every((w) => ids.every((id) => lines.seen.get(w)?.has(id)))
          );
        },
        45_000,
      );
      await expectSettled();
    }, 90_000);
  });
}
