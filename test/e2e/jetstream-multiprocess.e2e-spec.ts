import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, describe } from '@jest/globals';
import { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal } from '../../lib/core/signal/signal.js';
import { JetStreamStore } from '../../lib/core/store/jetstream/jetstream.store.js';
import { consumerName } from '../../lib/core/store/jetstream/subjects.js';
import { deleteTestStreams, testPrefix } from '../helpers/nats.js';

const root = join(import.meta.dirname, '..', '..');
const worker = join(import.meta.dirname, 'fixtures', 'jetstream-worker.ts');

interface Worker {
  name: string;
  child: ChildProcess;
}

function startWorker(
  prefix: string,
  name: string,
  logFile: string,
  delayMs: number,
): Promise<Worker> {
  const child = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', worker, prefix, name, logFile],
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

describe('one bus over JetStream across 3 Node processes', () => {
  const prefix = testPrefix('mp');
  const dir = mkdtempSync(join(tmpdir(), 'jido-mp-'));
  const workers: Worker[] = [];
  let store: JetStreamStore;
  let bus: SignalBus;

  beforeAll(async () => {
    store = await JetStreamStore.connect({ servers: 'nats://127.0.0.1:4222', prefix });
    bus = new SignalBus({ name: 'orders', store, maxLogSize: Infinity });
    await bus.ready();
  }, 30_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
    await bus.close();
    await store.close();
    await deleteTestStreams(prefix);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('fans ordinary signals out to every instance and hands each persistent signal to one at a time', async () => {
    const file = join(dir, 'fanout.log');
    workers.push(
      ...(await Promise.all(['a', 'b', 'c'].map((name) => startWorker(prefix, name, file, 5)))),
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
    for (const w of ['a', 'b', 'c'])
      expect([...lines.seen.get(w)!].sort()).toEqual([...ids].sort());
    // Competing consumers: work was shared, and no signal ran on two instances at once.
    const handlers = new Set(lines.runs.map((r) => r.worker));
    expect(handlers.size).toBeGreaterThan(1);
    expect(overlapping(lines.runs)).toEqual([]);
  }, 60_000);

  it('loses nothing when a consumer is SIGKILLed mid-stream and restarted', async () => {
    const file = join(dir, 'kill.log');
    await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
    workers.push(
      ...(await Promise.all(['a', 'b', 'c'].map((name) => startWorker(prefix, name, file, 20)))),
    );
    const published = await bus.publish(
      Array.from({ length: 200 }, (_, i) => createSignal('order.paid', { n: i })),
    );
    const ids = published.map((e) => e.signal.id);
    await until('some signals to be handled', () => readLines(file).ended.size >= 30, 30_000);
    const victim = workers[1];
    await stopWorker(victim, 'SIGKILL');
    const killedMidRun = readLines(file).runs.filter(
      (r) => r.worker === 'b' && r.end === undefined,
    );
    workers[1] = await startWorker(prefix, 'b', file, 20);
    await until(
      'every signal to be handled after the restart',
      () => {
        const ended = readLines(file).ended;
        return ids.every((id) => ended.has(id));
      },
      45_000,
    );
    // Whatever the killed instance was running was redelivered and finished elsewhere or
    // after its restart; the server has nothing left pending or unacked.
    expect(killedMidRun.length).toBeGreaterThan(0);
    const ended = readLines(file).ended;
    for (const run of killedMidRun) expect(ended.has(run.id)).toBe(true);
    await expect(store.listDlq('orders', 'payments')).resolves.toEqual([]);
    // Server side: nothing left to deliver and nothing delivered but unacked.
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
    try {
      const jsm = await jetstreamManager(nc);
      let info = await jsm.consumers.info(store.logStreamName('orders'), consumerName('payments'));
      const deadline = Date.now() + 10_000;
      while ((info.num_pending > 0 || info.num_ack_pending > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        info = await jsm.consumers.info(store.logStreamName('orders'), consumerName('payments'));
      }
      expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
    } finally {
      await nc.close();
    }
  }, 90_000);
});
