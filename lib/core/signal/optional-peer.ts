import { createRequire } from 'node:module';
import { MissingPeerDependencyError } from '../errors/parse.error.js';

/**
 * The published package is CommonJS (the ESM entry points re-export it), so there `require`
 * is this module's own and resolves peers next to the installed package. Only this
 * repository's own ESM runs (tests, sample, bench) lack it; they start from the repository
 * root, where the peers are installed.
 */
const requireFromHere: NodeJS.Require =
  typeof require === 'function' ? require : createRequire(`${process.cwd()}/`);
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
