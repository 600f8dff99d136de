// One bus over Redis Streams across 3 Node processes (test/e2e/fixtures/redis-worker.ts) on a
// private redis-server (port 16383, AOF with fsync always, so a restart keeps the data):
// fan-out to every instance, each persistent signal handled by one instance at a time, a
// consumer SIGKILLed mid-stream loses nothing, and a Redis restart mid-stream loses nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal } from '../../lib/core/signal/signal.js';
import { groupName } from '../../lib/core/store/redis/keys.js';
import { RedisStore } from '../../lib/core/store/redis/redis.store.js';
import { startRedisServer, stopRedisServer } from '../helpers/redis.js';

const root = join(import.meta.dirname, '..', '..');
const worker = join(import.meta.dirname, 'fixtures', 'redis-worker.ts');
const PORT = 16383;
const URL = `redis://127.0.0.1:${PORT}`;

interface Worker {
  name: string;
  child: ChildProcess;
}

function startWorker(
  url: string,
  prefix: string,
  name: string,
  logFile: string,
  delayMs: number,
): Promise<Worker> {
  const child = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', worker, url, prefix, name, logFile],
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

describe('one bus over Redis Streams across 3 Node processes', () => {
  const prefix = 'mp';
  const dir = mkdtempSync(join(tmpdir(), 'jido-redis-mp-'));
  const workers: Worker[] = [];
  let server: ChildProcess;
  let store: RedisStore;
  let bus: SignalBus;

  beforeAll(async () => {
    server = await startRedisServer(PORT, dir, true);
    store = await RedisStore.connect({
      url: URL,
      prefix,
      reconnectTimeWait: 100,
      disconnectedWait: 200,
      onError: () => undefined,
    });
    bus = new SignalBus({ name: 'orders', store, maxLogSize: Infinity });
    await bus.ready();
  }, 30_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
    await bus.close();
    await store.close();
    await stopRedisServer(server);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** Entries of the group not acked yet, waiting up to 10 s for them to drain. */
  async function pendingAfterDrain(): Promise<number> {
    const raw = new Redis(URL);
    try {
      const key = store.logKey('orders');
      const deadline = Date.now() + 10_000;
      for (;;) {
        const [count] = (await raw.xpending(key, groupName('payments'))) as [number];
        if (Number(count) === 0 || Date.now() > deadline) return Number(count);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      raw.disconnect();
    }
  }

  it('fans ordinary signals out to every instance and hands each persistent signal to one at a time', async () => {
    const file = join(dir, 'fanout.log');
    workers.push(
      ...(await Promise.all(
        ['a', 'b', 'c'].map((name) => startWorker(URL, prefix, name, file, 5)),
      )),
    );
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
    const handlers = new Set(lines.runs.map((r) => r.worker));
    expect(handlers.size).toBeGreaterThan(1);
    expect(overlapping(lines.runs)).toEqual([]);
  }, 60_000);

  it('loses nothing when a consumer is SIGKILLed mid-stream and restarted', async () => {
    const file = join(dir, 'kill.log');
    await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
    workers.push(
      ...(await Promise.all(
        ['a', 'b', 'c'].map((name) => startWorker(URL, prefix, name, file, 100)),
      )),
    );
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
    workers[1] = await startWorker(URL, prefix, 'b', file, 100);
    await until(
      'every signal to be handled after the restart',
      () => {
        const ended = readLines(file).ended;
        return ids.every((id) => ended.has(id));
      },
      45_000,
    );
    // What the killed instance was running was claimed (XAUTOCLAIM after ackTimeout) and
    // finished elsewhere or after its restart; nothing is left pending.
    expect(killedMidRun.length).toBeGreaterThan(0);
    const ended = readLines(file).ended;
    for (const run of killedMidRun) expect(ended.has(run.id)).toBe(true);
    await expect(store.listDlq('orders', 'payments')).resolves.toEqual([]);
    expect(await pendingAfterDrain()).toBe(0);
  }, 90_000);

  it('loses nothing when Redis restarts mid-stream: every stored signal is handled and fanned out', async () => {
    const file = join(dir, 'restart.log');
    await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
    workers.push(
      ...(await Promise.all(
        ['a', 'b', 'c'].map((name) => startWorker(URL, prefix, name, file, 5)),
      )),
    );
    const ids: string[] = [];
    let restarted = false;
    for (let i = 0; i < 120; i++) {
      if (i === 40) {
        await until('some signals to be handled', () => readLines(file).ended.size >= 20, 30_000);
        await stopRedisServer(server);
        setTimeout(() => {
          void startRedisServer(PORT, dir, true).then((s) => {
            server = s;
            restarted = true;
          });
        }, 500);
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
    await expect(store.listDlq('orders', 'payments')).resolves.toEqual([]);
    expect(await pendingAfterDrain()).toBe(0);
  }, 90_000);
});
