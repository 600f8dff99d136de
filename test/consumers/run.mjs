// Consumer matrix: install this package as a user does and prove it works in the Nest apps
// people actually have. `npm pack` the package, then for each fixture app (laid out as
// `nest new` lays it out): install the tarball without the optional peers, build, start it with
// `node dist/main` and exercise it over HTTP (ordinary and persistent handlers, Terminus
// /health, graceful SIGTERM), run its own test suite (Test.createTestingModule +
// JidoSignalTestingModule + SignalSpy.waitFor), and type-check it with `strict` and
// `skipLibCheck: false` under every moduleResolution.
//
//   node test/consumers/run.mjs [fixture ...] [--keep]
//
// Every failing step fails the run (exit code 1) with the step's output; nothing is skipped.
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const here = import.meta.dirname;
// The optional peers, as package.json declares them: none may be installed in the apps.
const OPTIONAL_PEERS = Object.keys(
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).peerDependenciesMeta,
).filter((peer) => peer !== '@nestjs/terminus'); // the apps' /health uses it

/**
 * The fixtures and the module system each app uses. `notUnder` names a moduleResolution the
 * app itself cannot use, whatever it installs: TypeScript's `node16` mode models a Node without
 * `require(esm)`, so in a CommonJS app the imports of Nest 12 (ESM-only) fail there
 * (TS1479 on the app's own `import ... from '@nestjs/common'`); `nodenext` models Node ≥ 20.19.
 */
const FIXTURES = {
  'nest12-esm-vitest': { esm: true, notUnder: [] },
  'nest12-cjs': { esm: false, notUnder: ['node16'] },
  'nest11-cjs-jest': { esm: false, notUnder: [] },
};

/** moduleResolution modes every app must type-check under, with the `module` each needs. */
const RESOLUTIONS = [
  { moduleResolution: 'node10', module: 'commonjs' },
  { moduleResolution: 'node16', module: 'node16' },
  { moduleResolution: 'nodenext', module: 'nodenext' },
  { moduleResolution: 'bundler', module: 'preserve' },
];

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const chosen = args.filter((a) => !a.startsWith('--'));
for (const name of chosen) {
  if (!(name in FIXTURES))
    fail(`unknown fixture ${name}; known: ${Object.keys(FIXTURES).join(', ')}`);
}
const fixtures = chosen.length > 0 ? chosen : Object.keys(FIXTURES);

function fail(message) {
  console.error(`\nCONSUMER MATRIX FAILED: ${message}`);
  process.exit(1);
}

/** Run a command; resolve with its output, reject (with the output) on a non-zero exit. */
function run(cmd, cmdArgs, cwd, { timeout = 600_000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, cmdArgs, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(`${cmd} ${cmdArgs.join(' ')} (in ${cwd}) exited ${code ?? signal}\n${out}`),
        );
    });
  });
}

async function step(fixture, label, fn) {
  const started = Date.now();
  try {
    const result = await fn();
    console.log(`  ✓ ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  } catch (error) {
    fail(`${fixture}: ${label}\n${error instanceof Error ? error.message : String(error)}`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function http(method, url) {
  const response = await fetch(url, { method });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

/** Poll `check` until it returns true or `ms` pass. */
async function eventually(what, ms, check) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${ms} ms${last ? `: ${last.message}` : ''}`);
}

/** Copy the shared app sources; CommonJS apps import without `.js` suffixes, as `nest new` writes them. */
function copyApp(target, esm) {
  const src = join(here, 'app', 'src');
  mkdirSync(join(target, 'src'), { recursive: true });
  for (const file of readdirSync(src)) {
    let text = readFileSync(join(src, file), 'utf8');
    if (!esm) text = text.replace(/(from '\.{1,2}\/[^']+)\.js'/g, "$1'");
    writeFileSync(join(target, 'src', file), text);
  }
}

/** Start the built app, exercise it over HTTP, stop it with SIGTERM. */
async function exercise(dir, startCommand) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const [cmd, ...cmdArgs] = startCommand.split(' ');
  const child = spawn(cmd, cmdArgs, {
    cwd: dir,
    env: { ...process.env, PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    await eventually('the app answering /health', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`the app exited ${child.exitCode}`);
      return (await http('GET', `${base}/health`)).status === 200;
    });
    const user = await http('POST', `${base}/users/u-1`);
    if (user.status !== 202)
      throw new Error(`POST /users/u-1 → ${user.status} ${JSON.stringify(user.body)}`);
    const order = await http('POST', `${base}/orders/o-1`);
    if (order.status !== 202)
      throw new Error(`POST /orders/o-1 → ${order.status} ${JSON.stringify(order.body)}`);
    await eventually('both handlers running', 10_000, async () => {
      const { body } = await http('GET', `${base}/seen`);
      return body.users.includes('user.created') && body.orders.includes('o-1');
    });
    const health = await http('GET', `${base}/health`);
    const bus = health.body?.details?.signals?.buses?.default;
    if (health.status !== 200 || health.body.status !== 'ok' || bus?.status !== 'up') {
      throw new Error(`GET /health → ${health.status} ${JSON.stringify(health.body)}`);
    }
    child.kill('SIGTERM');
    const { code, signal } = await Promise.race([
      exited,
      sleep(15_000).then(() => ({ code: 'still running 15 s after SIGTERM' })),
    ]);
    // Nest runs its shutdown hooks, then re-raises the signal on itself.
    if (code !== 0 && signal !== 'SIGTERM') {
      throw new Error(`after SIGTERM the app ended with ${code ?? signal}`);
    }
    if (/error/i.test(out)) throw new Error(`the app logged an error`);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n--- app output ---\n${out}`);
  }
}

async function typecheck(dir, notUnder) {
  const tsVersion = JSON.parse(
    readFileSync(join(dir, 'node_modules/typescript/package.json'), 'utf8'),
  ).version;
  const major = Number(tsVersion.split('.')[0]);
  // The app's own sources, strict, with every declaration file checked and no optional peer
  // installed. The resolution-specific switches of the app's tsconfig are left to each mode.
  const { compilerOptions } = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
  delete compilerOptions.resolvePackageJsonExports;
  delete compilerOptions.resolvePackageJsonImports;
  delete compilerOptions.baseUrl;
  writeFileSync(
    join(dir, 'tsconfig.check.json'),
    JSON.stringify({
      compilerOptions: {
        ...compilerOptions,
        noEmit: true,
        strict: true,
        skipLibCheck: false,
        incremental: false,
        types: ['node'],
      },
      include: ['src'],
      exclude: ['**/*.spec.ts'],
    }),
  );
  const tsc = join(dir, 'node_modules/typescript/bin/tsc');
  // The whole project as configured (specs included), strict, checking declaration files.
  await run(
    process.execPath,
    [
      tsc,
      '-p',
      'tsconfig.json',
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      'false',
      '--incremental',
      'false',
    ],
    dir,
  );
  for (const { moduleResolution, module } of RESOLUTIONS) {
    if (notUnder.includes(moduleResolution)) continue;
    const extra =
      moduleResolution === 'node10' && major >= 6 ? ['--ignoreDeprecations', '6.0'] : [];
    const flags = ['--module', module, '--moduleResolution', moduleResolution, ...extra];
    await run(process.execPath, [tsc, '-p', 'tsconfig.check.json', ...flags], dir).catch(
      (error) => {
        throw new Error(`moduleResolution ${moduleResolution}: ${error.message}`);
      },
    );
  }
  return tsVersion;
}

const work = mkdtempSync(join(tmpdir(), 'jido-consumers-'));
console.log(`consumer matrix in ${work}`);
const tarball = await step('package', 'npm pack (builds the package)', async () => {
  const out = await run('npm', ['pack', '--json', '--pack-destination', work], root);
  const [info] = JSON.parse(out.slice(out.indexOf('[')));
  return join(work, info.filename);
});

const results = [];
for (const name of fixtures) {
  const { esm, notUnder } = FIXTURES[name];
  const modes = RESOLUTIONS.map((r) => r.moduleResolution).filter((m) => !notUnder.includes(m));
  const dir = join(work, name);
  console.log(`\n${name} (${esm ? 'ESM' : 'CommonJS'})`);
  cpSync(join(here, name), dir, { recursive: true });
  copyApp(dir, esm);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  pkg.dependencies['nestjs-jido-signal'] = `file:${tarball}`;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));

  await step(name, 'npm install (tarball, no optional peers)', async () => {
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir);
    const present = OPTIONAL_PEERS.filter((p) => existsSync(join(dir, 'node_modules', p)));
    if (present.length > 0) throw new Error(`optional peers were installed: ${present.join(', ')}`);
  });
  const nest = JSON.parse(
    readFileSync(join(dir, 'node_modules/@nestjs/core/package.json'), 'utf8'),
  ).version;
  await step(name, 'build', () => run('npm', ['run', 'build'], dir));
  await step(name, `start (${pkg.scripts['start:prod']}), HTTP, /health, SIGTERM`, () =>
    exercise(dir, pkg.scripts['start:prod']),
  );
  await step(name, `test (${pkg.scripts.test})`, () =>
    run('npm', ['test'], dir, { env: { CI: 'true' } }),
  );
  const ts = await step(
    name,
    `tsc strict, skipLibCheck false, moduleResolution ${modes.join('/')}`,
    () => typecheck(dir, notUnder),
  );
  results.push({
    fixture: name,
    format: esm ? 'ESM' : 'CommonJS',
    nest,
    typescript: ts,
    moduleResolution: modes.join(' '),
  });
}

console.log('\nconsumer matrix passed:');
console.table(results);
if (keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
