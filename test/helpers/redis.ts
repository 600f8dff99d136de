// Helpers for tests against the local Redis (127.0.0.1:6379): unique key prefixes, cleanup by
// prefix (never FLUSHALL/FLUSHDB), and private redis-server processes on ports 16380–16399 for
// tests that restart the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { isPortOpen } from './ports.js';

export const REDIS_HOST = '127.0.0.1';
export const REDIS_PORT = 6379;
export const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`;

// The Redis suites need the server: without it they fail here, loudly, instead of being
// skipped (`.ci/run` starts it).
if (!(await isPortOpen(REDIS_PORT, REDIS_HOST))) {
  throw new Error(
    `Redis is not reachable at ${REDIS_HOST}:${REDIS_PORT}: start it with \`redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no\` (see .ci/run)`,
  );
}

let counter = 0;

/** A key prefix unique to this run and call. */
export function redisTestPrefix(tag = 't'): string {
  return `jtest:${tag}${process.pid}x${Date.now().toString(36)}x${counter++}`;
}

/** Delete every key under `<prefix>:` on `url` (afterAll cleanup). */
export async function deleteRedisKeys(prefix: string, url = REDIS_URL): Promise<number> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    client.disconnect();
  }
}

/**
 * A private redis-server on `port` (16380–16399) with its data in `dir`: without persistence,
 * or with an fsync-always AOF when `aof` is set (data survives a restart).
 */
export async function startRedisServer(
  port: number,
  dir: string,
  aof = false,
  extra: readonly string[] = [],
): Promise<ChildProcess> {
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    dir,
    '--save',
    '',
    ...extra,
  ];
  if (aof) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  const child = spawn('/usr/bin/redis-server', args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await isPortOpen(port, REDIS_HOST, 200))) {
    if (child.exitCode !== null)
      throw new Error(`redis-server on ${port} exited with ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

/** Stop a server from {@link startRedisServer} (SIGKILL: no shutdown save) and wait for it. */
export async function stopRedisServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}
