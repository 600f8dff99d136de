// Runs every bench/*.bench.ts (or those named on the command line) and writes RESULTS.md.
// Each file runs in its own child process (same Node flags): a file's peers and floors share
// its process and run, but no file measures in a heap left behind by the files before it.
import { fork } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatNs, type BenchCheck, type BenchSection } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filter.length === 0 || filter.some((name) => f.includes(name)))
  .sort();

function verdict(c: BenchCheck): string {
  return c.info ? 'INFO' : c.pass ? 'PASS' : 'FAIL';
}

const child = process.env.JIDO_BENCH_FILE;
if (child !== undefined) {
  const mod = (await import(pathToFileURL(join(here, child)).href)) as {
    default: () => Promise<BenchSection | BenchSection[]>;
  };
  const result = await mod.default();
  process.send!(Array.isArray(result) ? result : [result], () => process.exit(0));
  // The parent prints and writes the results.
  await new Promise(() => undefined);
}

/** Run one bench file in a fresh process and return its sections. */
function runFile(file: string): Promise<BenchSection[]> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, JIDO_BENCH_FILE: file },
      execArgv: process.execArgv,
    });
    let sections: BenchSection[] | undefined;
    proc.on('message', (message) => (sections = message as BenchSection[]));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      sections !== undefined
        ? resolve(sections)
        : reject(new Error(`${file} exited with code ${String(code)} before reporting`)),
    );
  });
}

const sections: BenchSection[] = [];
for (const file of files) {
  console.log(`→ ${file}`);
  for (const section of await runFile(file)) {
    sections.push(section);
    for (const row of section.rows)
      console.log(`  ${row.name.padEnd(60)} ${formatNs(row.nsPerOp)}`);
    for (const c of section.checks)
      console.log(`  ${verdict(c)} ${c.name}: ${c.actual} (target ${c.target})`);
  }
}

const cpu = cpus();
const lines: string[] = [
  '# Benchmark results',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString()}.`,
  '',
  `- Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}`,
  `- Node ${process.version}`,
  '- Every figure is a median (mitata p50 for micro benchmarks, median of 5 runs for system ones);',
  '  peers run in the same process and the same run, so compare ratios rather than absolute values.',
  '- Rows measured in interleaved rounds (bus, Nest, persistent one-at-a-time, router, webhook) are',
  '  compared round by round: a ratio is the median of the per-round ratios.',
  '- Each bench file runs in a fresh process, so no file measures in the heap of the files before it.',
  '',
];
for (const s of sections) {
  lines.push(
    `## ${s.title}`,
    '',
    '| operation | time per op | ops/s | note |',
    '|---|---:|---:|---|',
  );
  for (const r of s.rows) {
    lines.push(
      `| ${r.name} | ${formatNs(r.nsPerOp)} | ${Math.round(1e9 / r.nsPerOp).toLocaleString('en-US')} | ${r.note ?? ''} |`,
    );
  }
  if (s.checks.length > 0) {
    lines.push('', '| target | actual | required | |', '|---|---:|---:|---|');
    for (const c of s.checks)
      lines.push(`| ${c.name} | ${c.actual} | ${c.target} | ${verdict(c).toLowerCase()} |`);
  }
  for (const n of s.notes ?? []) lines.push('', n);
  lines.push('');
}
if (filter.length === 0) {
  writeFileSync(join(here, 'RESULTS.md'), lines.join('\n'));
  console.log('wrote bench/RESULTS.md');
} else {
  console.log('(filtered run: bench/RESULTS.md left unchanged)');
}
