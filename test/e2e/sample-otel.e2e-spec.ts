// The sample with OTEL_TRACES_EXPORTER=console prints its OpenTelemetry spans (sample/otel.ts).
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

describe('npm run sample -- --once with OTEL_TRACES_EXPORTER=console', () => {
  it('prints publish, process and HTTP client spans, and still walks through', async () => {
    const child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', 'sample/main.ts', '--once'],
      {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1', OTEL_TRACES_EXPORTER: 'console' },
        stdio: 'pipe',
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 55_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain("name: 'publish default'");
    expect(stdout).toContain("name: 'process default'");
    expect(stdout).toContain("'messaging.system': 'jido_signal'");
    // The partner webhook: an HTTP client span.
    expect(stdout).toMatch(/name: 'POST'[\s\S]*?'jido_signal\.dispatch\.adapter': 'webhook'/);
    expect(stdout.trimEnd()).toMatch(/walk-through done, application closed$/);
  }, 60_000);
});
