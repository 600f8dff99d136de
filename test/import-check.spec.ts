import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { MissingPeerDependencyError } from '../lib/index.js';
import { loadOptionalPeer } from '../lib/core/signal/optional-peer.js';

const root = join(import.meta.dirname, '..');
const OPTIONAL_PEERS = [
  '@nestjs/terminus',
  '@nats-io/transport-node',
  '@nats-io/jetstream',
  '@opentelemetry/api',
  'class-validator',
  'class-transformer',
  'msgpackr',
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('import check', () => {
  it('the main entry loads with none of the optional peers resolvable', async () => {
    const script = `const m = await import(${JSON.stringify(join(root, 'lib/index.ts'))});
      const s = m.createSignal('import.check', { ok: true });
      console.log(JSON.stringify({ exports: Object.keys(m).length, type: s.type }));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        '@swc-node/register/esm-register',
        '--import',
        join(root, 'test/fixtures/block-optional-peers.mjs'),
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: root, timeout: 60_000 },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
      exports: number;
      type: string;
    };
    expect(result.type).toBe('import.check');
    expect(result.exports).toBeGreaterThan(20);
  }, 60_000);

  it('the blocking hook really blocks (the check above can fail)', async () => {
    const run = promisify(execFile)(
      process.execPath,
      [
        '--import',
        join(root, 'test/fixtures/block-optional-peers.mjs'),
        '--input-type=module',
        '-e',
        "await import('msgpackr')",
      ],
      { cwd: root, timeout: 30_000 },
    );
    await expect(run).rejects.toThrow(/optional peer msgpackr is not installed/);
  }, 30_000);

  it('no file outside lib/terminus imports an optional peer at module load', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(root, 'lib'))) {
      const rel = relative(root, file);
      if (rel.startsWith(join('lib', 'terminus'))) continue;
      const text = readFileSync(file, 'utf8');
      for (const peer of OPTIONAL_PEERS) {
        const valueImport = new RegExp(
          `^import\\s+(?!type\\b)[^;]*from\\s+['"]${peer.replace('/', '\\/')}(\\/[^'"]*)?['"]`,
          'm',
        );
        if (valueImport.test(text)) offenders.push(`${rel} → ${peer}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('lib/core imports nothing from Nest or from the Nest layer', () => {
    const offenders = sourceFiles(join(root, 'lib/core')).filter((file) =>
      /^import[^;]*from\s+['"](@nestjs\/[^'"]*|(\.\.\/)+nest\/[^'"]*)['"]/m.test(
        readFileSync(file, 'utf8'),
      ),
    );
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('a missing optional peer is a typed error naming the package', () => {
    try {
      loadOptionalPeer('definitely-not-installed-peer', 'The test feature');
      throw new Error('unreachable');
    } catch (error) {
      expect(error).toBeInstanceOf(MissingPeerDependencyError);
      expect((error as MissingPeerDependencyError).code).toBe('missing_peer_dependency');
      expect((error as Error).message).toContain('npm install definitely-not-installed-peer');
    }
  });
});
