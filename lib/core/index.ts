export * from './errors/index.js';
export * from './telemetry/index.js';
export * from './signal/index.js';
export * from './router/index.js';
export * from './store/index.js';
export * from './dispatch/index.js';
export * from './bus/index.js';
export * from './journal/index.js';
