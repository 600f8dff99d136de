import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
/** Optional peers (package.json peerDependenciesMeta), plus the engines' clients to come. */
const OPTIONAL_PEERS = Object.keys(
  (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      peerDependenciesMeta: Record<string, unknown>;
    }
  ).peerDependenciesMeta,
);

/** Every module specifier a declaration file and the files it imports (relatively) reference. */
function referencedPackages(entry: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(
      /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g,
    )) {
      if (specifier.startsWith('.')) {
        const base = resolve(dirname(file), specifier.replace(/\.js$/, ''));
        stack.push(existsSync(`${base}.d.ts`) ? `${base}.d.ts` : join(base, 'index.d.ts'));
      } else {
        found.set(specifier, [...(found.get(specifier) ?? []), relative(dirname(entry), file)]);
      }
    }
  }
  return found;
}

describe('published declarations', () => {
  const out = mkdtempSync(join(tmpdir(), 'jido-dts-'));
  const tsc = join(root, 'node_modules/typescript/bin/tsc');

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it.each([
    ['CommonJS (require, typesVersions)', 'tsconfig.build.json'],
    ['ESM (import)', 'tsconfig.build-esm.json'],
  ])(
    'the main entry, ./testing, ./telemetry and ./board reference no optional peer: %s',
    async (_label, project) => {
      const dir = join(out, project);
      await promisify(execFile)(
        process.execPath,
        [tsc, '-p', project, '--emitDeclarationOnly', '--declarationMap', 'false', '--outDir', dir],
        { cwd: root, timeout: 170_000 },
      );
      for (const entry of [
        'index.d.ts',
        'testing/index.d.ts',
        'telemetry/index.d.ts',
        'board/index.d.ts',
      ]) {
        const packages = referencedPackages(join(dir, entry));
        const peers = [...packages].filter(([p]) =>
          OPTIONAL_PEERS.some((peer) => p === peer || p.startsWith(`${peer}/`)),
        );
        expect({ entry, peers }).toEqual({ entry, peers: [] });
        // the scan follows the whole graph: Nest itself is referenced somewhere under the entry
        if (entry !== 'telemetry/index.d.ts') expect(packages.has('@nestjs/common')).toBe(true);
      }
      // …and the subpath entries do reference their peers (the scan can fail).
      expect(referencedPackages(join(dir, 'jetstream/index.d.ts')).has('@nats-io/jetstream')).toBe(
        true,
      );
      expect(referencedPackages(join(dir, 'terminus/index.d.ts')).has('@nestjs/terminus')).toBe(
        true,
      );
      expect(referencedPackages(join(dir, 'redis/index.d.ts')).has('ioredis')).toBe(true);
    },
    180_000,
  );
});
