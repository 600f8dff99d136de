import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MissingPeerDependencyError } from '../errors/parse.error.js';

/**
 * A `require` that resolves from this file. The published package is CommonJS (the ESM
 * entry points re-export it), so there `__filename` is this file and peers resolve next to the
 * installed package. Only this repository's own ESM runs (tests, sample, bench) lack
 * `__filename`; they start from the repository root, where the peers are installed.
 */
const requireFromHere: NodeJS.Require = createRequire(
  typeof __filename === 'string' ? __filename : join(process.cwd(), 'package.json'),
);
const loaded = new Map<string, unknown>();

/**
 * Synchronously load an optional peer dependency the first time a feature needs it.
 * The main entry never imports optional peers at module load.
 * @throws MissingPeerDependencyError naming the package and the feature
 */
export function loadOptionalPeer<T>(pkg: string, feature: string): T {
  if (loaded.has(pkg)) return loaded.get(pkg) as T;
  let mod: T;
  try {
    mod = requireFromHere(pkg) as T;
  } catch (cause) {
    throw new MissingPeerDependencyError(pkg, feature, cause);
  }
  loaded.set(pkg, mod);
  return mod;
}
