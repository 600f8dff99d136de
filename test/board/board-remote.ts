import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** A fixture app in a child process (see board-fixture-server.ts). */
export interface RemoteBoardFixture {
  readonly url: string;
  publish(type: string, data?: unknown, extensions?: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

/** Start the fixture server with `adapter` in a child process; resolves once it listens. */
export async function startRemoteFixture(
  adapter: 'express' | 'fastify',
): Promise<RemoteBoardFixture> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', 'test/board/board-fixture-server.ts', adapter],
    { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fixture server (${adapter}) did not start in 30 s: ${stderr}`));
    }, 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /LISTENING (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fixture server (${adapter}) exited with ${code}: ${stderr}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    url,
    async publish(type, data, extensions) {
      const res = await fetch(`${url}/fixture/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type, data, extensions }),
      });
      if (!res.ok) throw new Error(`publish ${type}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    },
    async close() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
