import { createRequire } from 'node:module';
import { MissingPeerDependencyError } from '../errors/parse.error.js';

const requireFromHere = createRequire(import.meta.url);
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
