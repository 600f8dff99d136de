import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const repo = join(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'jido-journal-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/journal.md', () => {
  it('every `ts runnable` example runs', async () => {
    const markdown = readFileSync(join(repo, 'docs/journal.md'), 'utf8');
    const blocks = [...markdown.matchAll(/```ts runnable\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    // The package name resolves to the sources (the journal may not be re-exported from the
    // main entry yet, so the shim adds it).
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    const shim = join(dir, 'package-shim.ts');
    writeFileSync(
      shim,
      [
        `export * from ${JSON.stringify(join(repo, 'lib/index.ts'))};`,
        `export * from ${JSON.stringify(join(repo, 'lib/core/journal/index.ts'))};`,
        `export * from ${JSON.stringify(join(repo, 'lib/core/errors/journal.error.ts'))};`,
      ].join('\n'),
    );
    const files = blocks.map((code, i) => {
      const file = join(dir, `example-${i}.ts`);
      writeFileSync(file, code.replaceAll(`'nestjs-jido-signal'`, JSON.stringify(shim)));
      return file;
    });
    const runner = join(dir, 'run.ts');
    writeFileSync(
      runner,
      files
        .map((f, i) => `console.log('--- example ${i}');\nawait import(${JSON.stringify(f)});`)
        .join('\n'),
    );
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', runner],
      { cwd: repo, timeout: 60_000 },
    );
    expect(stdout).toContain(`--- example ${blocks.length - 1}`);
    expect(stdout).toMatch(/└─ \* payment\.requested {2}\S+ {2}\S+ {2}\/pay/);
    expect(stdout).toContain('effectTime: 1767261599000');
    expect(stdout).toContain('payment.captured ←');
    expect(stdout).toContain("[ 'order.paid' ]");
    expect(stdout).toContain('on disk after record(): true');
    expect(stdout).toContain('records after reopen: 4');
  }, 60_000);
});
