export * from './errors/index.js';
export * from './telemetry/index.js';
export * from './signal/index.js';
