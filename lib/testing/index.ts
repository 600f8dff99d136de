export * from './test-signals.js';
export * from './store-conformance.js';
