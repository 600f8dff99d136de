// API reports: one api-extractor config per package entry point (api/extractor/<name>.json),
// run over the built ESM declarations (dist/esm, so `npm run build` first). Each report is
// formatted with Prettier and compared with the checked-in api/<name>.api.md.
//
//   node scripts/api-report.mjs            check: exit 1 when a report differs (or is missing)
//   node scripts/api-report.mjs --update   write the reports to api/
//
// `npm run api:check` and `npm run api:update` build first.
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import prettier from 'prettier';

const root = join(import.meta.dirname, '..');
const configs = join(root, 'api', 'extractor');
const update = process.argv.includes('--update');

if (!existsSync(join(root, 'dist', 'esm', 'index.d.ts'))) {
  console.error('dist/esm is missing: run `npm run build` first (npm run api:check does).');
  process.exit(1);
}

const names = readdirSync(configs)
  .filter((f) => f.endsWith('.json') && f !== 'base.json')
  .map((f) => f.slice(0, -'.json'.length))
  .sort();
const prettierOptions = {
  ...(await prettier.resolveConfig(join(root, 'api', 'x.api.md'))),
  parser: 'markdown',
};
const changed = [];
const failed = [];

mkdirSync(join(root, 'dist', 'api-report'), { recursive: true });
for (const name of names) {
  const config = ExtractorConfig.loadFileAndPrepare(join(configs, `${name}.json`));
  const result = Extractor.invoke(config, {
    localBuild: true,
    showVerboseMessages: false,
    messageCallback: (message) => {
      // Reported once, in the report itself (`addToApiReportFile`).
      if (message.category === 'Extractor') message.handled = true;
    },
  });
  if (result.errorCount > 0) {
    failed.push(`${name}: ${result.errorCount} error(s)`);
    continue;
  }
  const generated = readFileSync(config.reportFilePath, 'utf8');
  const report = await prettier.format(generated, prettierOptions);
  const target = join(root, 'api', `${name}.api.md`);
  const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
  if (current === report) continue;
  changed.push(`api/${name}.api.md`);
  if (update) writeFileSync(target, report);
}

if (failed.length > 0) {
  console.error(`api-extractor failed:\n  ${failed.join('\n  ')}`);
  process.exit(1);
}
if (changed.length === 0) {
  console.log(`API reports up to date (${names.length} entry points).`);
} else if (update) {
  console.log(`Updated:\n  ${changed.join('\n  ')}`);
} else {
  console.error(
    `The public API differs from the checked-in report:\n  ${changed.join('\n  ')}\n` +
      'Review the change, then run `npm run api:update` and commit api/*.api.md.',
  );
  process.exit(1);
}
