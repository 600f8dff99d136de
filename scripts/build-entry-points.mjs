// Last step of `npm run build`. tsconfig.build.json has written the one CommonJS implementation
// (with CommonJS declarations) to dist/cjs, tsconfig.build-esm.json the ESM declarations to
// dist/esm. This marks dist/cjs as CommonJS and writes, per entry point, an ESM file that only
// re-exports the CommonJS one: `import` and `require()` then share one implementation, one class
// identity and one module state, and each module system gets declarations of its own format.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');

for (const [subpath, conditions] of Object.entries(pkg.exports)) {
  if (typeof conditions === 'string') continue; // ./package.json
  const esm = join(root, conditions.import.default);
  const cjs = join(root, conditions.require.default);
  let target = relative(dirname(esm), cjs).split('\\').join('/');
  if (!target.startsWith('.')) target = `./${target}`;
  mkdirSync(dirname(esm), { recursive: true });
  const line = `export * from '${target}';\n`;
  writeFileSync(
    esm,
    `// ${pkg.name}${subpath.slice(1)}: ESM entry over the CommonJS build\n${line}`,
  );
}
