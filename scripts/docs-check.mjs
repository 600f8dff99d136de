// Docs that run: every ```ts block of README.md and docs/*.md is type-checked under `strict`
// against the built package (imports of 'nestjs-jido-signal' resolve through its own `exports`),
// and run with Node unless marked otherwise. The info string after `ts` says what a block is:
//
//   ```ts           complete: type-checked and run; it must exit 0 within 30 s
//   ```ts no-run    complete, type-checked only (needs a server, or serves forever)
//   ```ts fragment  a piece shown in context: neither (use sparingly, say why around it)
//
//   node scripts/docs-check.mjs [--no-build] [--no-run] [file.md ...]
//
// Exit code 1 with every failure listed as <file>:<line>.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const work = join(root, '.docs-check');
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const execute = !args.includes('--no-run');
const chosen = args.filter((a) => !a.startsWith('--'));
const docs =
  chosen.length > 0
    ? chosen
    : [
        'README.md',
        ...readdirSync(join(root, 'docs'))
          .filter((f) => f.endsWith('.md'))
          .sort()
          .map((f) => `docs/${f}`),
      ];
// `runnable` (docs/journal.md, whose output test/core/journal/docs-examples.spec.ts also checks) runs too.
const KINDS = new Set(['', 'runnable', 'no-run', 'fragment']);

function run(cmd, cmdArgs, { cwd = root, env = {}, timeout = 600_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, timedOut });
    });
  });
}

/** The ```ts blocks of one markdown file: { doc, line (of the first code line), kind, code }. */
function blocksOf(doc) {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const blocks = [];
  const problems = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)\b(.*)$/.exec(lines[i]);
    if (!open) {
      if (/^```/.test(lines[i])) {
        // skip over other fenced blocks so their contents are not taken for fences
        const close = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
        if (close > i) i = close;
      }
      continue;
    }
    const kind = open[2].trim();
    const close = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (close < 0) {
      problems.push(`${doc}:${i + 1}: unclosed code block`);
      break;
    }
    if (!KINDS.has(kind)) problems.push(`${doc}:${i + 1}: unknown block kind "${kind}"`);
    blocks.push({ doc, line: i + 2, kind, code: lines.slice(i + 1, close).join('\n') });
    i = close;
  }
  return { blocks, problems };
}

const failures = [];
const all = [];
for (const doc of docs) {
  const { blocks, problems } = blocksOf(doc);
  failures.push(...problems);
  all.push(...blocks);
}
const checked = all.filter((b) => b.kind !== 'fragment');

if (build) {
  const { code, out } = await run('npm', ['run', 'build']);
  if (code !== 0) {
    console.error(out);
    console.error('docs check: npm run build failed');
    process.exit(1);
  }
}

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
// Inside the package root, so 'nestjs-jido-signal' resolves to this package through `exports`.
writeFileSync(
  join(work, 'tsconfig.json'),
  JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['ES2022', 'DOM'],
        types: ['node'],
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        esModuleInterop: true,
        skipLibCheck: true,
        noEmit: true,
        rootDir: '.',
      },
      include: ['*.ts'],
    },
    null,
    2,
  ),
);
const fileOf = new Map();
for (const block of checked) {
  const name = `${block.doc.replace(/[/.]/g, '_')}_${block.line}.ts`;
  block.file = name;
  fileOf.set(name, block);
  // `export {}` keeps every block a module of its own (no clashes between blocks' names).
  writeFileSync(join(work, name), `${block.code}\nexport {};\n`);
}

const tsc = await run(process.execPath, [
  join(root, 'node_modules/typescript/bin/tsc'),
  '-p',
  work,
]);
const badFiles = new Set();
for (const m of tsc.out.matchAll(/^([^(\s]+\.ts)\((\d+),(\d+)\): error (TS\d+: .*)$/gm)) {
  const block = fileOf.get(m[1].split('/').pop());
  if (!block) {
    failures.push(`(tsc) ${m[0]}`);
    continue;
  }
  badFiles.add(block.file);
  failures.push(`${block.doc}:${block.line + Number(m[2]) - 1}: ${m[4]}`);
}
if (tsc.code !== 0 && badFiles.size === 0 && failures.length === 0) failures.push(tsc.out);

let ran = 0;
if (execute) {
  const runnable = checked.filter(
    (b) => (b.kind === '' || b.kind === 'runnable') && !badFiles.has(b.file),
  );
  const queue = [...runnable];
  const worker = async () => {
    for (let block = queue.shift(); block; block = queue.shift()) {
      const result = await run(
        process.execPath,
        ['--import', '@swc-node/register/esm-register', join(work, block.file)],
        { cwd: work, env: { SWC_NODE_PROJECT: join(work, 'tsconfig.json') }, timeout: 30_000 },
      );
      ran++;
      if (result.code !== 0) {
        const why = result.timedOut ? 'still running after 30 s' : `exited ${result.code}`;
        const tail = result.out.trim().split('\n').slice(-12).join('\n    ');
        failures.push(`${block.doc}:${block.line}: the block ${why}\n    ${tail}`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
}

const counts = { blocks: all.length, typeChecked: checked.length, ran };
console.log(
  `docs check: ${counts.blocks} ts blocks in ${docs.length} files, ${counts.typeChecked} type-checked, ${counts.ran} run`,
);
if (failures.length > 0) {
  console.error(`\n${failures.length} problem(s):\n${failures.join('\n')}`);
  console.error(`\nblocks are in ${relative(root, work)}/ (kept for inspection)`);
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });
console.log('docs check passed');
