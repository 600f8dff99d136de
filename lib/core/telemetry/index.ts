export * from './channels.js';
export * from './telemetry.js';
