import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { UnauthorizedException } from '@nestjs/common';
import type { SignalBoardOptions } from '../../lib/board/index.js';
import { PAYMENTS, startBoardFixture, type BoardFixture } from './board-fixture.js';
import { openSession } from './board-http.js';
import { startRemoteFixture, type RemoteBoardFixture } from './board-remote.js';

const slowGuard = async (_c: ExecutionContext): Promise<boolean> => {
  await new Promise((r) => setTimeout(r, 30));
  return true;
};

const BOARDS: readonly SignalBoardOptions[] = [
  { allowUnauthenticated: true },
  {
    path: 'secure',
    canActivate: (c) => {
      const h = c.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers;
      if (h.authorization === undefined) throw new UnauthorizedException();
      return h.authorization === 'Bearer ok';
    },
  },
  { path: 'deny', canActivate: () => false },
  { path: 'slow', canActivate: slowGuard, stream: { maxStreams: 1 } },
];

function expectSecurityHeaders(name: string, res: Response): void {
  expect([name, res.headers.get('content-security-policy')]).toEqual([
    name,
    expect.stringContaining("frame-ancestors 'none'"),
  ]);
  expect([name, res.headers.get('x-content-type-options')]).toEqual([name, 'nosniff']);
  expect([name, res.headers.get('x-frame-options')]).toEqual([name, 'DENY']);
  expect([name, res.headers.get('cache-control')]).toEqual([name, 'no-store']);
}

const adapter = 'express' as const;
describe('board edges (express)', () => {
  let f: BoardFixture;
  beforeAll(async () => {
    f = await startBoardFixture(adapter, BOARDS);
  });
  afterAll(async () => {
    await f.close();
  });

  it('sends the security headers on refused (401/403) responses too', async () => {
    for (const [name, path, headers] of [
      ['401', '/secure', {}],
      ['403', '/secure/api/overview', { authorization: 'Bearer bad' }],
      ['deny', '/deny', {}],
    ] as const) {
      const res = await fetch(`${f.url}${path}`, { headers });
      await res.text();
      expectSecurityHeaders(name, res);
    }
  });

  it('sends the security headers on 400/404 error answers', async () => {
    for (const path of [
      '/board/assets/nope.js',
      '/board/api/buses/nope/replay',
      '/board/api/buses/default/replay?pattern=a..b',
    ]) {
      const res = await fetch(`${f.url}${path}`);
      await res.text();
      expectSecurityHeaders(path, res);
    }
  });

  it('answers a repeated query parameter with a typed 400, not a 500', async () => {
    const res = await fetch(`${f.url}/board/api/buses/default/replay?pattern=a.*&pattern=b.*`);
    const body = (await res.json()) as { statusCode: number; code: string };
    expect([res.status, body.code]).toEqual([400, 'invalid_pattern']);
    const s = await fetch(`${f.url}/board/api/buses/default/stream?pattern=a.*&pattern=b.*`);
    const sb = await s.text();
    expect([s.status, sb.slice(0, 200)]).toEqual([400, expect.stringContaining('invalid_')]);
  });

  it('refuses `since`/`until` that are neither ms nor ISO 8601 (400 invalid_option)', async () => {
    for (const v of ['-1', 'March 7', ' 5']) {
      const res = await fetch(
        `${f.url}/board/api/buses/default/replay?since=${encodeURIComponent(v)}`,
      );
      const body = (await res.json()) as { code?: string };
      expect([v, res.status, body.code]).toEqual([v, 400, 'invalid_option']);
    }
  });

  it('answers malformed JSON on an action with the board JSON error, no stack trace', async () => {
    const session = await openSession(`${f.url}/board`);
    const res = await fetch(
      `${f.url}/board/api/buses/default/subscriptions/${PAYMENTS}/dlq/redrive`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: session.cookie,
          'x-jido-board-csrf': session.csrf,
        },
        body: '{"all": tru',
      },
    );
    const text = await res.text();
    expect(res.status).toBe(400);
    // The application's body parser answers before the board is routed to: no board
    // headers are promised there, but no stack trace either.
    expect(text).not.toMatch(/at \S+ \(|node_modules|<pre>/);
  });

  it('never lets more than maxStreams pages stream at once, even with an async guard', async () => {
    const acs = Array.from({ length: 4 }, () => new AbortController());
    const res = await Promise.all(
      acs.map((ac) => fetch(`${f.url}/slow/api/buses/default/stream`, { signal: ac.signal })),
    );
    const statuses = res.map((r) => r.status).sort();
    for (const ac of acs) ac.abort();
    expect(statuses).toEqual([200, 503, 503, 503]);
  });
});

describe('board edges (fastify, child process)', () => {
  let r: RemoteBoardFixture;
  beforeAll(async () => {
    r = await startRemoteFixture('fastify');
  }, 40_000);
  afterAll(async () => {
    await r?.close();
  });

  it('sends the security headers on refused (401/403) responses too', async () => {
    for (const [name, path, headers] of [
      ['401', '/secure', {}],
      ['403', '/secure/api/overview', { authorization: 'Bearer bad' }],
      ['deny', '/deny', {}],
    ] as const) {
      const res = await fetch(`${r.url}${path}`, { headers });
      await res.text();
      expect([name, res.status]).toEqual([name, name === '401' ? 401 : 403]);
      expectSecurityHeaders(name, res);
    }
  });
});
