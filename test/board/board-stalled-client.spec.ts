import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { createSignal } from '../../lib/index.js';
import { SignalBoardService } from '../../lib/board/board.service.js';
import { startBoardFixture, type BoardFixture } from './board-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('board: a page that stops reading (express)', () => {
  let f: BoardFixture;
  let board: SignalBoardService;
  beforeAll(async () => {
    f = await startBoardFixture('express', [
      { allowUnauthenticated: true, stream: { flushIntervalMs: 20, maxSignalsPerFlush: 40 } },
    ]);
    board = f.app.get(SignalBoardService, { strict: false });
  });
  afterAll(async () => {
    await f.close();
  });

  it('holds batches back once the page stalls (docs: "its batches are held back")', async () => {
    let views = 0;
    const view = board.viewer.view.bind(board.viewer);
    board.viewer.view = (s, r) => {
      views++;
      return view(s, r);
    };
    const { port } = new URL(f.url);
    const socket: Socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(
      `GET /board/api/buses/default/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`,
    );
    socket.pause(); // never reads: a stalled tab
    const big = 'x'.repeat(2000);
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await f.loadBus.publish(createSignal('noise', { big }));
        await f.bus.publish(Array.from({ length: 40 }, () => createSignal('noise', { big })));
        await sleep(10);
      }
    })();
    await sleep(5_000); // ~250 batches of ~90 KB offered: far beyond socket buffers
    const before = views;
    await sleep(1_500);
    const during = views - before;
    publishing = false;
    await publisher;
    socket.destroy();
    expect(views).toBeGreaterThan(40);
    // With batches held back, nothing more is rendered for a page that does not read.
    expect({ total: views, lastWindow: during }).toEqual({ total: views, lastWindow: 0 });
  }, 30_000);
});
