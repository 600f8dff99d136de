export * from './test-signals.js';
export * from './store-conformance.js';
export * from './signal-spy.js';
export * from './journal-conformance.js';
