import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignalBoardService } from '../../lib/board/board.service.js';
import { startBoardFixture, type BoardFixture } from './board-fixture.js';
import { readSse, waitFor } from './board-http.js';

describe('board streams and scrubbing (express)', () => {
  let f: BoardFixture;
  let board: SignalBoardService;
  beforeAll(async () => {
    f = await startBoardFixture('express', [
      { allowUnauthenticated: true, stream: { flushIntervalMs: 50 } },
    ]);
    board = f.app.get(SignalBoardService, { strict: false });
  });
  afterAll(async () => {
    await f.close();
  });

  it('redacts the separator-less extension form of private_key (`privatekey`)', async () => {
    await f.publish('key.rotated', { n: 1 }, { privatekey: 'PEM-SECRET-4242', apitoken: 'tok-1' });
    const res = await fetch(`${f.url}/board/api/buses/default/replay?pattern=key.*`);
    const text = await res.text();
    expect(text).not.toContain('tok-1'); // the documented example holds
    expect(text).not.toContain('PEM-SECRET-4242');
  });

  it('a disconnected page leaves no stream open; security headers on the SSE answer', async () => {
    const before = board.openStreams;
    const ac = new AbortController();
    const res = await fetch(`${f.url}/board/api/buses/default/stream`, { signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    await waitFor('stream open', async () => (board.openStreams === before + 1 ? true : undefined));
    ac.abort();
    await waitFor('stream closed', async () => (board.openStreams === before ? true : undefined));
  });

  it('streams a batch through SSE after many connects/disconnects', async () => {
    for (let i = 0; i < 20; i++) {
      const ac = new AbortController();
      const r = await fetch(`${f.url}/board/api/buses/default/stream`, { signal: ac.signal });
      expect(r.status).toBe(200);
      ac.abort();
    }
    await waitFor('all closed', async () => (board.openStreams === 0 ? true : undefined));
    const got = await readSse(
      `${f.url}/board/api/buses/default/stream?pattern=ping`,
      (ev) => ev.some((e) => e.event === 'batch'),
      5_000,
      () => f.publish('ping'),
    );
    expect(got.events.some((e) => e.event === 'batch')).toBe(true);
  });
});

describe('board: closing the app ends open streams', () => {
  it('app.close() returns and the page stream ends', async () => {
    const f = await startBoardFixture('express', [{ allowUnauthenticated: true }]);
    const res = await fetch(`${f.url}/board/api/buses/default/stream`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const ended = (async () => {
      try {
        for (;;) if ((await reader.read()).done) return 'ended';
      } catch {
        return 'ended';
      }
    })();
    const closed = f.close().then(() => 'closed');
    const timeout = new Promise((r) => setTimeout(() => r('timeout'), 8_000));
    expect(await Promise.race([closed, timeout])).toBe('closed');
    expect(await Promise.race([ended, timeout])).toBe('ended');
  }, 20_000);
});
