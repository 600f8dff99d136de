export * from './signal-health.indicator.js';
