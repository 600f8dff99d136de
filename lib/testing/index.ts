export * from './test-signals.js';
