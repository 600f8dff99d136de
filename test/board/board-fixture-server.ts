// The board fixture app as its own process: `node --import @swc-node/register/esm-register
// test/board/board-fixture-server.ts fastify`. Fastify's middleware engine loads an ESM-only
// package with require(), which Node 20.19+ does natively but Jest's module sandbox cannot,
// so the Fastify board tests drive this process over HTTP. Prints `LISTENING <url>`, exits
// on SIGTERM.
import { startBoardFixture } from './board-fixture.js';

const adapter = process.argv[2] === 'fastify' ? 'fastify' : 'express';
const fixture = await startBoardFixture(adapter);
process.stdout.write(`LISTENING ${fixture.url}\n`);
process.on('SIGTERM', () => {
  void fixture.close().then(() => process.exit(0));
});
