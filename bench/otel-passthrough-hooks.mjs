// Loaded with --import by bench/otel.bench.ts for the configurations that keep the optional
// peers: the same kind of resolve hook as test/fixtures/block-optional-peers.mjs, blocking
// nothing, so every configuration pays the same module-hook overhead.
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  return next(specifier, context);
}`;
register('data:text/javascript,' + encodeURIComponent(hook));
