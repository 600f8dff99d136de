export * from './jido-signal.error.js';
export * from './validation.error.js';
export * from './parse.error.js';
export * from './dispatch.error.js';
export * from './router.error.js';
export * from './store.error.js';
export * from './bus.error.js';
export * from './journal.error.js';
