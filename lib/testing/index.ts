export * from './test-signals.js';
export * from './store-conformance.js';
export * from './signal-spy.js';
export * from './journal-conformance.js';
export * from './fake-adapter.js';
export * from './test-clock.js';
export * from './jido-signal-testing.module.js';
