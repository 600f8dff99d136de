// Helpers for tests against the local NATS server (127.0.0.1:4222, JetStream enabled).
// Importing this file checks the server: when it is unreachable every suite that imports it
// fails at once, loudly, in CI and locally alike (suites are never skipped).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { isPortOpen } from './ports.js';

/** The test server; only ever loopback. */
export const NATS_HOST = '127.0.0.1';
export const NATS_PORT = 4222;
export const NATS_URL = `nats://${NATS_HOST}:${NATS_PORT}`;

// The JetStream suites need the server: without it they fail here, loudly, instead of
// being skipped (`.ci/run` starts it; locally see the README's Set-up).
if (!(await isPortOpen(NATS_PORT))) {
  throw new Error(
    `NATS is not reachable at ${NATS_HOST}:${NATS_PORT}: start it with \`nats-server -a 127.0.0.1 -p 4222 -js -sd <dir>\` (see .ci/run)`,
  );
}

let counter = 0;

/** A prefix unique to this run and call (valid as a JetStreamStore prefix). */
export function testPrefix(tag = 't'): string {
  return `${tag}${process.pid}x${Date.now().toString(36)}x${counter++}`;
}

/** Delete every stream whose name starts with `<prefix>_` (afterAll cleanup). */
export async function deleteTestStreams(prefix: string): Promise<number> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: NATS_URL, timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc);
    let deleted = 0;
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${prefix}_`)) {
        await jsm.streams.delete(name);
        deleted++;
      }
    }
    return deleted;
  } finally {
    await nc.close();
  }
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A private nats-server on `port` (JetStream data in `dir`), for connection-loss tests. */
export async function startServer(
  port: number,
  dir: string,
  jetstream = true,
): Promise<ChildProcess> {
  const child = spawn(
    '/usr/sbin/nats-server',
    ['-a', '127.0.0.1', '-p', String(port), ...(jetstream ? ['-js', '-sd', dir] : [])],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 10_000;
  while (!(await isPortOpen(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

/** SIGKILL a server from {@link startServer}. */
export function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
