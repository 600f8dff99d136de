import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  FileJournal,
  formatTrace,
  SignalJournal,
  type JournalEntry,
} from '../../../lib/core/journal/index.js';
import { Signal } from '../../../lib/core/signal/signal.js';
import { createTestSignalFactory } from '../../../lib/testing/index.js';
import { runJournalCli } from '../../../scripts/journal-cli.js';

const repo = join(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'jido-journal-cli-'));
const ids: Record<string, string> = {};

beforeAll(async () => {
  // root → (a → (a1, a2 → a21), b), one second apart.
  const f = createTestSignalFactory({ stepMs: 1000 });
  const journal = new SignalJournal({ adapter: await FileJournal.open(dir) });
  const make = async (name: string, type: string, source: string, cause?: string) => {
    const s = f.create(type, { name }, { source, subject: name === 'a2' ? 'o-1' : undefined });
    await journal.record(s, { causeId: cause === undefined ? null : ids[cause] });
    ids[name] = s.id;
  };
  await make('root', 'order.placed', '/shop');
  await make('a', 'payment.requested', '/pay', 'root');
  await make('b', 'stock.reserved', '/stock', 'root');
  await make('a1', 'payment.authorized', '/pay', 'a');
  await make('a2', 'payment.captured', '/pay', 'a');
  await make('a21', 'receipt.sent', '/mail', 'a2');
  await journal.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runJournalCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out: out.join('\n'), err: err.join('\n') };
}

const line = (name: string, type: string, second: number, source: string) =>
  `${type}  ${ids[name]}  2026-01-01T00:00:0${second}.000Z  ${source}`;

describe('journal CLI', () => {
  it('trace prints the cause/effect tree around a signal (both directions by default)', async () => {
    const { status, out } = await cli('trace', ids.a, '--dir', dir);
    expect(status).toBe(0);
    expect(out).toBe(
      [
        `Signal flow for ${ids.a} (5 signals, direction both):`,
        line('root', 'order.placed', 0, '/shop'),
        `└─ * ${line('a', 'payment.requested', 1, '/pay')}`,
        `   ├─ ${line('a1', 'payment.authorized', 3, '/pay')}`,
        `   └─ ${line('a2', 'payment.captured', 4, '/pay')}`,
        `      └─ ${line('a21', 'receipt.sent', 5, '/mail')}`,
      ].join('\n'),
    );
  });

  it('trace --direction effects|causes, --depth and --json', async () => {
    const effects = await cli(
      'trace',
      ids.root,
      '--dir',
      dir,
      '--direction',
      'effects',
      '--depth',
      '1',
    );
    expect(effects.out.split('\n').slice(1)).toEqual([
      `* ${line('root', 'order.placed', 0, '/shop')}`,
      `├─ ${line('a', 'payment.requested', 1, '/pay')}`,
      `└─ ${line('b', 'stock.reserved', 2, '/stock')}`,
    ]);
    const causes = await cli('trace', ids.a21, '--dir', dir, '--direction', 'causes');
    expect(causes.out.split('\n')).toHaveLength(5);
    expect(causes.out.split('\n')[4]).toBe(`      └─ * ${line('a21', 'receipt.sent', 5, '/mail')}`);
    const json = await cli('trace', ids.a2, '--dir', dir, '--json');
    const steps = JSON.parse(json.out) as {
      relation: string;
      depth: number;
      signal: { id: string };
    }[];
    expect(steps.map((s) => [s.signal.id, s.relation, s.depth])).toEqual([
      [ids.a2, 'origin', 0],
      [ids.a, 'cause', 1],
      [ids.root, 'cause', 2],
      [ids.a21, 'effect', 1],
    ]);
  });

  it('query and conversation', async () => {
    const q = await cli(
      'query',
      '--dir',
      dir,
      '--type',
      'payment.*',
      '--order',
      'desc',
      '--limit',
      '2',
    );
    expect(q.status).toBe(0);
    expect(q.out).toBe(
      [
        `2026-01-01T00:00:04.000Z  payment.captured  ${ids.a2}  /pay  subject=o-1`,
        `2026-01-01T00:00:03.000Z  payment.authorized  ${ids.a1}  /pay`,
      ].join('\n'),
    );
    const window = await cli(
      'query',
      '--dir',
      dir,
      '--since',
      '2026-01-01T00:00:02Z',
      '--until',
      String(Date.UTC(2026, 0, 1, 0, 0, 3)),
    );
    expect(window.out.split('\n').map((l) => l.split('  ')[1])).toEqual([
      'stock.reserved',
      'payment.authorized',
    ]);
    const conv = await cli('conversation', ids.root, '--dir', dir);
    expect(conv.out.split('\n')).toHaveLength(6);
    const json = await cli('conversation', ids.root, '--dir', dir, '--json');
    expect((JSON.parse(json.out) as unknown[]).map((s) => Signal.from(s).id)).toEqual([
      ids.root,
      ids.a,
      ids.b,
      ids.a1,
      ids.a2,
      ids.a21,
    ]);
    const none = await cli('query', '--dir', dir, '--source', '/nowhere');
    expect(none).toMatchObject({ status: 0, out: '', err: 'no signals' });
  });

  it('exit status 1 for unknown ids and journal errors, 2 for usage errors, 0 for --help', async () => {
    expect(await cli('trace', 'nope', '--dir', dir)).toMatchObject({
      status: 1,
      err: 'error [not_found]: Signal "nope" is not in the journal',
    });
    expect((await cli('trace', 'x', '--dir', join(dir, 'missing'))).status).toBe(1);
    for (const argv of [
      [],
      ['trace', ids.a],
      ['bogus', '--dir', dir],
      ['trace', '--dir', dir],
      ['trace', ids.a, '--dir', dir, '--direction', 'up'],
      ['trace', ids.a, '--dir', dir, '--depth', '-1'],
      ['query', '--dir', dir, '--order', 'sideways'],
      ['query', '--dir', dir, '--unknown-flag'],
    ]) {
      const r = await cli(...argv);
      expect([argv, r.status]).toEqual([argv, 2]);
      expect(r.err).toContain('Usage:');
    }
    expect((await cli('query', '--dir', dir, '--type', 'a..b')).status).toBe(1);
    const help = await cli('--help');
    expect(help.status).toBe(0);
    expect(help.out).toContain('npm run journal -- trace <id>');
  });

  it('runs as a script: node --import @swc-node/register/esm-register scripts/journal-cli.ts', async () => {
    const run = (...args: string[]) =>
      promisify(execFile)(
        process.execPath,
        ['--import', '@swc-node/register/esm-register', 'scripts/journal-cli.ts', ...args],
        { cwd: repo, timeout: 60_000 },
      );
    const { stdout } = await run('trace', ids.root, '--dir', dir, '--direction', 'effects');
    expect(stdout.split('\n')[1]).toBe(`* ${line('root', 'order.placed', 0, '/shop')}`);
    expect(stdout.split('\n')).toHaveLength(8);
    const failed = await run('trace', 'nope', '--dir', dir).catch((e: unknown) => e);
    expect(failed).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('not_found') as unknown,
    });
  }, 60_000);
});

describe('formatTrace', () => {
  it('draws │ for branches that continue below deeper ones; untimed signals show their record time', () => {
    const entry = (id: string, causeId?: string, withTime = true): JournalEntry => ({
      id,
      time: 0,
      recordedAt: Date.UTC(2026, 0, 1),
      causeId,
      conversationId: 'c',
      signal: new Signal({
        id,
        source: '/s',
        type: `t.${id}`,
        time: withTime ? '2026-01-01T00:00:00Z' : undefined,
      }),
    });
    const steps = [
      { ...entry('r'), relation: 'origin' as const, depth: 0 },
      { ...entry('x', 'r'), relation: 'effect' as const, depth: 1 },
      { ...entry('x1', 'x', false), relation: 'effect' as const, depth: 2 },
      { ...entry('x11', 'x1'), relation: 'effect' as const, depth: 3 },
      { ...entry('x2', 'x'), relation: 'effect' as const, depth: 2 },
      { ...entry('y', 'r'), relation: 'effect' as const, depth: 1 },
    ];
    expect(formatTrace(steps).split('\n')).toEqual([
      '* t.r  r  2026-01-01T00:00:00Z  /s',
      '├─ t.x  x  2026-01-01T00:00:00Z  /s',
      '│  ├─ t.x1  x1  recorded 2026-01-01T00:00:00.000Z  /s',
      '│  │  └─ t.x11  x11  2026-01-01T00:00:00Z  /s',
      '│  └─ t.x2  x2  2026-01-01T00:00:00Z  /s',
      '└─ t.y  y  2026-01-01T00:00:00Z  /s',
    ]);
    expect(formatTrace([])).toBe('');
  });
});
